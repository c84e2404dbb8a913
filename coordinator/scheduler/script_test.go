package scheduler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/pinnsweep/pinnsweep/coordinator/refine"
	"github.com/pinnsweep/pinnsweep/coordinator/scheduler"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestScripts runs the scheduler's lifecycle rules written as scripts in
// testdata/, in the style of etcd raft's data-driven tests: each command
// drives the scheduler as the engine does (compute a change, apply it,
// commit it to an in-memory store) and prints what it did. Run with
// -rewrite to update the expected output after a deliberate change, and
// read the diff. The commands:
//
//	sweep NAME trials=N attempts=K      a sweep of N trials k00.., K attempts each, whose
//	      [gpus=G] [command]            trials need G GPUs and (command) a worker running commands
//	needs SWEEP [gpus=G] [command]      record the sweep's needs (SetNeeds)
//	submit                              the spec in the input (its refine rules included)
//	lease NAME worker=W [sweeps=(a,b)]  lease the next trial to W; the grant is called NAME;
//	      [gpus=G] [commands]           the request offers G GPUs, and runs commands
//	heartbeat NAME                      heartbeat the grant NAME
//	complete NAME status=S [reason=R]   complete it with status S and the result in the input
//	         [lease=ID] [token=N]       (forged: another lease id, or another token)
//	         [stderr=TEXT]              with a stderr tail (- for spaces)
//	release NAME                        release it
//	  heartbeat, complete and release take [as=W] [secret=none|wrong]: a
//	  claim on the grant from worker W (not the grant's), without the
//	  lease's secret or with another one (a forged call on another's lease)
//	release-all                         release every active lease
//	advance DURATION                    move the clock on and expire overdue leases
//	cancel SWEEP, requeue SWEEP         cancel the sweep, requeue its failed trials
//	refine SWEEP                        add the trials its refine rules call for
//	trials SWEEP, progress SWEEP        print the sweep's trials, its counts
//	brackets SWEEP, verdicts SWEEP      print refinement's brackets, point verdicts
//	restart [down=DURATION]             rebuild the scheduler from the store after DURATION
//	                                    (no expiry meanwhile), with lease grace
//
// Times print as offsets from the script's start (t+30s).
func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		e := newEnv(t)
		datadriven.RunTest(t, path, e.run)
	})
}

const ttl = 30 * time.Second

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// env is a script's world: the scheduler, its clock, the store it commits
// to, the refiner and the grants by name.
type env struct {
	t       *testing.T
	s       *scheduler.Scheduler
	now     time.Time
	store   state.Store
	refiner *refine.Refiner
	specs   map[string]*sweeps.Spec
	grants  map[string]*state.Grant
	secrets byte // lease secrets drawn
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, s: scheduler.New(ttl, 1), now: epoch, store: state.NewMemoryStore(),
		refiner: refine.New(), specs: map[string]*sweeps.Spec{}, grants: map[string]*state.Grant{}}
	e.s.SetSecretSource(e.nextSecret)
	return e
}

// nextSecret draws reproducible lease secrets: 1, 2, ... in the first
// byte.
func (e *env) nextSecret() state.LeaseSecret {
	e.secrets++
	return state.LeaseSecret{e.secrets}
}

// claim is the claim a heartbeat, complete or release command makes on
// the grant g: g's own, or a forged one (as=W, secret=none|wrong).
func (e *env) claim(d *datadriven.TestData, g *state.Grant) state.LeaseClaim {
	c := g.Claim()
	if arg, ok := d.Arg("as"); ok {
		c.Worker = arg.SingleVal(e.t)
	}
	if arg, ok := d.Arg("secret"); ok {
		switch arg.SingleVal(e.t) {
		case "none":
			c.Secret = state.LeaseSecret{}
		case "wrong":
			c.Secret[1]++
		default:
			e.t.Fatalf("%s: secret=%s: want none or wrong", d.Pos, arg.SingleVal(e.t))
		}
	}
	return c
}

// apply applies a change and commits it, as the engine does, and returns
// its records, one per line.
func (e *env) apply(ch *state.Change) string {
	if ch.Empty() {
		return ""
	}
	e.s.Apply(ch)
	if err := e.store.Commit(context.Background(), ch); err != nil {
		e.t.Fatalf("commit: %v", err)
	}
	var b strings.Builder
	for _, nt := range ch.New {
		for j := range nt.Keys {
			t, err := nt.Record(j)
			if err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintf(&b, "new %s\n", e.trialLine(t))
		}
	}
	for _, t := range ch.Trials {
		fmt.Fprintf(&b, "put %s\n", e.trialLine(t))
	}
	for _, s := range ch.Sweeps {
		if s.Needs != (state.Needs{}) {
			fmt.Fprintf(&b, "sweep %s needs gpus=%d command=%v\n", s.Name, s.Needs.GPUs, s.Needs.Command)
		}
	}
	for _, r := range ch.Results {
		if r.JSON == nil {
			fmt.Fprintf(&b, "drop result %s\n", e.name(r.Sweep, r.Key))
		} else {
			fmt.Fprintf(&b, "result %s %s\n", e.name(r.Sweep, r.Key), r.JSON)
		}
	}
	for _, r := range ch.Tails {
		if r.Text == "" {
			fmt.Fprintf(&b, "drop stderr tail %s\n", e.name(r.Sweep, r.Key))
		} else {
			fmt.Fprintf(&b, "stderr tail %s %q\n", e.name(r.Sweep, r.Key), r.Text)
		}
	}
	if ch.NextToken != 0 {
		fmt.Fprintf(&b, "next token %d\n", ch.NextToken)
	}
	return b.String()
}

// name shows a trial: sweep/key, or sweep/point for a spec's trial.
func (e *env) name(sweep, key string) string {
	if e.specs[sweep] == nil {
		return sweep + "/" + key
	}
	t, err := e.store.Trial(context.Background(), sweep, key)
	if err != nil {
		return sweep + "/" + key
	}
	var p sweeps.Point
	if json.Unmarshal(t.Point, &p) != nil {
		return sweep + "/" + key
	}
	return sweep + "/" + strings.ReplaceAll(p.String(), " ", ",")
}

// trialLine prints a trial's state on one line.
func (e *env) trialLine(t state.TrialRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s #%d %s attempts=%d", e.name(t.Sweep, t.Key), t.Index, t.Status, t.Attempts)
	if t.Expiries > 0 {
		fmt.Fprintf(&b, " expiries=%d", t.Expiries)
	}
	if t.Token != 0 {
		fmt.Fprintf(&b, " token=%d", t.Token)
	}
	if t.LeaseState != state.LeaseNone {
		fmt.Fprintf(&b, " lease=%s", t.LeaseState)
	}
	if !t.LeaseExpiry.IsZero() {
		fmt.Fprintf(&b, " expires=%s", e.at(t.LeaseExpiry))
	}
	if t.Worker != "" {
		fmt.Fprintf(&b, " worker=%s", t.Worker)
	}
	if t.StopRequested {
		b.WriteString(" stop")
	}
	if t.Value != nil {
		fmt.Fprintf(&b, " value=%g", *t.Value)
	}
	if t.Reason != "" {
		fmt.Fprintf(&b, " reason=%q", t.Reason)
	}
	return b.String()
}

// at shows a time as an offset from the script's start.
func (e *env) at(t time.Time) string { return "t+" + t.Sub(epoch).String() }

func (e *env) run(t *testing.T, d *datadriven.TestData) string {
	e.t = t
	switch d.Cmd {
	case "sweep":
		var n, attempts int
		d.ScanArgs(t, "trials", &n)
		d.ScanArgs(t, "attempts", &attempts)
		var in state.InputList
		for i := range n {
			in = append(in, state.TrialInputs{Key: fmt.Sprintf("k%02d", i),
				Params: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), Point: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
		}
		rec := state.SweepRecord{Name: d.CmdArgs[0].Key, Axes: []string{"i"}, MaxAttempts: attempts, Needs: needsArgs(t, d)}
		ch, res, err := e.s.Submit(e.now, rec, in)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("added %d of %d\n", res.Added, res.Total) + e.applySummary(ch)
	case "needs":
		ch := e.s.SetNeeds(d.CmdArgs[0].Key, needsArgs(t, d))
		if ch == nil {
			return "unchanged\n"
		}
		return e.apply(ch)
	case "submit":
		spec, err := sweeps.Parse("spec.yaml", []byte(d.Input), sweeps.Options{})
		if err != nil {
			return "error: " + err.Error()
		}
		grid, err := spec.Grid()
		if err != nil {
			return "error: " + err.Error()
		}
		rec := state.SweepRecord{Name: spec.Name, Source: d.Input, MaxAttempts: spec.MaxAttempts()}
		ch, res, err := e.s.Submit(e.now, rec, grid)
		if err != nil {
			return "error: " + err.Error()
		}
		e.specs[spec.Name] = spec
		return fmt.Sprintf("added %d of %d\n", res.Added, res.Total) + e.applySummary(ch)
	case "lease":
		var worker string
		d.ScanArgs(t, "worker", &worker)
		var offer state.Offer
		if arg, ok := d.Arg("sweeps"); ok {
			offer.Sweeps = arg.Vals
		}
		d.MaybeScanArgs(t, "gpus", &offer.GPUs)
		offer.Commands = d.HasArg("commands")
		ch, g := e.s.LeaseOffer(e.now, worker, offer)
		if g == nil {
			return "no trial\n"
		}
		e.grants[d.CmdArgs[0].Key] = g
		gpus := ""
		if g.GPUs > 0 {
			gpus = fmt.Sprintf(", gpus %d", g.GPUs)
		}
		return fmt.Sprintf("%s: %s attempt %d, token %d, ttl %s%s\n", d.CmdArgs[0].Key, e.name(g.Trial.Sweep, g.Trial.Key),
			g.Trial.Attempts, g.Token, g.TTL, gpus) + e.apply(ch)
	case "heartbeat":
		g := e.grant(d)
		ch, beat, err := e.s.Heartbeat(e.now, e.claim(d, g))
		if err != nil {
			return "error: " + err.Error()
		}
		out := fmt.Sprintf("ttl %s\n", beat.TTL)
		if beat.Stop {
			out = fmt.Sprintf("stop: %s\n", beat.Reason)
		}
		return out + e.apply(ch)
	case "complete":
		g := e.grant(d)
		var status, reason, stderr string
		d.ScanArgs(t, "status", &status)
		d.MaybeScanArgs(t, "reason", &reason)
		d.MaybeScanArgs(t, "stderr", &stderr)
		c := state.Completion{LeaseClaim: e.claim(d, g), Status: state.Status(status),
			Reason: strings.ReplaceAll(reason, "-", " "), StderrTail: strings.ReplaceAll(stderr, "-", " ")}
		if in := strings.TrimSpace(d.Input); in != "" {
			c.Result = []byte(in)
			if v, ok := verdict.Default().Result(c.Result); ok { // as the engine reads the metric
				c.Value = &v
			}
		}
		if arg, ok := d.Arg("lease"); ok { // a forged completion: another lease id, its token
			c.LeaseID, c.Token = arg.SingleVal(t), 1
			if _, _, tok, ok := state.ParseLeaseID(c.LeaseID); ok {
				c.Token = tok
			}
		}
		if arg, ok := d.Arg("token"); ok { // a token that is not the lease id's
			arg.Scan(t, 0, &c.Token)
		}
		ch, ack, err := e.s.Complete(e.now, c)
		switch {
		case err != nil:
			return "error: " + err.Error()
		case ack.Duplicate:
			return "duplicate\n" + e.apply(ch)
		}
		return e.apply(ch)
	case "release":
		g := e.grant(d)
		ch, err := e.s.Release(e.now, e.claim(d, g))
		if err != nil {
			return "error: " + err.Error()
		}
		if ch == nil {
			return "no-op\n"
		}
		return e.apply(ch)
	case "release-all":
		ch, n := e.s.ReleaseAll(e.now)
		return fmt.Sprintf("released %d\n", n) + e.apply(ch)
	case "advance":
		var dur time.Duration
		var err error
		if dur, err = time.ParseDuration(d.CmdArgs[0].Key); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(dur)
		out := "now " + e.at(e.now) + "\n" + e.apply(e.s.Expire(e.now))
		if next, ok := e.s.NextExpiry(); ok {
			out += "next expiry " + e.at(next) + "\n"
		}
		return out
	case "cancel":
		ch, n, err := e.s.Cancel(e.now, d.CmdArgs[0].Key)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("cancelled or stopping %d\n", n) + e.apply(ch)
	case "requeue":
		ch, n, err := e.s.RequeueFailed(e.now, d.CmdArgs[0].Key)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("requeued %d\n", n) + e.apply(ch)
	case "refine":
		name := d.CmdArgs[0].Key
		ch, err := e.refiner.Refine(context.Background(), e.s, e.now, e.specs[name], nil, e.store)
		if err != nil {
			return "error: " + err.Error()
		}
		if ch == nil {
			return "nothing to add\n"
		}
		return e.apply(ch)
	case "brackets":
		brs, err := e.refiner.Brackets(context.Background(), e.s, e.specs[d.CmdArgs[0].Key], e.store)
		if err != nil {
			return "error: " + err.Error()
		}
		var b strings.Builder
		for _, br := range brs {
			fmt.Fprintf(&b, "%s (%s %g, %s %g, depth %d)\n", br, br.LowerVerdict, br.LowerMedian, br.UpperVerdict, br.UpperMedian, br.Depth)
		}
		return b.String()
	case "verdicts":
		pvs, err := e.refiner.Verdicts(context.Background(), e.s, e.specs[d.CmdArgs[0].Key], e.store)
		if err != nil {
			return "error: " + err.Error()
		}
		var b strings.Builder
		for _, pv := range pvs {
			fmt.Fprintf(&b, "%s: %s\n", pv.Point, pv.Judgement.Verdict)
		}
		return b.String()
	case "trials":
		name := d.CmdArgs[0].Key
		var b strings.Builder
		var keys []string
		for br := range e.s.Briefs(name) {
			keys = append(keys, br.Key)
		}
		for _, k := range keys {
			tr, _ := e.s.Trial(name, k)
			fmt.Fprintln(&b, e.trialLine(tr))
		}
		return b.String()
	case "progress":
		p, err := e.s.Progress(d.CmdArgs[0].Key)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("total %d: pending %d, running %d, done %d, failed %d, timeout %d, diverged %d, cancelled %d; finished %v\n",
			p.Total, p.Pending, p.Running, p.Done, p.Failed, p.Timeout, p.Diverged, p.Cancelled, p.Finished)
	case "restart":
		if arg, ok := d.Arg("down"); ok {
			dur, err := time.ParseDuration(arg.SingleVal(t))
			if err != nil {
				t.Fatal(err)
			}
			e.now = e.now.Add(dur)
		}
		snap, err := e.store.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(snap.Trials, func(a, b state.TrialRecord) int { return strings.Compare(b.Key, a.Key) }) // any order
		s, err := scheduler.FromSnapshot(ttl, snap)
		if err != nil {
			return "error: " + err.Error()
		}
		e.s = s
		e.s.SetSecretSource(e.nextSecret)
		return "restored at " + e.at(e.now) + "\n" + e.apply(s.RestoreGrace(e.now))
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return ""
}

// applySummary applies a submission's change and summarises it (its new
// trials are listed with trials).
func (e *env) applySummary(ch *state.Change) string {
	e.apply(ch)
	n := 0
	for _, nt := range ch.New {
		n += len(nt.Keys)
	}
	return fmt.Sprintf("%d new trials, pending\n", n)
}

// needsArgs reads a command's gpus=G and command arguments.
func needsArgs(t *testing.T, d *datadriven.TestData) state.Needs {
	var n state.Needs
	d.MaybeScanArgs(t, "gpus", &n.GPUs)
	n.Command = d.HasArg("command")
	return n
}

// grant returns the grant named by the command's first argument.
func (e *env) grant(d *datadriven.TestData) *state.Grant {
	g := e.grants[d.CmdArgs[0].Key]
	if g == nil {
		e.t.Fatalf("%s: no grant %q", d.Pos, d.CmdArgs[0].Key)
	}
	return g
}
