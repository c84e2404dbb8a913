// Package coordinator schedules the trials of pinnsweep sweeps over workers
// and keeps every state change and result in a store, so that an
// interrupted sweep resumes without losing or re-running a finished trial.
//
// A Coordinator (Open) owns one database file (or a state.Store). Users
// submit sweep specs (package sweeps) and watch, cancel or export them;
// workers on any number of machines lease trials, heartbeat while they
// train, and complete them with their result. The operations are methods
// of the Coordinator; package service serves them over gRPC
// (proto/pinnsweep/v1/pinnsweep.proto).
//
// # Layers
//
// The coordinator is a set of packages, each importable alone, in the
// style of etcd-raft and Temporal:
//
//	state      records, statuses (one table), Change, Store, sentinel errors: the leaf
//	scheduler  the deterministic core: events and the time in, a Change out; no I/O, no clock
//	refine     refinement of a sweep's failure boundary, given the scheduler's state
//	boltstore  the durable Store: one bbolt file, its format (DESIGN.md) and consistency check
//	export     CSV and JSON exports of trials
//	service    the gRPC API: thin handlers that check requests and call the engine
//	coordinator  this package, the engine
//
// The engine serialises events through one commit loop, which commits the
// changes of the events that arrived together to the store in one
// transaction (group commit, see "Durability guarantee"), and only after
// the commit wakes long-polls and watchers and answers the callers. It
// parses a spec once per submission and keeps the parsed spec (growth
// checks, refinement, the sweep's metric), and decodes a result once,
// before the commit loop, taking out a failure_class the worker put in it
// there too (so the loop never re-encodes a result). A result is stored
// with its failure class judged by the sweep's metric
// (verdict.Metric.FailureClass: a done trial with the metric, a diverged
// or timed-out one), under the key failure_class, the rest of the
// worker's bytes kept; a trial without a class stores none.
//
// # Trial lifecycle
//
// A trial is pending, running, done, failed, timeout, diverged or
// cancelled. Lease moves the first pending trial (in index order) of the
// next sweep in round-robin order to running and counts an attempt.
// Complete ends the lease:
//
//   - done, diverged and timeout are final; a diverged or timed-out trial
//     is data, not a fault, and is not retried;
//   - failed requeues the trial while attempts remain (a spec's retries
//     key: 1 + retries attempts), and is final after the last;
//   - cancelled is final when the sweep was cancelled; from a sweep that
//     was not, it means the worker gave the trial up, which requeues it
//     without counting the attempt (as Release does).
//
// A lease that expires requeues its trial (the next lease is attempt+1)
// while attempts remain, and fails it with the reason "lease expired N
// times" otherwise. Release (worker shutdown) requeues at once without
// counting the attempt; ReleaseOrphans does so for every active lease of
// a database known to be this process's alone (`pinnsweep run`).
// CancelSweep cancels pending trials at once and marks running ones; their
// next heartbeat answers stop, and they end cancelled (unless they report
// done, diverged or timeout). RequeueFailed puts failed, timed-out and
// cancelled trials back with a fresh attempt budget. A finished trial is
// never handed out again otherwise. The scheduler's scripts
// (coordinator/scheduler/testdata) pin each of these rules.
//
// # Lease protocol
//
// Lease is a unary long-poll: it waits until a trial is pending, min(wait,
// Options.MaxLeaseWait) passes (an empty answer: ask again), or the call's
// deadline is near. A grant carries the trial, a lease id, a fencing token,
// the TTL and the trial's wall-time budget. Tokens come from one persisted
// counter, so they strictly increase per trial across leases, restarts and
// requeues.
//
// Heartbeat (every TTL/3 or so) extends the lease by the TTL. It answers
// stop with a reason, rather than an error, when the sweep was cancelled or
// the lease is no longer the trial's current, active lease; a worker must
// then abandon the trial. Complete must carry the lease's token: a stale
// token (the lease expired and the trial was leased again) is refused with
// state.ErrStaleToken and changes nothing, so a worker presumed dead can
// never overwrite a newer attempt; a Complete of a lease that expired or
// was released is refused likewise. Repeating the Complete that ended a
// lease succeeds as a duplicate (state.Ack.Duplicate), so a worker may
// retry Complete until it is acknowledged. The answer also says whether
// the trial is now final by the lifecycle's rules (state.Ack.Final,
// CompleteResponse.final): a worker removes the trial's checkpoints then,
// and only then, so that a retry resumes from them.
//
// A request says what its slot offers (LeaseOffer, state.Offer): the GPUs
// of a GPU slot, and whether its worker runs commands. A sweep's trials
// need what its spec says (resources: {gpus: G}, a command runner),
// stored with the sweep record (state.Needs), and are leased only to
// requests they fit, from a queue of their class, so that pending trials
// no request can take keep none waiting (package scheduler, "Scheduling by
// resources"). The grant of a command sweep's trial carries the command
// (the spec's argv template, workdir, env and metric, read from the
// parsed spec) and the GPUs it needs; a completion may carry the last 64
// KiB of the program's standard error, stored with the attempt.
//
// A lease id has the form "sweep/key/token" (state.LeaseID) but workers
// should treat it as opaque. A Lease may name the sweeps it accepts trials
// from (empty: any), so that `pinnsweep run` runs only its own sweep when
// the database holds others. CompleteAndLease records a completion and,
// if a trial is pending, leases it in the same transaction, which saves
// the worker a round trip and the coordinator a commit per trial; if none
// is pending it waits for one as Lease does (NextLease.Wait). A refused
// completion leases nothing.
//
// # Durability guarantee
//
// Every state change (submission, lease, heartbeat, completion, release,
// expiry, cancellation, requeue) is committed in a store transaction —
// for the bbolt store, a read-write transaction fsynced — before it is
// acknowledged or visible to any query. If the commit fails, the change is
// not applied, in memory or in the file, and its caller gets the error. No
// transaction is held across an RPC wait: a long-poll holds no transaction
// while it waits.
//
// Changes are committed in groups. Operations queue for a single commit
// loop, which takes all that are queued (up to Options.MaxBatch) as one
// batch and:
//
//  1. stages them in arrival order: the scheduler computes each one's
//     change against the state left by the previous ones and the change is
//     applied in memory at once, provisionally, keeping an undo record.
//     So dependent operations of one batch see each other (two Leases get
//     different trials and tokens; a Lease after a Submit may lease the
//     new trials; a completion and the lease of the worker's next trial
//     form one operation). An operation the scheduler refuses (a stale
//     token, say) takes back only its own changes;
//  2. commits the batch's changes, merged into one (state.Merge) that puts
//     each record once, as the batch left it, in ONE transaction: one
//     commit, one fsync (bbolt syncs twice: data pages, then the meta
//     page), shared by every operation of the batch;
//  3. on success, answers every operation of the batch; on failure, rolls
//     the batch back, newest change first, which restores the scheduler
//     exactly, and answers every operation of the batch with the commit's
//     error, including those that changed nothing or were refused, since
//     their answers may rest on an earlier operation of the batch. A
//     caller may retry.
//
// Operations that arrive while a batch commits form the next batch, so
// batches grow with the load and an fsync is paid per batch, not per
// operation. The loop holds the engine's lock from the first step to the
// last, so queries see the state before or after a committed batch, never
// a provisional one, and a worker never sees a lease or an
// acknowledgement before it is durable. A caller whose context ends while
// its operation is in a batch still waits for the batch's outcome. Each
// batch first expires the overdue leases, as its first change.
// Options.MaxBatch = 1 commits each operation alone (with that expiry).
//
// As with any fsync-based store, when the final fsync of a commit fails it
// is unknown whether the transaction reached the disk: the coordinator
// reports the failure and stops (see "Storage faults"), and the file may
// nevertheless hold the change after a restart. Each change is a
// consistent state of its own, and workers retry a refused Complete or
// Lease, so this costs at most a lease that no worker holds, which expires
// (counting an attempt).
//
// On restart the coordinator restores every sweep, trial and lease from the
// store. Lease expiries are stored as wall-clock times: an active lease is
// honoured until its stored expiry, and one whose expiry passed while the
// coordinator was down gets one more TTL from the restart, so that its
// worker, which could not heartbeat meanwhile, can reach the new
// coordinator. Finished trials stay finished.
//
// # Storage faults
//
// A store's failed Commit says what it left behind (package boltstore
// tells the cases apart; its DESIGN.md, "Failed commits", says how):
//
//   - Nothing changed: a write failed (ENOSPC on a full disk, EIO),
//     growing the file failed, or the sync of pages no committed state
//     refers to failed. The error wraps state.ErrDiskFull (gRPC
//     ResourceExhausted) or state.ErrStorage (Unavailable); the engine
//     rolls the batch back and keeps serving: workers retry with backoff,
//     and the same calls succeed once the disk has room or works again. A
//     full disk never stops the coordinator, so it does not crash-loop; it
//     only refuses changes that need space.
//   - The outcome is unknown (state.ErrCommitUnknown): the final sync,
//     after the transaction became visible to the process, failed. The
//     page cache shows the transaction that Commit reported failed, while
//     the disk may hold it or not: Linux marks pages whose write-back
//     failed clean and reports the error once, so a retried fsync
//     "succeeds" (PostgreSQL's "fsyncgate", 2018). Going on would build
//     later commits on a state the engine has rolled back. The store
//     commits nothing more, and the engine stops (Coordinator.fail): every
//     operation gets the error (Unavailable), Watch and Lease return it,
//     Failed is closed, and the gRPC server (service.Serve) shuts down and
//     returns it, so `pinnsweep serve` exits 1 for its supervisor
//     (systemd, Kubernetes) to restart it.
//
// This follows PostgreSQL's answer to fsyncgate (commit 9ccdd7f6, "PANIC
// on fsync() failure", released in 11.2 and 10.7, 2019): never retry a
// failed fsync and trust what the page cache shows, but crash and recover
// from what is durable. The restarted coordinator opens the file with a
// new descriptor and a new map and restores the engine from it. The
// callers of the failed batch were told it failed: if it survived after
// all, a worker's repeated Complete is answered duplicate = true, and a
// lease it granted, which no worker holds, expires. Reopening the store
// inside the running process was rejected: it would rebuild the engine
// under live calls, long-polls and watchers, and would read through the
// same page cache a restart reads; a restart is the path every SIGKILL
// test already exercises. Reads served between the failure and the
// shutdown (at most Options.ShutdownTimeout) may see the failed batch
// through bbolt's map; nothing is acknowledged from it. The Promela model
// (model/, "Commit failures") checks this choice: rolling back and going
// on breaks the store's invariants, stopping keeps them.
//
// internal/faultfs (a FUSE filesystem that fails chosen writes and syncs,
// and can drop the writes a failed sync covered) and a size-limited tmpfs
// test each case against a real `pinnsweep serve` (internal/e2e,
// RELIABILITY.md).
//
// # Memory
//
// The engine keeps trial state only (about 120 bytes per trial in the
// scheduler, see its package documentation); params and point are read
// from the store when a trial is leased, exported or refined (the refiner
// caches the points of sweeps with refine rules). A submission does not
// expand its grid: the change carries the spec's sweeps.Grid, and the
// store computes each new trial as it writes it.
//
// # Submissions and growth
//
// Submit parses a spec with sweeps.Parse (Options.SpecOptions) and stores
// the sweep with all its trials pending; SubmitSpec takes a spec parsed
// already. Submitting a spec with the name of a stored sweep must pass
// sweeps' compatibility check against the stored spec
// (state.ErrIncompatible, saying what changed, otherwise); then only the
// trials whose keys are new are added, after the existing ones, and the
// new source is stored.
//
// # Refinement
//
// A spec's refine rules (package sweeps, "Refinement") make the engine add
// trials while the sweep runs. Whenever a trial of a sweep with refine
// rules becomes final, the engine asks refinement (package refine) for the
// trials to add, judging each point with the one rule of package verdict,
// and adds those whose keys are new as pending trials, indexed after the
// existing ones, in the same transaction as the completion (so a worker's
// CompleteAndLease may lease one at once). The same pass runs for a
// submission (a growth may add seeds that refined points then lack), for
// RequeueFailed, and for every sweep at Open, so that whatever a crash or
// an older version left out is added on restart. Refinement is a pure
// function of the stored state and adds only missing keys, so these
// passes are idempotent. A sweep with a cancelled trial, or one being
// stopped, is not refined. Brackets reports each transition with its ends
// and status, Verdicts every point's verdict. A refinement error (a stored
// point that does not decode) is logged and does not refuse the
// completion; the next pass tries again. Each pass reads every trial of
// the sweep, so it costs time in proportion to the sweep's size, within
// the commit loop: about 1.7 ms for 1,100 trials (sweeps'
// BenchmarkRefinements, on the 2-core development machine).
//
// # Metrics
//
// Coordinator.Metrics returns an http.Handler serving Prometheus metrics
// from a registry the coordinator owns (never the process-wide default),
// to mount on any mux (`pinnsweep serve --metrics ADDR` serves it at
// /metrics). The scheduler knows nothing of it: gauges are read from the
// engine's state at scrape time, and counters and histograms are updated
// by the engine as operations end.
//
//	pinnsweep_trials{sweep,state}                  gauge: trials by sweep and state
//	pinnsweep_active_leases                        gauge: leases held now
//	pinnsweep_connected_workers                    gauge: workers that called Lease, Heartbeat
//	                                               or Complete within the lease TTL
//	pinnsweep_lease_call_duration_seconds{outcome} histogram: Lease calls, long-poll wait
//	                                               included; outcome granted or empty
//	pinnsweep_queue_wait_seconds                   histogram: from a trial becoming pending to
//	                                               its lease (Lease and CompleteAndLease)
//	pinnsweep_completions_total{reported}          counter: accepted completions by reported status
//	pinnsweep_duplicate_completions_total          counter: repeated completions
//	pinnsweep_refused_completions_total            counter: stale, expired, released, invalid
//	pinnsweep_expired_leases_total                 counter: leases that expired
//	pinnsweep_refined_trials_total                 counter: trials added by refinement
//	pinnsweep_commits_total, pinnsweep_committed_operations_total, pinnsweep_commit_seconds_total
//	                                               counters: group commits (see Stats)
//
// plus the Go runtime and process collectors. Counters start at zero
// when the coordinator opens; the gauges reflect the restored state.
package coordinator
