// Package worker runs pinnsweep trials leased from a coordinator.
//
// A worker connects to the coordinator's WorkerService over gRPC and runs
// Options.Slots trials at once. Run blocks until its context is done.
//
//	err := worker.Run(ctx, worker.Options{
//		Coordinator: "coord.example:7070",
//		Slots:       2,
//		Runner:      worker.TrainerRunner{},
//		Logger:      logger,
//	})
//
// # Protocol
//
// Each slot loops over the lease protocol of pinnsweep.v1:
//
//  1. Lease: a unary long-poll (Options.LeaseWait, 30 s by default) that
//     carries the worker id, its free slots, the sweeps it accepts
//     (Options.Sweeps; empty: any), the GPUs a GPU slot offers and whether
//     it runs command trials, and returns a trial with a lease id, a
//     fencing token, the lease TTL and a wall-time budget, or nothing ("ask
//     again").
//  2. Run the trial with a context that is cancelled when the budget runs
//     out, the coordinator says stop, the lease is lost or the worker stops.
//  3. Heartbeat every Options.HeartbeatEvery (by default a third of the
//     TTL, at most 5 s) with the latest evaluation count and loss; an answer
//     with stop set cancels the trial, and a FailedPrecondition or NotFound
//     error (a stale lease) abandons it.
//  4. Complete with the fencing token and the outcome, asking for the
//     slot's next trial in the same call (CompleteRequest.next, without
//     waiting): the coordinator leases it in the same transaction as the
//     completion. The slot runs it at once (step 2) and goes back to step
//     1 only when none came, so a busy slot makes one call per trial.
//     Options.NoLeaseNext turns this off; a coordinator that predates
//     next ignores it, and the slot then calls Lease.
//
// # Failures
//
// While the coordinator is unreachable every call is retried with
// exponential backoff (Options.Backoff: 20 ms doubling to 10 s, with
// jitter, as in Nomad's worker loop); gRPC's own reconnection uses the same
// bounds. A trial keeps running through an outage, and its outcome is kept
// and delivered when the coordinator returns: Complete is retried until it
// is accepted, rejected as stale (the trial was given to another attempt:
// the outcome is dropped and logged), or the worker stops. Complete is
// idempotent for one lease, so a retry after a lost answer is harmless.
// A Lease refused as Unauthenticated or PermissionDenied is no outage but
// a misconfiguration: Run releases its leases and returns ErrRefused.
//
// When the worker's context is done (SIGTERM in `pinnsweep work`), running
// trials are cancelled and their leases released at once, so the
// coordinator requeues them without waiting for the TTL; a trial that
// finished meanwhile is completed instead (without asking for a next
// trial), and a trial that a Complete brought as the worker stopped is
// released without being run.
//
// # Runners
//
// A Runner turns a trial's params JSON into an Outcome. TrainerRunner
// trains a PINN with the trainer package, one goroutine per trial by
// default, and enforces the lease's budget as a hard wall-time limit
// (status timeout). NoopRunner does nothing and measures dispatch overhead.
//
// # Checkpoints
//
// The worker tells its runner which trial it runs (TrialFromContext: the
// sweep, the key, the attempt, the fencing token and the budget) and
// gives it the trial's logger (hclog.FromContext). TrainerRunner with a
// CheckpointDir writes the trainer's checkpoints (trainer.Checkpoint)
// every CheckpointEvery into DIR/SWEEP/KEY.TOKEN.ckpt, atomically, one
// file per attempt, so attempts that overlap on a shared directory never
// write the same file. An attempt first reads every checkpoint of its
// trial and resumes from the one with the most evaluations that decodes
// intact and belongs to this trial, its settings, trainer version, BLAS
// and kernel level (trainer.BLASName); any other file is skipped with the
// log line "ignoring checkpoint".
// The trial's wall-time budget counts the training seconds that
// checkpoint carries.
//
// Whether a trial is final — no other attempt follows — is the
// coordinator's to decide (a failure is retried while attempts remain,
// a cancellation is final only for a cancelled sweep), and its answer to
// Complete says so (CompleteResponse.final). A runner does not remove
// checkpoints itself: it describes them (Outcome.Checkpoints, a
// CheckpointSet: a directory, and a name prefix within it or the whole
// of it), and the worker removes them, and the directory that held them
// once empty, when, and only when, the coordinator said final.
// An attempt that is retried, released or abandoned, whose result was
// refused or not delivered, or that a coordinator predating the field
// completed, leaves them: for the next attempt, or, at worst, on disk.
//
// Fencing is unchanged: a checkpoint only shortens the next attempt's
// training; the result is still delivered with that attempt's own token
// and accepted by the coordinator's rules alone.
//
// # Command trials
//
// A grant whose LeaseResponse carries a command is a command trial: the
// worker runs the user's program with Options.Command, a CommandRunner,
// instead of Options.Runner. Without one the worker tells the coordinator
// (LeaseRequest.commands unset) and fails any command trial it is granted.
// The program runs only if its argv[0] resolves, through the worker's PATH
// (exec.LookPath), to an absolute path the runner allows
// (CommandOptions.Allow, `--allow-exec`); placeholders expand inside argv
// elements (sweeps.Runner.Expand), never through a shell.
//
// Each trial gets a directory DIR/SWEEP/KEY/TOKEN/ under the worker
// directory (CommandOptions.Dir, `--work-dir`): out/ ($PINNSWEEP_OUT, where
// the program may write result.json and anything else), params.json
// ($PINNSWEEP_PARAMS, the trial's params object) and trial.log (stdout and
// stderr as they come, capped at CommandOptions.LogCap: the first half and
// the last half are kept, with a line saying how much was left out). The
// program's environment is the worker's without its PINNSWEEP_* variables
// (credentials), plus the spec's env, $PINNSWEEP_PARAMS, $PINNSWEEP_OUT,
// $PINNSWEEP_TRIAL_KEY, $PINNSWEEP_SWEEP, $PINNSWEEP_SEED and, on a worker
// with GPUs, CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES (the trial's
// devices, or empty for a CPU trial) and CUDA_DEVICE_ORDER=PCI_BUS_ID.
// With CommandOptions.CheckpointDir (`--checkpoint-dir`) it also gets
// $PINNSWEEP_CHECKPOINT_DIR, DIR/SWEEP/KEY/: one directory per trial, not
// per attempt, so that a re-leased attempt finds what an earlier one
// saved; it is removed when the coordinator says the trial is final, as
// TrainerRunner's checkpoints are. The worker does not look inside: what the program
// saves, and how it resumes, is the program's. Stdin is /dev/null.
//
// A trial the worker cannot prepare (CommandRunner.Run's error: its
// directory, params.json or trial.log cannot be written, say on a full
// disk) is no fault of the trial: the worker releases the lease, so the
// attempt does not count, logs why, and the slot backs off
// (Options.Backoff) before it asks for work again. A program that fails
// to write its own output is the trial's failure, with its reason.
//
// The outcome follows the result contract (judge): the result is
// result.json, else the last line of stdout that is not a progress line;
// exit 0 with a finite metric is done, a NaN, ±Infinity or null metric
// diverged, and a non-zero exit, a signal, a missing or unparsable result
// or a missing metric failed, with a reason naming which and the last
// stderr line; the last StderrTailBytes of stderr go with every status but
// done (CompleteRequest.stderr_tail). Lines "PINNSWEEP_PROGRESS {"step": N,
// "loss": L}" feed the heartbeats, at most CommandOptions.ProgressRate per
// second (the latest skipped one is applied a moment later). Everything
// read is bounded: results (MaxResultBytes), progress lines
// (MaxProgressLine), the stderr tail, the log.
//
// # GPUs
//
// Options.GPUs gives one GPU slot per device beside the Slots CPU slots.
// A CPU slot's Lease offers no GPU, so it is granted only trials that need
// none; a GPU slot offers every device free when it polls (one GPU slot
// polls at a time), keeps as many as the granted trial needs
// (LeaseResponse.gpus) and gives the others back; it completes without
// asking for a next trial, so that its devices are offered afresh.
//
// # Process control
//
// A command trial must leave nothing running, whatever happens to it or to
// the worker. The worker does not start the program itself but a trial
// shim: its own binary re-executed, which runs package internal/trialshim
// in that package's init function, before gRPC, protobuf and the rest of
// the binary initialise (about half the start cost of a full pinnsweep
// start; BENCHMARKS.md, "Command trials"), in a process group of its
// own, with a parent-death signal of SIGTERM, started and waited for on
// one locked OS thread (the signal follows the thread that forked, not the
// process: go.dev/issue/27505). The shim makes itself a child subreaper
// (PR_SET_CHILD_SUBREAPER), so that every orphan of the trial — a
// grandchild whose parent died, a daemon that called setsid — becomes its
// child rather than init's; it starts the program in a new process group
// and reaps every child.
//
// To stop a trial (cancellation, budget, lost lease, worker shutdown) the
// worker sends SIGTERM to the shim, which sends SIGTERM to the program's
// group and to every descendant it has (found through /proc), and SIGKILL
// to all of them after CommandOptions.KillGrace (`--kill-grace`), until
// none is left; when the program ends on its own, the processes it left
// behind are stopped the same way (the reason says how many). If the
// worker dies, even by SIGKILL, the kernel sends the shim SIGTERM and the
// same happens. If the shim itself does not finish within the grace and a
// margin, the worker kills it and the program's group.
//
// What is not covered: a process that leaves the trial's tree on purpose
// (a double fork below another subreaper, or into another PID namespace or
// cgroup by a privileged program), and a shim killed by SIGKILL by someone
// else (the OOM killer): its orphans then go to init. Command trials need
// Linux; NewCommandRunner fails elsewhere.
//
// # Logging
//
// Logs go to Options.Logger under the name "worker", with worker_id, and
// slot, sweep, trial and token per trial. The messages "trial leased",
// "trial completed" (with status, duplicate and final), "trial released" and
// "result rejected as stale; dropped" are stable: tests count them.
package worker
