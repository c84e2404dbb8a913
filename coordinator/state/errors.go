package state

import "errors"

// Sentinel errors of the coordinator's layers. Every error the engine, the
// scheduler or a store returns for a refused request wraps exactly one of
// them (or one of the bbolt store's own, package boltstore), so callers
// classify it with errors.Is; the gRPC service alone maps them to status
// codes, given in brackets.
var (
	// ErrNotFound reports a sweep name that the coordinator does not know
	// (or a trial, from a Store). [NotFound]
	ErrNotFound = errors.New("coordinator: sweep not found")

	// ErrLeaseNotFound reports a lease id that is malformed or names no
	// trial. [NotFound]
	ErrLeaseNotFound = errors.New("coordinator: lease not found")

	// ErrStaleToken reports a Heartbeat, Complete or Release whose fencing
	// token is not the trial's current one: the lease was superseded by a
	// newer lease of the same trial (typically after it expired), so the
	// request is refused and changes nothing. [FailedPrecondition]
	ErrStaleToken = errors.New("coordinator: stale fencing token")

	// ErrLeaseExpired reports a Complete for a lease that expired before the
	// result arrived; the trial was requeued or failed. [FailedPrecondition]
	ErrLeaseExpired = errors.New("coordinator: lease expired")

	// ErrLeaseReleased reports a Complete for a lease that its worker had
	// released. [FailedPrecondition]
	ErrLeaseReleased = errors.New("coordinator: lease released")

	// ErrNotHolder reports a Heartbeat, Complete or Release from a caller
	// that does not hold the lease: another worker, or a wrong or missing
	// lease secret. It changes nothing, and the message names neither the
	// holder nor its token. [PermissionDenied]
	ErrNotHolder = errors.New("coordinator: the caller does not hold the lease")

	// ErrInvalidSpec reports a sweep spec that does not parse or expand;
	// the sweeps package's error is wrapped too. [InvalidArgument]
	ErrInvalidSpec = errors.New("coordinator: invalid sweep spec")

	// ErrIncompatible reports a resubmitted spec that is not a growth of
	// the stored one (a fixed setting changed, an axis value was removed,
	// ...); the message says what changed. [InvalidArgument]
	ErrIncompatible = errors.New("coordinator: spec incompatible with the stored sweep")

	// ErrInvalidArgument reports a malformed request: an unknown or
	// non-final completion status, a result that is not a JSON object, a
	// negative count, a non-finite number. [InvalidArgument]
	ErrInvalidArgument = errors.New("coordinator: invalid argument")

	// ErrClosed reports a call on a closed coordinator or store.
	// [Unavailable]
	ErrClosed = errors.New("coordinator: closed")

	// ErrDiskFull reports a commit that failed for want of space on the
	// database's disk (ENOSPC, EDQUOT): nothing was changed, in memory or
	// in the file, and the same call succeeds once there is room again.
	// [ResourceExhausted]
	ErrDiskFull = errors.New("coordinator: the database's disk is full")

	// ErrStorage reports a commit that failed with an I/O error before it
	// could take effect (a failed write, or a failed sync of pages no
	// committed state refers to): nothing was changed, and the call may
	// be retried. [Unavailable]
	ErrStorage = errors.New("coordinator: writing to the database failed")

	// ErrCommitUnknown reports a commit whose final sync failed after its
	// meta page had been written: the process's view of the file (the
	// page cache) shows the transaction, the disk may or may not hold it.
	// The store commits nothing more; the coordinator stops, answers every
	// call with this error, and the gRPC server returns it, so that a
	// supervisor restarts the process, which reads the file afresh (see
	// "Storage faults" in package coordinator). [Unavailable]
	ErrCommitUnknown = errors.New("coordinator: the outcome of a commit is unknown after a failed sync; the coordinator stopped and must be restarted")

	// ErrCorrupt reports stored state that cannot be right: a database
	// file that is not a readable bbolt database (truncated, damaged, some
	// other kind of file), a record that does not decode, or records that
	// contradict each other. [Internal]
	ErrCorrupt = errors.New("coordinator: database file is corrupt or not a bbolt database")
)
