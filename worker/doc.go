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
//     carries the worker id, its free slots and the sweeps it accepts
//     (Options.Sweeps; empty: any), and returns a trial with a lease id, a
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
// intact and belongs to this trial, its settings, trainer version and
// BLAS; any other file is skipped with the log line "ignoring checkpoint".
// The trial's wall-time budget counts the training seconds that
// checkpoint carries. When the trial has its final outcome (done,
// diverged, or timeout) its checkpoints are removed; an attempt that is
// cancelled, released or abandoned leaves them for the next.
//
// Fencing is unchanged: a checkpoint only shortens the next attempt's
// training; the result is still delivered with that attempt's own token
// and accepted by the coordinator's rules alone.
//
// # Logging
//
// Logs go to Options.Logger under the name "worker", with worker_id, and
// slot, sweep, trial and token per trial. The messages "trial leased",
// "trial completed" (with status and duplicate), "trial released" and
// "result rejected as stale; dropped" are stable: tests count them.
package worker
