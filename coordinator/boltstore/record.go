package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Trial records are stored in one of two encodings, told apart by their
// first byte (see "Trial record" in DESIGN.md):
//
//   - '{': a JSON state.TrialRecord, with its params and point, as schema
//     version 1 wrote it. These are read, never written.
//   - recordBinary: the binary state record below; the trial's params and
//     point are in the inputs bucket (inputsBinary).
const (
	recordBinary byte = 0x02
	inputsBinary byte = 0x02
)

// errBadRecord reports a stored record that does not decode.
var errBadRecord = errors.New("malformed record")

// Flags of the binary state record.
const (
	flagStop    = 1 << 0 // StopRequested
	flagValue   = 1 << 1 // Value is set (8 bytes follow the times)
	flagLeaseID = 1 << 2 // LeaseID is "sweep/key/token" (formatLeaseID)
	flagIDText  = 1 << 3 // LeaseID is some other text, stored after the reason
	flagSecret  = 1 << 4 // LeaseSecret is set (16 bytes at the end)
)

// appendTrialState appends the binary state record of t: everything but
// its sweep and key (the bucket and the key it is stored under), its
// params and point (the inputs record) and its result (the results
// bucket). The lease id is normally "sweep/key/token", a flag; any other
// lease id is stored as text.
//
//	byte    recordBinary
//	uvarint index
//	byte    status code, lease state code, flags
//	varint  attempts, expiries
//	uvarint token
//	varint  lease expiry, updated (Unix ns; 0: the zero time)
//	8 bytes rel_l2 (float64 bits, little-endian), if flagValue
//	uvarint len(worker), worker, uvarint len(reason), reason
//	uvarint len(lease id), lease id, if flagIDText
//	16 bytes lease secret, if flagSecret
func appendTrialState(b []byte, t *state.TrialRecord) ([]byte, error) {
	sc, sok := t.Status.Code()
	lc, lok := t.LeaseState.Code()
	if !sok || !lok || t.Index < 0 {
		return b, fmt.Errorf("trial %s: cannot encode status %q, lease state %q, index %d", t.ID(), t.Status, t.LeaseState, t.Index)
	}
	var flags byte
	if t.StopRequested {
		flags |= flagStop
	}
	if t.Value != nil {
		flags |= flagValue
	}
	switch t.LeaseID {
	case "":
	case state.LeaseID(t.Sweep, t.Key, t.Token):
		flags |= flagLeaseID
	default:
		flags |= flagIDText
	}
	if !t.LeaseSecret.IsZero() {
		flags |= flagSecret
	}
	b = append(b, recordBinary)
	b = binary.AppendUvarint(b, uint64(t.Index))
	b = append(b, sc, lc, flags)
	b = binary.AppendVarint(b, int64(t.Attempts))
	b = binary.AppendVarint(b, int64(t.Expiries))
	b = binary.AppendUvarint(b, t.Token)
	b = binary.AppendVarint(b, state.UnixNano(t.LeaseExpiry))
	b = binary.AppendVarint(b, state.UnixNano(t.Updated))
	if t.Value != nil {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*t.Value))
	}
	b = binary.AppendUvarint(b, uint64(len(t.Worker)))
	b = append(b, t.Worker...)
	b = binary.AppendUvarint(b, uint64(len(t.Reason)))
	b = append(b, t.Reason...)
	if flags&flagIDText != 0 {
		b = binary.AppendUvarint(b, uint64(len(t.LeaseID)))
		b = append(b, t.LeaseID...)
	}
	if flags&flagSecret != 0 {
		b = append(b, t.LeaseSecret[:]...)
	}
	return b, nil
}

// recordReader decodes the fields of a binary record in order; the first
// failure sticks.
type recordReader struct {
	b   []byte
	bad bool
}

func (r *recordReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// decodeTrialState decodes a binary state record into t, which has Sweep
// and Key set. It sets LeaseID from them and the token, and leaves Params,
// Point and Result alone.
func decodeTrialState(v []byte, t *state.TrialRecord) error {
	r := recordReader{b: v}
	if r.byte() != recordBinary {
		return fmt.Errorf("%w: unknown record format", errBadRecord)
	}
	index := r.uvarint()
	sc, lc, flags := r.byte(), r.byte(), r.byte()
	attempts, expiries := r.varint(), r.varint()
	token := r.uvarint()
	expiry, updated := r.varint(), r.varint()
	var rel *float64
	if flags&flagValue != 0 {
		if b := r.bytes(8); b != nil {
			x := math.Float64frombits(binary.LittleEndian.Uint64(b))
			rel = &x
		}
	}
	worker := r.bytes(r.uvarint())
	reason := r.bytes(r.uvarint())
	var leaseID []byte
	if flags&flagIDText != 0 {
		leaseID = r.bytes(r.uvarint())
	}
	var secret state.LeaseSecret
	if flags&flagSecret != 0 {
		copy(secret[:], r.bytes(uint64(len(secret))))
	}
	if r.bad || len(r.b) != 0 {
		return fmt.Errorf("%w: truncated or overlong binary record", errBadRecord)
	}
	status, sok := state.StatusOfCode(sc)
	lease, lok := state.LeaseOfCode(lc)
	if !sok || !lok || index > math.MaxInt32 || flags&^(flagStop|flagValue|flagLeaseID|flagIDText|flagSecret) != 0 ||
		attempts != int64(int32(attempts)) || expiries != int64(int32(expiries)) {
		return fmt.Errorf("%w: bad status, lease state, flags or counts", errBadRecord)
	}
	t.Index = int(index)
	t.Status = status
	t.LeaseState = lease
	t.StopRequested = flags&flagStop != 0
	t.Attempts, t.Expiries = int(attempts), int(expiries)
	t.Token = token
	switch {
	case flags&flagLeaseID != 0:
		t.LeaseID = state.LeaseID(t.Sweep, t.Key, token)
	case flags&flagIDText != 0:
		t.LeaseID = string(leaseID)
	default:
		t.LeaseID = ""
	}
	t.LeaseExpiry, t.Updated = state.TimeOfUnixNano(expiry), state.TimeOfUnixNano(updated)
	t.Value = rel
	t.Worker, t.Reason = string(worker), string(reason)
	t.LeaseSecret = secret
	return nil
}

// appendInputs appends the inputs record of a trial: inputsBinary,
// uvarint len(params), params, point.
func appendInputs(b []byte, params, point []byte) []byte {
	b = append(b, inputsBinary)
	b = binary.AppendUvarint(b, uint64(len(params)))
	b = append(b, params...)
	return append(b, point...)
}

// decodeInputs splits an inputs record into params and point (sharing v).
func decodeInputs(v []byte) (params, point json.RawMessage, err error) {
	r := recordReader{b: v}
	if r.byte() != inputsBinary {
		return nil, nil, fmt.Errorf("%w: unknown inputs format", errBadRecord)
	}
	params = r.bytes(r.uvarint())
	if r.bad {
		return nil, nil, fmt.Errorf("%w: truncated inputs record", errBadRecord)
	}
	return params, r.b, nil
}

// isJSONRecord reports whether a stored trial record is in the JSON
// encoding of schema version 1.
func isJSONRecord(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// decodeStoredTrial decodes a stored trial record of either encoding into
// t (Sweep and Key set by the caller). A JSON record sets Params and
// Point too; a binary one leaves them nil.
func decodeStoredTrial(sweep, key string, v []byte, t *state.TrialRecord) error {
	if isJSONRecord(v) {
		*t = state.TrialRecord{}
		if err := json.Unmarshal(v, t); err != nil {
			return err
		}
		if t.Sweep != sweep || t.Key != key {
			return fmt.Errorf("%w: record names trial %s", errBadRecord, t.ID())
		}
		if !t.Status.Valid() {
			return fmt.Errorf("%w: invalid status %q", errBadRecord, t.Status)
		}
		return nil
	}
	*t = state.TrialRecord{Sweep: sweep, Key: key}
	return decodeTrialState(v, t)
}
