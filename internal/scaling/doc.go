// Command scaling measures how pinnsweep scales on one machine. It is a
// benchmark program, not part of the product, and not run by make test.
//
// Three measurements, each a subcommand:
//
//	go run ./internal/scaling slots   [-bin bin/pinnsweep] [-max-slots N] [-trials N] [-evals N] [-reps N]
//	go run ./internal/scaling million [-bin bin/pinnsweep] [-trials 1000000] [-dispatch 20000] [-slots 16]
//
// slots runs the same set of real paper-configuration trials (convection
// β = 1, a 2-50-50-50-50-1 tanh network, N_f = 1000, L-BFGS with its
// tolerances off so that every trial runs exactly -evals loss evaluations)
// through `pinnsweep run --slots S` for S = 1, 2, 4, 8, 16 up to -max-slots
// (default: the number of CPUs), and reports throughput (trials per second
// of the whole run) and parallel efficiency, throughput(S) / (S ×
// throughput(1)). Slot counts above the number of cores are oversubscribed.
// It also reports the run's CPU time per trial, which other load on the
// machine disturbs less than the wall time: when it grows with S, the slots
// slow each other down (memory bandwidth, caches), not only the machine.
//
// million starts `pinnsweep serve` as a child process, submits a sweep of
// -trials trials (a SubmitSweep call), and reports the coordinator's
// resident memory (VmRSS and peak VmHWM from /proc, and ru_maxrss of the
// exited process), the submit time, the database size, the dispatch rate of
// the first -dispatch trials to in-process no-op workers (worker.NoopRunner)
// over gRPC, and the resume time: from starting `pinnsweep serve` on the
// existing database to its first SERVING answer of the gRPC health service
// and its first ListSweeps answer.
//
// refused starts `pinnsweep serve` with an admin token and sends it
// -calls concurrent callers × -rounds SubmitSweep calls of -size bytes (just
// under the 16 MiB message limit) without a token, each caller on its own
// connection, and reports the coordinator's resident memory before, at
// its peak and after, and the CPU time it spent refusing them
// (RELIABILITY.md, "Callers without credentials"):
//
//	go run ./internal/scaling refused [-bin bin/pinnsweep] [-calls 16] [-rounds 8] [-size BYTES]
//
// They print Markdown tables to stdout and progress to stderr; `make
// scaling` and `make scale-1m` run them (BENCHMARKS.md, "Scaling").
package main
