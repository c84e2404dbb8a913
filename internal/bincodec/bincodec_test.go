package bincodec

import (
	"errors"
	"math"
	"testing"
)

// TestRoundTrip: every value comes back bit for bit, −0 and NaN payloads
// included, and the reader ends exactly at the end.
func TestRoundTrip(t *testing.T) {
	nz, nan := math.Copysign(0, -1), math.Float64frombits(0x7ff8000000000abc)
	var w Writer
	w.Int(-42)
	w.Uint64(math.MaxUint64)
	w.Float(nz)
	w.Float(nan)
	w.Bool(true)
	w.Floats([]float64{1.5, nz, math.Inf(-1)})
	w.Floats(nil)
	nz32, nan32 := float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00abc)
	w.Float32s([]float32{1.5, nz32, nan32, float32(math.Inf(1))})
	w.Float32s(nil)
	w.String("sweep/0123")
	w.Blob([]byte{0, 1, 2})

	r := NewReader(w.Bytes())
	if v := r.Int(); v != -42 {
		t.Errorf("Int %d", v)
	}
	if v := r.Uint64(); v != math.MaxUint64 {
		t.Errorf("Uint64 %d", v)
	}
	if v := r.Float(); math.Float64bits(v) != math.Float64bits(nz) {
		t.Errorf("−0 came back as %v (sign %v)", v, math.Signbit(v))
	}
	if v := r.Float(); math.Float64bits(v) != math.Float64bits(nan) {
		t.Errorf("NaN payload lost: %x", math.Float64bits(v))
	}
	if !r.Bool() {
		t.Error("Bool")
	}
	if v := r.Floats(); len(v) != 3 || v[0] != 1.5 || !math.Signbit(v[1]) || !math.IsInf(v[2], -1) {
		t.Errorf("Floats %v", v)
	}
	if v := r.Floats(); v != nil {
		t.Errorf("empty Floats %v", v)
	}
	if v := r.Float32s(); len(v) != 4 || v[0] != 1.5 || math.Float32bits(v[1]) != math.Float32bits(nz32) ||
		math.Float32bits(v[2]) != math.Float32bits(nan32) || !math.IsInf(float64(v[3]), 1) {
		t.Errorf("Float32s %v", v)
	}
	if v := r.Float32s(); v != nil {
		t.Errorf("empty Float32s %v", v)
	}
	if v := r.String(); v != "sweep/0123" {
		t.Errorf("String %q", v)
	}
	if v := r.Blob(); len(v) != 3 || v[2] != 2 {
		t.Errorf("Blob %v", v)
	}
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
}

// TestCorrupt: short data, a length beyond the data, a bad bool byte and
// leftover bytes are errors, sticky, and allocate nothing large.
func TestCorrupt(t *testing.T) {
	var w Writer
	w.Floats([]float64{1, 2, 3})
	good := w.Bytes()
	for n := 0; n < len(good); n++ {
		r := NewReader(good[:n])
		r.Floats()
		if err := r.Done(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	var w32 Writer
	w32.Float32s([]float32{1, 2, 3})
	good32 := w32.Bytes()
	for n := 0; n < len(good32); n++ {
		r := NewReader(good32[:n])
		r.Float32s()
		if err := r.Done(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("float32s truncated to %d bytes: %v", n, err)
		}
	}
	var huge Writer
	huge.Int(1 << 60) // a vector of 2^60 floats, in 8 bytes
	r := NewReader(huge.Bytes())
	if v := r.Floats(); v != nil || !errors.Is(r.Err(), ErrCorrupt) {
		t.Errorf("huge length: %d floats, %v", len(v), r.Err())
	}
	if r := NewReader(huge.Bytes()); r.Float32s() != nil || !errors.Is(r.Err(), ErrCorrupt) {
		t.Errorf("huge float32 length: %v", r.Err())
	}
	if r.Int() != 0 || r.String() != "" {
		t.Error("reads after an error are not zero")
	}
	if r := NewReader([]byte{2}); r.Bool() || !errors.Is(r.Err(), ErrCorrupt) {
		t.Errorf("bool byte 2: %v", r.Err())
	}
	if r := NewReader(append(good, 9)); r.Floats() == nil || !errors.Is(r.Done(), ErrCorrupt) {
		t.Errorf("leftover byte: %v", r.Done())
	}
}
