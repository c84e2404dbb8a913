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

	// ErrCorrupt reports stored state that cannot be right: a database
	// file that is not a readable bbolt database (truncated, damaged, some
	// other kind of file), a record that does not decode, or records that
	// contradict each other. [Internal]
	ErrCorrupt = errors.New("coordinator: database file is corrupt or not a bbolt database")
)
