// Package coordinator schedules the trials of pinnsweep sweeps over workers
// and keeps every state change and result in a bbolt database, so that an
// interrupted sweep resumes without losing or re-running a finished trial.
//
// A Coordinator (Open) owns one database file. Users submit sweep specs
// (package sweeps) and watch, cancel or export them; workers on any number
// of machines lease trials, heartbeat while they train, and complete them
// with the trainer's result. The same operations are available in-process
// (Submit, Lease, Complete, ...) and over gRPC (Serve; the API is
// proto/pinnsweep/v1/pinnsweep.proto).
//
// # Architecture
//
// The package has three layers, in the style of etcd-raft and Temporal:
//
//   - the scheduler (scheduler.go) is a deterministic state machine with
//     no I/O and no clock: events and the current time go in, a Change
//     (records to write) comes out, and applying a change yields an undo
//     record that takes it back;
//   - the engine (Coordinator, coordinator.go and commit.go) serialises
//     events through one commit loop, which commits the changes of the
//     events that arrived together to a Store in one transaction (group
//     commit, see "Durability guarantee"), and only after the commit wakes
//     long-polls and watchers and answers the callers;
//   - the gRPC handlers (service.go) validate requests, call the engine,
//     and map sentinel errors (errors.go) to status codes.
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
// counting the attempt. CancelSweep cancels pending trials at once and
// marks running ones; their next heartbeat answers stop, and they end
// cancelled (unless they report done, diverged or timeout). RequeueFailed
// puts failed, timed-out and cancelled trials back with a fresh attempt
// budget. A finished trial is never handed out again otherwise.
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
// ErrStaleToken (FailedPrecondition) and changes nothing, so a worker
// presumed dead can never overwrite a newer attempt; a Complete of a lease
// that expired or was released is refused likewise. Repeating the Complete
// that ended a lease succeeds with duplicate = true, so a worker may retry
// Complete until it is acknowledged; FailedPrecondition means the result
// was not wanted and must be dropped.
//
// A lease id has the form "sweep/key/token" but workers should treat it as
// opaque.
//
// A Lease may name the sweeps it accepts trials from (LeaseRequest.sweeps;
// empty: any), so that `pinnsweep run` runs only its own sweep when the
// database holds others. Complete may ask for the worker's next trial
// (CompleteRequest.next, CompleteAndLease): if a trial is pending, it is
// leased in the same transaction as the completion, which saves the worker
// a round trip and the coordinator a commit per trial; a refused completion
// leases nothing, and an invalid next never refuses a completion (it is
// answered without a trial).
//
// # Durability guarantee
//
// Every state change (submission, lease, heartbeat, completion, release,
// expiry, cancellation, requeue) is committed in a bbolt read-write
// transaction, fsynced, before it is acknowledged or visible to any query.
// If the commit fails, the change is not applied, in memory or in the file,
// and its caller gets the error. No transaction is held across an RPC wait:
// a long-poll holds no transaction while it waits.
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
//  2. commits the batch's changes, merged into one Change that puts each
//     record once, as the batch left it, in ONE transaction: one commit,
//     one fsync (bbolt syncs twice: data pages, then the meta page), shared
//     by every operation of the batch;
//  3. on success, answers every operation of the batch; on failure, rolls
//     the batch back, newest change first, which restores the scheduler
//     exactly (undo records hold the overwritten records by pointer, since
//     apply never modifies a record in place, and the token counter and
//     round-robin position), and answers every operation of the batch with
//     the commit's error, including those that changed nothing or were
//     refused, since their answers may rest on an earlier operation of the
//     batch. A caller may retry.
//
// Operations that arrive while a batch commits form the next batch, so
// batches grow with the load and an fsync is paid per batch, not per
// operation. The loop holds the engine's lock from the first step to the
// last, so queries see the state before or after a committed batch, never
// a provisional one, and a worker never sees a lease or an
// acknowledgement before it is durable, so it can never send a request
// that depends on an uncommitted change. A caller whose context ends while
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
// The bbolt store writes bbolt's freelist in each commit, so that opening
// the file read-write reads it instead of walking every page of the file
// (BoltOptions.NoSyncFreelist turns it off, as etcd does). This does not
// affect durability.
// The file is mapped with 1 GiB of address space from the start
// (BoltOptions.InitialMmapSize), so that a large transaction is not
// copied at every remap; bbolt then grows the file in chunks of up to
// 16 MiB past the pages in use.
//
// On restart the coordinator restores every sweep, trial and lease from the
// file. Lease expiries are stored as wall-clock times: an active lease is
// honoured until its stored expiry, and one whose expiry passed while the
// coordinator was down gets one more TTL from the restart, so that its
// worker, which could not heartbeat meanwhile, can reach the new
// coordinator. Finished trials stay finished.
//
// # Storage faults
//
// bbolt commits in this order: write the dirty data pages, fdatasync,
// write one meta page (the atomic switch: two meta pages alternate, and
// the valid one with the higher transaction id wins), fdatasync. A commit
// can fail at either side of the meta page's write, and the two leave
// different states behind, so the bbolt store tells them apart by what
// the process sees afterwards (BoltStore.update):
//
//   - Nothing visible changed: a data write failed (ENOSPC on a full
//     disk, EIO), growing the file failed, or the data pages' fdatasync
//     failed. bbolt rolled back; the committed state is the previous one
//     and the pages written belong to none. The store returns ErrDiskFull
//     (gRPC ResourceExhausted) or ErrStorage (Unavailable), the engine
//     rolls the batch back, and the coordinator keeps serving: workers
//     retry with backoff, and the same calls succeed once the disk has
//     room or works again. A full disk never stops the coordinator, so
//     it does not crash-loop; it only refuses changes that need space.
//   - The meta page's fdatasync failed after its write: an ambiguous
//     commit. The new meta page is in the page cache, so bbolt's map of
//     the file — and every later transaction of this process — already
//     shows the transaction that Commit reported failed, while the disk
//     may hold it or not: Linux marks pages whose write-back failed
//     clean and reports the error once, so a retried fsync "succeeds"
//     (PostgreSQL's "fsyncgate", 2018). Going on would build later
//     commits on a state the engine has rolled back, and bbolt could
//     reuse pages that the meta page on disk still refers to. The store
//     detects the case (the newest meta page it sees carries the failed
//     transaction's id), returns ErrCommitUnknown and commits nothing
//     more; the engine stops (Coordinator.fail): every operation gets
//     ErrCommitUnknown (Unavailable), Watch and Lease return it, and Serve
//     shuts down and returns it, so `pinnsweep serve` exits 1 for its
//     supervisor (systemd, Kubernetes) to restart it.
//
// This follows PostgreSQL's answer to fsyncgate (commit 9ccdd7f6, "PANIC
// on fsync() failure", released in 11.2 and 10.7, 2019): never retry a
// failed fsync and trust what the page cache shows, but crash and
// recover from what is durable. bbolt needs no log for that: the data
// pages were synced before the meta page was written, so the previous
// meta page and the new one, if it reached the disk (or is still cached
// when the file is opened again), each name a complete, consistent
// state. The restarted coordinator opens the file with a new descriptor
// and a new map, restores the engine from it, and its first transaction
// (the open's schema check commits one) makes the state it found
// durable. The callers of the failed batch were told it failed: if it
// survived after all, a worker's repeated Complete is answered duplicate
// = true, and a lease it granted, which no worker holds, expires.
// Reopening the file inside the running process was rejected: it would
// rebuild the engine under live calls, long-polls and watchers, and would
// read through the same page cache a restart reads; a restart is the path
// every SIGKILL test already exercises. Reads served between the failure
// and the shutdown (at most Options.ShutdownTimeout) may see the failed
// batch through bbolt's map; nothing is acknowledged from it.
//
// internal/faultfs (a FUSE filesystem that fails chosen writes and syncs,
// and can drop the writes a failed sync covered) and a size-limited tmpfs
// test each case against a real `pinnsweep serve` (internal/e2e,
// RELIABILITY.md).
//
// # Bucket layout
//
// The database (schema version 2, SchemaVersion) has five top-level
// buckets:
//
//	meta                       pinnsweep's marker and counters
//	  application              "pinnsweep"
//	  schema_version           uint64, big-endian (2)
//	  next_token               uint64, big-endian: the next fencing token
//	  created                  RFC 3339 time the file was initialised
//	  partial_submit           only while a large submission is being
//	                           written: JSON {sweep: trials before it}
//	sweeps
//	  <sweep name>             JSON SweepRecord (spec source, axes, policy)
//	trials
//	  <sweep name>/            one nested bucket per sweep
//	    <trial key>            binary trial state (status, attempts, lease,
//	                           times, rel_l2, worker, reason), or a JSON
//	                           TrialRecord left from schema version 1
//	inputs
//	  <sweep name>/            one nested bucket per sweep
//	    <trial key>            the trial's params and point (never change)
//	results
//	  <sweep name>/            one nested bucket per sweep
//	    <trial key>            the worker's result JSON, as sent
//
// Results and inputs live apart from trial state, so that the engine, which
// keeps only trial state in memory, restores a sweep by reading the trials
// bucket alone. Opening a file validates it: a locked file gives
// ErrLocked, a truncated or non-bbolt file, or one with a damaged page
// (every page reachable from the root is read once, read-only, before the
// read-write open, whose freelist scan would otherwise crash the process
// on it), ErrCorrupt, a bbolt file without pinnsweep's meta bucket
// ErrForeignDatabase, and another schema version ErrSchemaVersion.
//
// # Record encoding
//
// A trial's state record is binary (record.go): a format byte 0x02, then
// the index, status, lease state and flags, attempts and expiries
// (varints), the token, the lease expiry and update times (Unix
// nanoseconds), rel_l2 (8 bytes, if set), the worker and the reason. Its
// sweep and key are the bucket and key it is stored under, and its lease
// id is "sweep/key/token" (a flag; any other id is stored as text). An
// inputs record is a format byte 0x02, the length of the params, the
// params and the point, both JSON. Binary rather than JSON because a
// restore decodes every trial record: JSON decoding was 6 of the 14 CPU
// seconds of opening a 1,000,000-trial database; encoding/binary varints
// rather than protobuf because the record is flat and fixed, a
// hand-written decoder allocates nothing but the worker and reason
// strings, and the format byte leaves room for a new encoding.
//
// Schema version 1 stored each trial as one JSON TrialRecord with its
// params and point. This version reads such files: a JSON record starts
// with '{', never 0x02. Opening one read-only (export, check) changes
// nothing; opening it read-write upgrades it to version 2 (adds the
// inputs bucket and sets the version, in one transaction) and leaves the
// records as they are. Each JSON record is rewritten in the binary
// encoding when its trial next changes, its params and point moving to
// the inputs bucket; until then it is read as before (so a restore of a
// large, untouched version 1 sweep is as slow as it was). A version 2
// file does not open with a pinnsweep of version 1 (ErrSchemaVersion).
//
// # Memory
//
// The engine keeps each trial as a compact state of about 48 bytes
// (trialState: token, lease expiry, update time, rel_l2, attempts,
// expiries, an interned worker id, status, lease state and flags), its key
// in a per-sweep slice and map, its reason (when it has one) in a map, and
// a sweep's pending trials as a bitmap over their indexes: about 120
// bytes per trial, against about 680 when it kept every TrialRecord with
// its params and point. Params and point are read from the store when a
// trial is leased (Store.Trial), exported (Store.Trials) or refined (the
// refiner caches the points of sweeps with refine rules).
//
// A submission does not expand the grid: the scheduler computes each
// trial's key from the spec (sweeps.Spec.Trial), and the change carries
// the new trials in compact form (Change.New: keys, with a function that
// computes a trial's params and point again). The bbolt store writes them
// in key order, in transactions of 65,536 trials (commitChunk), so that
// no transaction holds the whole submission in dirty pages. The change
// stays all or nothing: the first transaction records the submission in
// meta/partial_submit, the last one (which also writes the sweep record
// and the rest of the change) removes it, and until then every reader
// (Load, Scan, Trials, Trial, CheckDatabase) skips the trials the record
// names. A commit that fails deletes them at once; after a crash, the
// next read-write open deletes them. So a crashed submission is never
// half visible; it is simply not there, and submitting it again works.
//
// # Request validation
//
// The gRPC handlers check every request before the engine sees it —
// lengths of names, ids, reasons, spec sources and results, ranges of
// slots, wait_ms and evals, finite losses, known completion statuses,
// required fields, no control characters in names and ids — and answer
// InvalidArgument with a message naming the field and the offending
// value or length. The limits are constants in service.go; MaxRecvMsgSize
// bounds a whole request (ResourceExhausted). Authentication is not the
// coordinator's concern: Serve takes the credentials and interceptors of
// internal/auth as extra grpc.ServerOptions.
//
// # Submissions and growth
//
// Submit parses a spec with sweeps.Parse (Options.SpecOptions), expands it,
// and stores the sweep with all its trials pending. Submitting a spec with
// the name of a stored sweep must pass sweeps' compatibility check against
// the stored spec (ErrIncompatible, saying what changed, otherwise); then
// only the trials whose keys are new are added, after the existing ones,
// and the new source is stored.
//
// # Refinement
//
// A spec's refine rules (package sweeps, "Refinement") make the engine add
// trials while the sweep runs. Whenever a trial of a sweep with refine
// rules becomes final, the engine asks sweeps.Spec.Refinements, with the
// sweep's trials as they stand (status and rel_l2), for the trials to add,
// and adds those whose keys are new as pending trials, indexed after the
// existing ones, in the same transaction as the completion (so a worker's
// CompleteAndLease may lease one at once). The same pass runs for a
// submission (a growth may add seeds that refined points then lack), for
// RequeueFailed, and for every sweep at Open, so that whatever a crash or
// an older version left out is added on restart. Refinement is a pure
// function of the stored state and adds only missing keys, so these
// passes are idempotent: a refined trial, like any other, is stored once
// and run once, and resumes like any other.
//
// Trial outcomes map to refinement as follows: done with a rel_l2 is a
// measurement; diverged and timeout count as failures; failed, cancelled,
// and done without a rel_l2 are void (no information, which blocks
// refinement next to the point until RequeueFailed reruns it). A sweep
// with a cancelled trial, or one being stopped, is not refined.
// Coordinator.Brackets (and GetSweep's brackets) report each transition
// with its ends and status. A refinement error (a stored point that does
// not decode) is logged and does not refuse the completion; the next
// pass tries again. Each pass reads every trial of the sweep, so it costs
// time in proportion to the sweep's size, within the commit loop: about
// 1.7 ms for 1,100 trials (sweeps' BenchmarkRefinements, on the 2-core
// development machine).
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
//
// # Exports
//
// WriteExport formats a sweep's trials as CSV or JSON; ExportDatabase does
// so from a database file no coordinator holds.
package coordinator
