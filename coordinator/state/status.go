package state

// Status is the state of one trial. Its string form is what the exports,
// the CLI and the dashboard show.
type Status string

// Trial statuses. Pending and Running are live; the others are final until
// RequeueFailed puts Failed, Timeout and Cancelled trials back into the
// queue.
const (
	// StatusPending: queued, waiting for a worker.
	StatusPending Status = "pending"
	// StatusRunning: leased to a worker.
	StatusRunning Status = "running"
	// StatusDone: the trainer ran to an end and reported a result.
	StatusDone Status = "done"
	// StatusFailed: the worker reported a failure on the last allowed
	// attempt, or the lease expired too often.
	StatusFailed Status = "failed"
	// StatusTimeout: the trial exceeded its wall-time budget (final, not
	// retried).
	StatusTimeout Status = "timeout"
	// StatusDiverged: the loss became NaN or Inf (final: divergence is a
	// result, not a fault, so it is not retried).
	StatusDiverged Status = "diverged"
	// StatusCancelled: the sweep was cancelled.
	StatusCancelled Status = "cancelled"
)

// statusInfo is one row of the status table.
type statusInfo struct {
	status Status
	// code is the status in the binary trial record of the bbolt store
	// (schema version 2). Codes are part of the file format: never change
	// or reuse one; a new status gets a new code.
	code byte
	// wire is the status's value of the API's TrialStatus enum
	// (proto/pinnsweep/v1/pinnsweep.proto; the service package's tests
	// check every row against the generated code).
	wire int32
	// final: the status ends a trial.
	final bool
	// reported: a worker may end a lease with it (Complete).
	reported bool
}

// statusTable is the one table of trial statuses: every status with its
// record code, its wire value and its role, in display order (the order of
// exports, metrics and progress counts). The record codec, the gRPC
// conversion, the worker (which maps the trainer's outcome through
// ParseStatus) and the scheduler all read it; nothing else numbers the
// statuses.
var statusTable = [...]statusInfo{
	{StatusPending, 1, 1, false, false},
	{StatusRunning, 2, 2, false, false},
	{StatusDone, 3, 3, true, true},
	{StatusFailed, 4, 4, true, true},
	{StatusTimeout, 5, 5, true, true},
	{StatusDiverged, 6, 6, true, true},
	{StatusCancelled, 7, 7, true, true},
}

// Statuses returns every status in display order.
func Statuses() []Status {
	out := make([]Status, len(statusTable))
	for i, r := range statusTable {
		out[i] = r.status
	}
	return out
}

// row returns s's row of the status table.
func (s Status) row() (statusInfo, bool) {
	for _, r := range statusTable {
		if r.status == s {
			return r, true
		}
	}
	return statusInfo{}, false
}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	_, ok := s.row()
	return ok
}

// Final reports whether s ends a trial (every status but pending and
// running).
func (s Status) Final() bool {
	r, ok := s.row()
	return ok && r.final
}

// Reported reports whether a worker may end a lease with s: done,
// failed, timeout, diverged or cancelled.
func (s Status) Reported() bool {
	r, ok := s.row()
	return ok && r.reported
}

// Code returns s's code in the bbolt store's binary trial record, and
// false for an invalid status.
func (s Status) Code() (byte, bool) {
	r, ok := s.row()
	return r.code, ok
}

// StatusOfCode returns the status whose record code is c, and false when c
// is none.
func StatusOfCode(c byte) (Status, bool) {
	for _, r := range statusTable {
		if r.code == c {
			return r.status, true
		}
	}
	return "", false
}

// Wire returns s's value of the API's TrialStatus enum; 0
// (TRIAL_STATUS_UNSPECIFIED) for an invalid status.
func (s Status) Wire() int32 {
	r, _ := s.row()
	return r.wire
}

// StatusOfWire returns the status of a TrialStatus enum value, and "" for
// TRIAL_STATUS_UNSPECIFIED and unknown values.
func StatusOfWire(w int32) Status {
	for _, r := range statusTable {
		if r.wire == w {
			return r.status
		}
	}
	return ""
}

// ParseStatus returns the status named name ("done", ...), and false when
// there is none. Runners that report statuses as text (the trainer's
// Result.Status) map them through it.
func ParseStatus(name string) (Status, bool) {
	s := Status(name)
	return s, s.Valid()
}

// Ordinal returns s's position in the status table (display order), or
// 0xff for an invalid status. It is for compact in-memory state; it is not
// stable across versions and must never be persisted (Code is).
func (s Status) Ordinal() uint8 {
	for i, r := range statusTable {
		if r.status == s {
			return uint8(i)
		}
	}
	return 0xff
}

// StatusAt returns the status of ordinal i, or "" when i is none.
func StatusAt(i uint8) Status {
	if int(i) >= len(statusTable) {
		return ""
	}
	return statusTable[i].status
}

// LeaseState says how a trial's latest lease stands.
type LeaseState string

// Lease states.
const (
	// LeaseNone: the trial was never leased (or was requeued by
	// RequeueFailed before being leased again; then the last lease keeps its
	// state).
	LeaseNone LeaseState = ""
	// LeaseActive: the lease is held; the trial is running.
	LeaseActive LeaseState = "active"
	// LeaseCompleted: the lease ended with a Complete.
	LeaseCompleted LeaseState = "completed"
	// LeaseReleased: the worker released the lease.
	LeaseReleased LeaseState = "released"
	// LeaseExpired: the lease expired without a heartbeat.
	LeaseExpired LeaseState = "expired"
)

// leaseTable is the table of lease states with their record codes (part
// of the bbolt store's file format, like the status codes).
var leaseTable = [...]struct {
	state LeaseState
	code  byte
}{
	{LeaseNone, 0},
	{LeaseActive, 1},
	{LeaseCompleted, 2},
	{LeaseReleased, 3},
	{LeaseExpired, 4},
}

// Valid reports whether l is one of the defined lease states.
func (l LeaseState) Valid() bool {
	_, ok := l.Code()
	return ok
}

// Code returns l's code in the bbolt store's binary trial record, and
// false for an invalid lease state.
func (l LeaseState) Code() (byte, bool) {
	for _, r := range leaseTable {
		if r.state == l {
			return r.code, true
		}
	}
	return 0, false
}

// LeaseOfCode returns the lease state whose record code is c, and false
// when c is none.
func LeaseOfCode(c byte) (LeaseState, bool) {
	for _, r := range leaseTable {
		if r.code == c {
			return r.state, true
		}
	}
	return "", false
}

// Ordinal returns l's position in the lease table, or 0xff for an invalid
// lease state; like Status.Ordinal, for memory only.
func (l LeaseState) Ordinal() uint8 {
	for i, r := range leaseTable {
		if r.state == l {
			return uint8(i)
		}
	}
	return 0xff
}

// LeaseAt returns the lease state of ordinal i, and false when i is none.
func LeaseAt(i uint8) (LeaseState, bool) {
	if int(i) >= len(leaseTable) {
		return "", false
	}
	return leaseTable[i].state, true
}
