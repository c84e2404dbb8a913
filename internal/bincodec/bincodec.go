// Package bincodec is the byte-level encoding of pinnsweep's checkpoints:
// little-endian fixed-width integers, float64s and float32s as their IEEE-754 bits (so
// −0, NaN payloads and every last bit survive, which encoding/gob does not
// guarantee for a lone −0), and length-prefixed vectors and strings.
//
// A Reader's errors are sticky: after the first short or malformed field
// every later read returns a zero value, and Err reports the first error.
// A vector's length is checked against the bytes left before anything is
// allocated, so a damaged length cannot make a reader allocate more than
// its input.
package bincodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrCorrupt is wrapped by every error of a Reader.
var ErrCorrupt = errors.New("bincodec: corrupt data")

// Writer appends encoded values to a buffer. The zero value is ready.
type Writer struct{ b []byte }

// Bytes returns the encoded values.
func (w *Writer) Bytes() []byte { return w.b }

// Uint64 appends v.
func (w *Writer) Uint64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

// Int appends v.
func (w *Writer) Int(v int) { w.Uint64(uint64(int64(v))) }

// Float appends v's bits.
func (w *Writer) Float(v float64) { w.Uint64(math.Float64bits(v)) }

// Bool appends v as one byte.
func (w *Writer) Bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// Floats appends len(v) and v's elements.
func (w *Writer) Floats(v []float64) {
	w.Int(len(v))
	for _, x := range v {
		w.Float(x)
	}
}

// Float32s appends len(v) and v's elements as their float32 bits (4 bytes
// each).
func (w *Writer) Float32s(v []float32) {
	w.Int(len(v))
	for _, x := range v {
		w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(x))
	}
}

// Blob appends len(v) and v.
func (w *Writer) Blob(v []byte) {
	w.Int(len(v))
	w.b = append(w.b, v...)
}

// String appends len(s) and s.
func (w *Writer) String(s string) { w.Blob([]byte(s)) }

// Reader decodes what a Writer wrote, in the same order.
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a Reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Done returns the first error met, or an error if bytes are left over.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes left over", len(r.b))
	}
	return r.err
}

func (r *Reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	r.b = nil
}

// Uint64 reads a uint64.
func (r *Reader) Uint64() uint64 {
	if len(r.b) < 8 {
		r.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// Int reads an int.
func (r *Reader) Int() int {
	v := int64(r.Uint64())
	if int64(int(v)) != v {
		r.fail("integer %d out of range", v)
		return 0
	}
	return int(v)
}

// Float reads a float64.
func (r *Reader) Float() float64 { return math.Float64frombits(r.Uint64()) }

// Bool reads a bool.
func (r *Reader) Bool() bool {
	if len(r.b) < 1 {
		r.fail("truncated")
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.fail("bool byte %d", v)
	}
	return v == 1
}

// length reads a length of items of size bytes each and checks that they
// fit in what is left.
func (r *Reader) length(size int) int {
	n := r.Int()
	if r.err == nil && (n < 0 || n > len(r.b)/size) {
		r.fail("length %d with %d bytes left", n, len(r.b))
		return 0
	}
	return n
}

// Floats reads a vector; an empty one comes back nil.
func (r *Reader) Floats() []float64 {
	n := r.length(8)
	if n == 0 {
		return nil
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Float()
	}
	return v
}

// Float32s reads a vector written by Writer.Float32s; an empty one comes
// back nil.
func (r *Reader) Float32s() []float32 {
	n := r.length(4)
	if n == 0 {
		return nil
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:]))
	}
	r.b = r.b[4*n:]
	return v
}

// Blob reads a byte string; an empty one comes back nil.
func (r *Reader) Blob() []byte {
	n := r.length(1)
	if n == 0 {
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}

// String reads a string.
func (r *Reader) String() string { return string(r.Blob()) }
