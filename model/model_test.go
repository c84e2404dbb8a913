package model

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// full selects the configurations of make model instead of the bounded
// ones of make test.
var full = flag.Bool("model.full", false, "check the full configurations (make model) instead of the bounded ones")

// config is one set of bounds of lease.pml (README.md, "Bounds").
type config struct {
	name string
	// bounds are the cpp macros of lease.pml, all of them spelt out.
	bounds []string
	// liveness also checks ltl eventually_final (pan -a).
	liveness bool
	// opt, hashBits and memLimitMB tune the search (see search).
	opt                  string
	hashBits, memLimitMB int
}

// bounds spells out a configuration's cpp macros.
func bounds(nt, nw, att, crash, kill, rel, to, hb, batch int) []string {
	return []string{
		fmt.Sprint("NT=", nt), fmt.Sprint("NW=", nw), fmt.Sprint("MAXATT=", att),
		fmt.Sprint("MAXCRASH=", crash), fmt.Sprint("MAXKILL=", kill), fmt.Sprint("MAXREL=", rel),
		fmt.Sprint("MAXTO=", to), fmt.Sprint("MAXHB=", hb), fmt.Sprint("MAXBATCH=", batch),
	}
}

// boundedConfigs run in make test: seconds each. Together they put every
// fault next to a second worker and a second trial.
var boundedConfigs = []config{
	{name: "1 trial, 2 workers, every fault", bounds: bounds(1, 2, 2, 1, 1, 1, 1, 1, 2), liveness: true, hashBits: 20},
	{name: "2 trials, 1 worker, every fault", bounds: bounds(2, 1, 2, 1, 1, 1, 1, 1, 2), liveness: true, hashBits: 20},
	{name: "2 trials, 2 workers, a crash", bounds: bounds(2, 2, 2, 1, 0, 0, 0, 1, 1), hashBits: 20},
	// The coordinator's handling of a failed commit (lease.pml, "A failed
	// commit"): roll back after a clean failure, stop after an unknown one.
	{name: "2 trials, 2 workers, a failed commit, batches of 2", bounds: append(bounds(2, 2, 2, 1, 0, 0, 0, 1, 2), "MAXFAIL=1"),
		liveness: true, hashBits: 20},
}

// fullConfigs run in make model: a larger sweep, more workers, more
// crashes, each with every fault its size affords (minutes each).
var fullConfigs = []config{
	{name: "2 trials, 2 workers, every fault, batches of 2", bounds: bounds(2, 2, 2, 1, 1, 1, 1, 1, 2),
		liveness: true, opt: "-O2", hashBits: 25, memLimitMB: 8000},
	{name: "3 trials, 2 workers, crash and kill", bounds: bounds(3, 2, 2, 1, 1, 0, 0, 1, 1),
		opt: "-O2", hashBits: 25, memLimitMB: 8000},
	{name: "2 trials, 3 workers, crash and kill", bounds: bounds(2, 3, 2, 1, 1, 0, 0, 1, 1),
		opt: "-O2", hashBits: 24, memLimitMB: 8000},
	{name: "2 trials, 2 workers, 2 crashes, 3 attempts, kill", bounds: bounds(2, 2, 3, 2, 1, 0, 0, 1, 1),
		opt: "-O2", hashBits: 24, memLimitMB: 8000},
	{name: "2 trials, 2 workers, every fault, a failed commit", bounds: append(bounds(2, 2, 2, 1, 1, 1, 1, 1, 2), "MAXFAIL=1"),
		liveness: true, opt: "-O2", hashBits: 25, memLimitMB: 8000},
}

// TestModel checks the lease protocol exhaustively in each configuration:
// no assertion fails (the safety properties of README.md), no run ends
// with a trial that is not final or a worker waiting for an answer
// (invalid end states, and the Quiescence assertions), and, where the
// configuration says so, no run avoids ending with every trial final
// (ltl eventually_final, which also rules out cycles).
func TestModel(t *testing.T) {
	requireTools(t)
	configs := boundedConfigs
	if *full {
		configs = fullConfigs
	}
	var (
		mu   sync.Mutex
		rows []string // the figures, for RELIABILITY.md
	)
	add := func(c config, kind string, o outcome) {
		mu.Lock()
		defer mu.Unlock()
		rows = append(rows, row(c, kind, o))
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			if !*full {
				t.Parallel()
			}
			s := search{defines: c.bounds, opt: c.opt, hashBits: c.hashBits, memLimitMB: c.memLimitMB}
			o := s.run(t)
			check(t, "safety", o)
			t.Logf("%s: safety: %s", strings.Join(c.bounds, " "), o.figures())
			add(c, "safety", o)
			if !c.liveness {
				return
			}
			s.liveness = true
			o = s.run(t)
			check(t, "liveness", o)
			t.Logf("%s: liveness: %s", strings.Join(c.bounds, " "), o.figures())
			add(c, "liveness", o)
		})
	}
	t.Cleanup(func() {
		if *full {
			t.Logf("figures (RELIABILITY.md):\n| configuration | NT NW MAXATT MAXCRASH MAXKILL MAXREL MAXTO MAXHB MAXBATCH MAXFAIL | search | states stored | transitions | depth | memory | time (pan) |\n|---|---|---|---|---|---|---|---|\n%s",
				strings.Join(rows, "\n"))
		}
	})
}

// check fails the test unless the search was exhaustive and found nothing.
func check(t *testing.T, kind string, o outcome) {
	t.Helper()
	if o.Errors > 0 {
		t.Fatalf("%s: Spin found a counterexample: %s\n%s", kind, o.Violation, o.Trail)
	}
	if o.Incomplete != "" {
		t.Fatalf("%s: the search is not exhaustive: %s\n%s", kind, o.Incomplete, o.Output)
	}
}

// row formats a search's figures as a row of RELIABILITY.md's table.
func row(c config, kind string, o outcome) string {
	var values []string
	for _, b := range c.bounds {
		values = append(values, b[strings.IndexByte(b, '=')+1:])
	}
	if !slices.ContainsFunc(c.bounds, func(b string) bool { return strings.HasPrefix(b, "MAXFAIL=") }) {
		values = append(values, "0")
	}
	return fmt.Sprintf("| %s | %s | %s | %d | %d | %d | %.0f MB | %.0f s |",
		c.name, strings.Join(values, " "), kind, o.States, o.Transitions, o.Depth, o.MemoryMB, o.Seconds)
}

// mutationBounds is where the mutations are searched: two trials, two
// workers, a coordinator crash and a worker kill.
var mutationBounds = bounds(2, 2, 2, 1, 1, 0, 0, 1, 1)

// TestMutations breaks the protocol one way at a time (a switch of
// lease.pml) and requires Spin to find a counterexample that violates one
// of the properties that the break must violate: first with every
// property, then (for breaks of one scheduler operation) with the
// end-to-end properties alone, to show that the break is visible to
// workers and in the database, not only in the operation's own
// assertion. If Spin stops finding one, the model or its properties have
// gone blind.
func TestMutations(t *testing.T) {
	requireTools(t)
	endToEnd := []string{"ack_is_stored", "one_result", "final_is_final", "store_invariant"}
	for _, m := range []struct {
		define   string
		extra    []string // more defines
		liveness bool
		want     []string // properties, one of which must be violated
		wantE2E  []string // the same with END_TO_END_ONLY; nil: not run
	}{
		// A worker back from the dead completes with its expired lease's
		// token after the trial was leased again.
		{define: "NO_TOKEN_CHECK", want: []string{"no_stale_overwrite"}, wantE2E: endToEnd},
		// A result arrives for a lease that expired (the trial failed or
		// went back to the queue) and is accepted.
		{define: "NO_LEASE_CHECK", want: []string{"no_stale_overwrite"}, wantE2E: endToEnd},
		// A requeued trial is leased again with its old token, so the old
		// holder's calls pass the token check.
		{define: "NO_TOKEN_BUMP", want: []string{"heartbeat_fenced", "no_stale_overwrite", "release_fenced"}, wantE2E: endToEnd},
		// The coordinator answers before the commit and crashes.
		{define: "ACK_BEFORE_COMMIT", want: []string{"ack_is_stored"}},
		// Leases of dead workers never end: a trial is lost.
		{define: "NO_EXPIRY", want: []string{"no_lost_trial", "no_stuck_worker", "invalid end state"}},
		{define: "NO_EXPIRY", liveness: true, want: []string{"acceptance cycle"}},
		// The handling of a failed commit before issue 15 (failing I/O):
		// roll back in memory and go on serving while the file may hold
		// the batch after all (a failed fsync of the meta page). The
		// memory no longer matches the file, and a recorded outcome is
		// replaced or the token counter falls below a stored token (the
		// file then does not open). Without the switch such a commit
		// stops the coordinator, which restarts from the file.
		{define: "COMMIT_FAILURE_CONTINUES", extra: []string{"MAXFAIL=1"},
			want: []string{"memory_is_disk"}, wantE2E: endToEnd},
	} {
		name := m.define
		if m.liveness {
			name += "/liveness"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defines := append(append(slices.Clone(mutationBounds), m.define), m.extra...)
			s := search{defines: defines, liveness: m.liveness, hashBits: 20, shortest: true}
			refuted(t, s, m.want)
			if m.wantE2E != nil {
				s.defines = append(s.defines, "END_TO_END_ONLY")
				refuted(t, s, m.wantE2E)
			}
		})
	}
}

// refuted requires the search to find a counterexample to one of want.
func refuted(t *testing.T, s search, want []string) {
	t.Helper()
	o := s.run(t)
	if o.Errors == 0 {
		t.Fatalf("%s: Spin found no counterexample (%s); want one violating %s",
			strings.Join(s.defines, " "), o.figures(), strings.Join(want, " or "))
	}
	if !slices.Contains(want, o.Property) {
		t.Fatalf("%s: Spin's counterexample violates %q (%s); want %s\n%s",
			strings.Join(s.defines, " "), o.Property, o.Violation, strings.Join(want, " or "), o.Trail)
	}
	t.Logf("%s: Spin refutes %s (%s); its shortest counterexample:\n%s",
		strings.Join(s.defines, " "), o.Property, o.figures(), o.Trail)
}
