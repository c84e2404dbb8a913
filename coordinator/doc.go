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
//     (records to write) comes out;
//   - the engine (Coordinator, coordinator.go) serialises events, commits
//     each Change to a Store in one transaction, and only after the commit
//     applies it in memory, wakes long-polls and watchers, and answers the
//     caller;
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
// # Durability guarantee
//
// Every state change (submission, lease, heartbeat, completion, release,
// expiry, cancellation, requeue) is one bbolt read-write transaction,
// fsynced before the change is applied in memory and acknowledged. If the
// commit fails, nothing changes. No transaction is held across an RPC wait:
// a long-poll holds no transaction while it waits.
//
// On restart the coordinator restores every sweep, trial and lease from the
// file. Lease expiries are stored as wall-clock times: an active lease is
// honoured until its stored expiry, and one whose expiry passed while the
// coordinator was down gets one more TTL from the restart, so that its
// worker, which could not heartbeat meanwhile, can reach the new
// coordinator. Finished trials stay finished.
//
// # Bucket layout
//
// The database (schema version 1, SchemaVersion) has four top-level
// buckets:
//
//	meta                       pinnsweep's marker and counters
//	  application              "pinnsweep"
//	  schema_version           uint64, big-endian (1)
//	  next_token               uint64, big-endian: the next fencing token
//	  created                  RFC 3339 time the file was initialised
//	sweeps
//	  <sweep name>             JSON SweepRecord (spec source, axes, policy)
//	trials
//	  <sweep name>/            one nested bucket per sweep
//	    <trial key>            JSON TrialRecord (state, params, point, lease)
//	results
//	  <sweep name>/            one nested bucket per sweep
//	    <trial key>            the worker's result JSON, as sent
//
// Results live apart from trial state so that the scheduler's in-memory
// state stays small. Opening a file validates it: a locked file gives
// ErrLocked, a truncated or non-bbolt file ErrCorrupt, a bbolt file
// without pinnsweep's meta bucket ErrForeignDatabase, and another schema
// version ErrSchemaVersion.
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
// # Exports
//
// WriteExport formats a sweep's trials as CSV or JSON; ExportDatabase does
// so from a database file no coordinator holds.
package coordinator
