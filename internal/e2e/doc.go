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
// # Faults
//
// Beyond the single-fault tests (e2e_test.go), chaos_test.go's TestChaos
// drives a sweep through many faults at once: workers SIGKILLed and
// replaced, the coordinator SIGKILLed and restarted, workers SIGSTOPped
// past the lease TTL, in an order drawn from a seeded RNG (flags
// -chaos.*; `make chaos` runs the long variant of RELIABILITY.md).
// netns_test.go cuts the network between a coordinator and its workers in
// separate network namespaces (root only). shutdown_test.go covers SIGTERM on a worker and on the
// coordinator, and wall-time budgets and divergence. diskfull_test.go puts
// the coordinator's database, or a worker's log, working directory and
// TMPDIR, on a small tmpfs and fills it mid-sweep; syncfail_test.go puts
// the database on internal/faultfs and fails a write, a data-page sync or
// the meta page's sync (the ambiguous commit after which the coordinator
// exits for a restart); links_test.go puts a TCP fault proxy (toxiproxy,
// embedded) between the workers and the coordinator and adds latency, a
// bandwidth limit, resets and a half-open link (flags -links.* vary the
// latency and TTL). The netns, tmpfs and FUSE tests need root and skip,
// saying why, elsewhere, unless PINNSWEEP_REQUIRE_FAULTS=1 (set by
// .ci/run) makes that a failure. After each, `pinnsweep check` must pass on the
// database (bbolt's check and the store's invariants), and every
// completion acknowledged to a worker must be the stored one: same worker,
// same fencing token.
//
// # Command trials
//
// command_test.go runs sweeps of the user's own programs: a
// standard-library Python script (testdata/command/trial.py) whose modes
// succeed, fail with a traceback, write no result, or sleep with a
// grandchild; a worker SIGKILLed mid-trial must leave no process of its
// trials behind (read from /proc), the coordinator is SIGKILLed and
// restarted, and `status` and the exports must show the failing script's
// stderr. The PyTorch example (examples/pytorch-pinn) runs too, cut to
// two short trials, where python3-torch is installed (CI installs it:
// PINNSWEEP_REQUIRE_PYTHON=1 fails rather than skips without it).
// chaos_command_test.go is TestChaos for command trials (`make
// chaos-command` runs the PyTorch sweep under it).
//
// # Running
//
//	go test -race ./internal/e2e/
//
// The package takes about 4 minutes under -race on the shared two-core
// machine (building the binary, training, the short chaos run and the
// storage and link fault tests); -short skips it.
package e2e
