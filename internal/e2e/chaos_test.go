package e2e

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Parameters of TestChaos. The defaults are the short variant that `make
// test` runs; `make chaos` runs the long one (see RELIABILITY.md).
var (
	chaosTrials      = flag.Int("chaos.trials", 40, "TestChaos: trials in the sweep")
	chaosWorkers     = flag.Int("chaos.workers", 4, "TestChaos: worker processes (one slot each)")
	chaosWorkerKills = flag.Int("chaos.worker-kills", 6, "TestChaos: workers SIGKILLed (and restarted)")
	chaosCoordKills  = flag.Int("chaos.coord-kills", 1, "TestChaos: coordinator SIGKILLs (and restarts)")
	chaosStops       = flag.Int("chaos.stops", 1, "TestChaos: workers SIGSTOPped past the lease TTL, then SIGCONTed")
	chaosIters       = flag.Int("chaos.iters", 1000, "TestChaos: trainer iterations per trial (a trial's length)")
	chaosTTL         = flag.Duration("chaos.ttl", 2*time.Second, "TestChaos: the coordinator's lease TTL")
	chaosSeed        = flag.Uint64("chaos.seed", 0, "TestChaos: seed of the fault schedule (0: from the clock)")
	chaosTimeout     = flag.Duration("chaos.timeout", 8*time.Minute, "TestChaos: bound on the sweep under faults")
	chaosCommand     = flag.String("chaos.command", "", "TestChaos: run a command sweep of examples/EXAMPLE instead of built-in trials: pytorch-pinn (needs python3-torch; -chaos.iters sets its L-BFGS iterations) or minimal (standard library); -chaos.trials is rounded to a multiple of the example's 18 grid points")
)

// chaosSpec is the sweep of TestChaos: trials of a tiny network that run
// a fixed number of iterations (no convergence stop), with retries enough
// for every lease a kill costs.
const chaosSpec = `name: chaos
fixed:
  pde: convection
  ic: sin
  nf: 50
  layers: [8]
  tol_change: 0
  tol_grad: 0
replicates: %d
retries: 50
budget:
  iterations: %d
  seconds: 120
`

// chaosRun is the state of one TestChaos run: the processes, every
// incarnation of each, and the figures.
type chaosRun struct {
	t        *testing.T
	dir, db  string
	addr     string
	ttl      time.Duration
	rng      *rand.Rand
	coord    *proc   // the live coordinator
	coords   []*proc // every coordinator incarnation
	slots    []*proc // the live worker of each slot
	workers  []*proc // every worker incarnation
	restarts []int   // per slot

	workerKills, coordKills, stops int
	frozen                         map[string]bool // ids of the workers SIGSTOPped

	// Of a command sweep (-chaos.command): the Python interpreter, the
	// trial program's path (on the command line of every trial process,
	// shims and programs), and the programs' Python processes that were
	// running under the SIGKILLed workers, counted before each kill.
	python, program string
	killedPythons   int
}

// startWorker starts the next incarnation of slot i's worker, with a new id.
func (r *chaosRun) startWorker(i int) {
	id := fmt.Sprintf("w%d.%d", i, r.restarts[i])
	args := []string{"work", "--coordinator", r.addr, "--slots", "1", "--id", id, "--log-json"}
	if r.program != "" {
		args = append(args, "--allow-exec", r.python, "--work-dir", filepath.Join(r.dir, "work-"+id), "--kill-grace", "2s")
	}
	w := start(r.t, r.dir, id, args...)
	r.slots[i] = w
	r.workers = append(r.workers, w)
}

func (r *chaosRun) startCoordinator() {
	listen := r.addr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	extra := []string{"--lease-ttl", r.ttl.String()}
	if r.program != "" {
		extra = append(extra, "--allow-command-specs")
	}
	c, addr := serve(r.t, r.dir, r.db, listen, extra...)
	r.coord, r.addr = c, addr
	r.coords = append(r.coords, c)
}

// pause sleeps a random time in [lo, hi).
func (r *chaosRun) pause(lo, hi time.Duration) {
	time.Sleep(lo + time.Duration(r.rng.Int64N(int64(hi-lo))))
}

// leaseHolder returns a random live worker whose log says it holds a
// lease (its last trial event is "trial leased"), or any live worker if
// none does.
func (r *chaosRun) leaseHolder() *proc {
	var holders []*proc
	for _, w := range r.slots {
		last := ""
		for _, l := range w.logs() {
			switch m := l.msg(); m {
			case "trial leased", "trial completed", "trial released", "result rejected as stale; dropped", "trial abandoned: its lease was lost":
				last = m
			}
		}
		if last == "trial leased" {
			holders = append(holders, w)
		}
	}
	if len(holders) == 0 {
		holders = r.slots
	}
	return holders[r.rng.IntN(len(holders))]
}

// fault runs one fault: 'w' SIGKILLs a random worker and starts a new one
// in its slot, 'c' SIGKILLs the coordinator and restarts it on the same
// address and database, 's' SIGSTOPs a random worker that holds a lease
// past the lease TTL and SIGCONTs it.
func (r *chaosRun) fault(kind byte) {
	switch kind {
	case 'w':
		i := r.rng.IntN(len(r.slots))
		if r.program != "" {
			r.killedPythons += r.pythons(descendantsOf(r.t, r.program, r.slots[i].cmd.Process.Pid))
		}
		r.slots[i].kill()
		r.workerKills++
		r.pause(0, 300*time.Millisecond)
		r.restarts[i]++
		r.startWorker(i)
		if r.program != "" {
			r.noOrphans("after the SIGKILL of worker " + r.workers[len(r.workers)-2].name)
		}
	case 'c':
		r.coord.kill()
		r.coordKills++
		r.pause(200*time.Millisecond, time.Second)
		r.startCoordinator()
	case 's':
		w := r.leaseHolder()
		r.frozen[w.name] = true
		w.signal(syscall.SIGSTOP)
		r.stops++
		r.pause(r.ttl+time.Second, r.ttl+1500*time.Millisecond)
		w.signal(syscall.SIGCONT)
	}
}

// TestChaos runs a sweep on a coordinator process and worker processes
// while a driver injects faults: it SIGKILLs workers (starting a new one
// each time), SIGKILLs and restarts the coordinator, and SIGSTOPs workers
// past their lease TTL before SIGCONTing them. The faults come in an order
// drawn from a seeded RNG (the seed is logged; -chaos.seed replays it),
// each when a further share of the trials is done, so all of them land
// mid-sweep however fast the machine is. Afterwards:
//
//   - `pinnsweep check` passes: bbolt's check and the store's invariants;
//   - every trial is done with exactly one result (lost = 0);
//   - no trial had two accepted completions: at most one non-duplicate
//     acknowledgement in the workers' logs and one "trial completed" in
//     all the coordinators' logs (duplicates = 0);
//   - every acknowledged completion is the stored one: same worker and
//     same fencing token, so no acknowledged result was lost in a
//     coordinator kill and none was overwritten by a stale lease.
//
// With -chaos.command (`make chaos-command`) the sweep is a command sweep
// of an example's own program and spec, cut down (chaosRun.commandSpec), a
// diverged trial counts as a final outcome with its result, and the test
// also fails if a trial process — a shim or a Python program — outlives
// its SIGKILLed worker by more than the kill grace and some slack, or is
// found by `pgrep -f` once the sweep is over.
//
// The figures are logged (go test -v); RELIABILITY.md has those of `make
// chaos`.
func TestChaos(t *testing.T) {
	n := *chaosTrials
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("chaos: seed %d (replay with -chaos.seed %d)", seed, seed)
	dir := t.TempDir()
	r := &chaosRun{t: t, dir: dir, db: filepath.Join(dir, "sweeps.db"), ttl: *chaosTTL,
		rng: rand.New(rand.NewPCG(seed, 0x5eed)), slots: make([]*proc, *chaosWorkers), restarts: make([]int, *chaosWorkers), frozen: map[string]bool{}}
	spec := filepath.Join(dir, "chaos.yaml")
	src := fmt.Appendf(nil, chaosSpec, n, *chaosIters)
	if *chaosCommand != "" {
		src, n = r.commandSpec(*chaosCommand, n, *chaosIters)
		t.Logf("chaos: command sweep of examples/%s: %d trials of %s", *chaosCommand, n, r.program)
	}
	if err := os.WriteFile(spec, src, 0o600); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	r.startCoordinator()
	mustCLI(t, dir, "submit", spec, "--coordinator", r.addr)
	for i := range r.slots {
		r.startWorker(i)
	}
	c := dial(t, r.addr)

	faults := []byte(strings.Repeat("w", *chaosWorkerKills) + strings.Repeat("c", *chaosCoordKills) + strings.Repeat("s", *chaosStops))
	r.rng.Shuffle(len(faults), func(i, j int) { faults[i], faults[j] = faults[j], faults[i] })
	t.Logf("chaos: fault schedule %s (w: worker SIGKILL, c: coordinator SIGKILL, s: worker SIGSTOP past the TTL)", faults)
	deadline := time.Now().Add(*chaosTimeout)
	for i, kind := range faults {
		at := (i + 1) * n / (len(faults) + 1) // the i-th fault comes when this many trials are done
		eventually(t, time.Until(deadline), fmt.Sprintf("%d trials done (fault %d)", at, i+1), func() bool {
			p := c.progress("chaos")
			return p != nil && int(p.GetDone()) >= at
		})
		r.fault(kind)
	}
	c.waitFinished(t, "chaos", time.Until(deadline))
	sweepTime := time.Since(began)
	for _, w := range r.slots {
		w.stop()
	}
	r.coord.stop()

	if r.program != "" {
		r.noOrphansLeft()
	}

	rep := checkDB(t, dir, r.db)
	stored := storedTrials(t, r.db, "chaos")
	// A command sweep's trial may end diverged (a non-finite metric): a
	// final outcome with its result, as done is.
	final := func(status string) bool { return status == "done" || (r.program != "" && status == "diverged") }
	lost := 0
	for _, tr := range stored {
		if !final(string(tr.Status)) || len(tr.Result) == 0 {
			lost++
			t.Errorf("trial %s: %s, %d result bytes (reason %q)", tr.Key, tr.Status, len(tr.Result), tr.Reason)
		}
	}
	lost += n - len(stored)
	if rep.Trials != n || rep.Results != n || rep.ByStatus["done"]+rep.ByStatus["diverged"] != n || (r.program == "" && rep.ByStatus["done"] != n) {
		t.Errorf("check: %d trials, %d results, %v; want %d done with a result each", rep.Trials, rep.Results, rep.ByStatus, n)
	}
	if r.program == "" {
		checkAllDone(t, export(t, dir, "chaos", "--db", r.db), n)
	} else {
		checkAllFinal(t, export(t, dir, "chaos", "--db", r.db), n)
	}

	acked := acks(r.workers)
	checkAcked(t, stored, acked)
	accepted := count(r.workers, "trial completed", "trial", map[string]string{"duplicate": "false"})
	committed := count(r.coords, "trial completed", "trial", map[string]string{"status": "done"})
	for k, v := range count(r.coords, "trial completed", "trial", map[string]string{"status": "diverged"}) {
		committed[k] += v
	}
	duplicates, dupAcks := 0, 0
	for key := range stored {
		if accepted[key] > 1 || committed["chaos/"+key] > 1 {
			duplicates++
			t.Errorf("trial %s: %d completions accepted (workers' logs), %d committed (coordinators' logs)", key, accepted[key], committed["chaos/"+key])
		}
	}
	for _, a := range acked {
		if a.duplicate {
			dupAcks++
		}
	}
	leases, rerun := 0, 0
	for _, tr := range stored {
		leases += tr.Attempts
		if tr.Attempts > 1 {
			rerun++
		}
	}
	sum := func(m map[string]int) (s int) {
		for _, v := range m {
			s += v
		}
		return s
	}
	expiredBy := count(r.coords, "lease expired", "worker", nil)
	expired, frozenExpired := sum(expiredBy), 0
	for id := range r.frozen {
		frozenExpired += expiredBy[id]
	}
	stale := sum(count(r.workers, "result rejected as stale; dropped", "trial", nil)) +
		sum(count(r.workers, "trial abandoned: its lease was lost", "trial", nil))
	restarts := len(r.workers) - *chaosWorkers + len(r.coords) - 1

	t.Logf("chaos: %d trials, %d workers, seed %d, sweep under faults %.1fs", n, *chaosWorkers, seed, sweepTime.Seconds())
	t.Logf("chaos: kills: %d workers SIGKILLed, %d coordinator SIGKILLs; %d workers SIGSTOPped past the %v TTL; restarts %d (%d workers, %d coordinators)",
		r.workerKills, r.coordKills, r.stops, r.ttl, restarts, len(r.workers)-*chaosWorkers, len(r.coords)-1)
	t.Logf("chaos: leases %d (%d trials run more than once), leases expired %d (%d of them held by the workers that were SIGSTOPped), stale reports dropped %d, idempotent duplicate acks %d",
		leases, rerun, expired, frozenExpired, stale, dupAcks)
	t.Logf("chaos: results %d (%v), duplicates %d, lost %d, acknowledged completions checked %d", rep.Results, rep.ByStatus, duplicates, lost, len(acked))
	if r.program != "" {
		t.Logf("chaos: Python trial processes running in the SIGKILLed workers: %d; orphaned trial processes after each kill and at the end (pgrep -f %s): 0", r.killedPythons, r.program)
	}
	if t.Failed() {
		t.Logf("chaos: consistency check FAILED or exactly-once violated (seed %d)", seed)
	} else {
		t.Logf("chaos: consistency check passed (pinnsweep check: %d sweeps, %d trials, %d results, next token %d)", rep.Sweeps, rep.Trials, rep.Results, rep.NextToken)
	}
	if r.stops > 0 && frozenExpired == 0 {
		t.Error("no lease of a SIGSTOPped worker expired")
	}
	if r.workerKills != *chaosWorkerKills || r.coordKills != *chaosCoordKills || r.stops != *chaosStops {
		t.Errorf("faults injected: %d, %d, %d; want %d, %d, %d", r.workerKills, r.coordKills, r.stops, *chaosWorkerKills, *chaosCoordKills, *chaosStops)
	}
}
