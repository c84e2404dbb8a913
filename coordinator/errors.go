package coordinator

import "errors"

// Sentinel errors. Every error the coordinator returns for a refused request
// wraps exactly one of them, so callers (and the gRPC layer, which alone maps
// them to status codes) can classify it with errors.Is. The gRPC code each
// one maps to is given in brackets.
var (
	// ErrNotFound reports a sweep name that the coordinator does not know.
	// [NotFound]
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

	// ErrClosed reports a call on a closed coordinator. [Unavailable]
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
	// The coordinator stops: it commits nothing more, answers every call
	// with this error, and Serve returns it, so that a supervisor restarts
	// the process, which reads the file afresh (see "Storage faults" in the
	// package documentation). [Unavailable]
	ErrCommitUnknown = errors.New("coordinator: the outcome of a commit is unknown after a failed sync; the coordinator stopped and must be restarted")

	// ErrLocked reports a database file locked by another process,
	// normally a running coordinator.
	ErrLocked = errors.New("coordinator: database is locked by a running coordinator")

	// ErrCorrupt reports a database file that is not a readable bbolt
	// database: truncated, damaged, or some other kind of file.
	ErrCorrupt = errors.New("coordinator: database file is corrupt or not a bbolt database")

	// ErrForeignDatabase reports a bbolt database that was not written by
	// pinnsweep (it has buckets but no pinnsweep meta bucket).
	ErrForeignDatabase = errors.New("coordinator: not a pinnsweep database")

	// ErrInconsistent reports a database that fails the consistency check
	// (CheckDatabase): bbolt's page check or one of the store's
	// invariants.
	ErrInconsistent = errors.New("coordinator: database is inconsistent")

	// ErrSchemaVersion reports a pinnsweep database whose schema version
	// this build does not support.
	ErrSchemaVersion = errors.New("coordinator: unsupported database schema version")
)
