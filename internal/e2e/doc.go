// Package e2e holds pinnsweep's end-to-end tests. They build the real
// binary once (TestMain, into a temporary directory; PINNSWEEP_E2E_RACE=1
// builds it with the race detector), start real processes (`pinnsweep
// serve`, `work`, `submit`, `export`, `run`) talking gRPC over loopback TCP,
// train real networks with the tiny budgets of sweeps/examples/quick.yaml
// and testdata/*.yaml, and kill, freeze and restart them.
//
// # Exactly once
//
// A trial has run exactly once when all of these hold:
//
//   - the export (of the database file and, live, over gRPC) has one entry
//     per grid point, each done with a result;
//   - attempts = 1: the coordinator counts every lease as an attempt, so
//     no trial was leased twice;
//   - the workers' JSON logs have one "trial leased" and one accepted
//     "trial completed" (duplicate=false) per trial, from the worker the
//     export names;
//   - the coordinator's log has one "trial completed" per trial (it logs
//     one line per committed, non-duplicate completion).
//
// A refined sweep (testdata/refine.yaml) adds trials as results arrive;
// killing `run` mid-refinement and running it again must add no refined
// trial twice and finish the bisection.
//
// After a coordinator or `run` process is killed, a trial that was running
// may legitimately run again; a trial that was done must not: its result
// must be byte-identical after the restart and it must not be leased again.
//
// # Running
//
//	go test -race ./internal/e2e/
//
// The package takes about 20–30 s on two cores (most of it building the
// binary and training); -short skips it.
package e2e
