package optim

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

// stepper is what the checkpoint tests need of both optimizers.
type stepper interface {
	Minimize(context.Context, Func, []float64) (Result, error)
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// snapshot is a state taken at an iteration boundary, with x there.
type snapshot struct {
	state []byte
	x     []float64
}

// sameBits reports whether a and b are equal bit for bit.
func sameBits(a, b []float64) bool { return equalBits(a, b) }

// sameResult compares two Results, Elapsed aside.
func sameResult(a, b Result) bool {
	return math.Float64bits(a.F) == math.Float64bits(b.F) && math.Float64bits(a.GradMax) == math.Float64bits(b.GradMax) &&
		a.Iters == b.Iters && a.Evals == b.Evals && a.Reason == b.Reason
}

// TestResumeMidCall: an optimizer restored from a state taken at any
// iteration boundary of a call finishes that call exactly as the original:
// the same x, loss, counters and stop reason, bit for bit; and taking the
// states does not change the run.
func TestResumeMidCall(t *testing.T) {
	cases := []struct {
		name string
		make func(Settings) stepper
		set  Settings
		f    Func
		n    int
	}{
		{"lbfgs/rosenbrock", func(s Settings) stepper { return NewLBFGS(8, s) }, Settings{History: 5, MaxIters: 60}, rosenChained, 8},
		{"lbfgs/maxevals", func(s Settings) stepper { return NewLBFGS(8, s) }, Settings{History: 3, MaxEvals: 70}, rosenChained, 8},
		{"lbfgs/converges", func(s Settings) stepper { return NewLBFGS(20, s) }, Settings{History: 50}, quad(20, 1e3), 20},
		{"lbfgs/float32-pairs", func(s Settings) stepper { return NewLBFGS(8, s) }, Settings{History: 5, MaxIters: 60, HistoryFloat32: true}, rosenChained, 8},
		{"lbfgs/float32-pairs-full", func(s Settings) stepper { return NewLBFGS(8, s) }, Settings{History: 3, MaxEvals: 70, HistoryFloat32: true}, rosenChained, 8},
		{"adam/decay", func(s Settings) stepper { return NewAdam(8, s) }, Settings{LR: 0.01, MaxIters: 80, DecaySteps: 7, Decay: 0.5}, rosenChained, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain := c.make(c.set)
			xp := rosenStart(c.n)
			want, err := plain.Minimize(context.Background(), c.f, xp)
			if err != nil {
				t.Fatal(err)
			}

			var snaps []snapshot
			var opt stepper
			set := c.set
			x := rosenStart(c.n)
			set.AtBoundary = func() {
				b, err := opt.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				snaps = append(snaps, snapshot{b, slices.Clone(x)})
			}
			opt = c.make(set)
			got, err := opt.Minimize(context.Background(), c.f, x)
			if err != nil {
				t.Fatal(err)
			}
			if !sameResult(got, want) || !sameBits(x, xp) {
				t.Fatalf("with AtBoundary: %+v, want %+v (x equal: %v)", got, want, sameBits(x, xp))
			}
			if len(snaps) < 5 {
				t.Fatalf("%d boundaries; the case is too short", len(snaps))
			}
			for _, k := range []int{0, 1, len(snaps) / 2, len(snaps) - 1} {
				r := c.make(c.set)
				if err := r.UnmarshalBinary(snaps[k].state); err != nil {
					t.Fatalf("boundary %d: %v", k, err)
				}
				xr := slices.Clone(snaps[k].x)
				res, err := r.Minimize(context.Background(), c.f, xr)
				if err != nil {
					t.Fatal(err)
				}
				if !sameResult(res, want) || !sameBits(xr, xp) {
					t.Errorf("resumed at boundary %d of %d: %+v, want %+v (x equal: %v)", k, len(snaps), res, want, sameBits(xr, xp))
				}
			}
		})
	}
}

// TestResumeBetweenCalls: a state taken between calls carries the
// curvature memory (or Adam's moments) into the next call, as the
// original optimizer does.
func TestResumeBetweenCalls(t *testing.T) {
	for _, mk := range []struct {
		name string
		make func() stepper
	}{
		{"lbfgs", func() stepper { return NewLBFGS(8, Settings{History: 4, MaxIters: 7}) }},
		{"lbfgs/float32-pairs", func() stepper { return NewLBFGS(8, Settings{History: 4, MaxIters: 7, HistoryFloat32: true}) }},
		{"adam", func() stepper { return NewAdam(8, Settings{LR: 0.01, MaxIters: 7, DecaySteps: 3}) }},
	} {
		t.Run(mk.name, func(t *testing.T) {
			a := mk.make()
			x := rosenStart(8)
			for range 3 {
				if _, err := a.Minimize(context.Background(), rosenChained, x); err != nil {
					t.Fatal(err)
				}
			}
			state, err := a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			xb := slices.Clone(x)
			want, _ := a.Minimize(context.Background(), rosenChained, x)
			b := mk.make()
			if err := b.UnmarshalBinary(state); err != nil {
				t.Fatal(err)
			}
			got, _ := b.Minimize(context.Background(), rosenChained, xb)
			if !sameResult(got, want) || !sameBits(xb, x) {
				t.Errorf("restored: %+v, want %+v (x equal: %v)", got, want, sameBits(xb, x))
			}
		})
	}
}

// TestAdamResumeRollback: Adam restored at a boundary rolls back to the
// same point as the original when the next evaluation diverges.
func TestAdamResumeRollback(t *testing.T) {
	calls := 0
	f := func(x, g []float64) float64 {
		calls++
		if calls == 6 {
			return math.NaN()
		}
		return rosenChained(x, g)
	}
	var state []byte
	var xs []float64
	var a *Adam
	x := rosenStart(4)
	a = NewAdam(4, Settings{LR: 0.01, AtBoundary: func() {
		if calls == 5 {
			state, _ = a.MarshalBinary()
			xs = slices.Clone(x)
		}
	}})
	want, err := a.Minimize(context.Background(), f, x)
	if !errors.Is(err, ErrDiverged) || state == nil {
		t.Fatalf("err %v, state taken: %v", err, state != nil)
	}
	calls = 5
	b := NewAdam(4, Settings{LR: 0.01})
	if err := b.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	got, err := b.Minimize(context.Background(), f, xs)
	if !errors.Is(err, ErrDiverged) || !sameResult(got, want) || !sameBits(xs, x) {
		t.Errorf("restored: %+v, %v; want %+v (x equal: %v)", got, err, want, sameBits(xs, x))
	}
}

// TestUnmarshalRefuses: states of the other optimizer, another dimension,
// history or settings, and damaged bytes are refused with ErrState, and
// the optimizer is left as it was.
func TestUnmarshalRefuses(t *testing.T) {
	src := NewLBFGS(6, Settings{History: 4, MaxIters: 5})
	x := rosenStart(6)
	if _, err := src.Minimize(context.Background(), rosenChained, x); err != nil {
		t.Fatal(err)
	}
	good, _ := src.MarshalBinary()
	adam, _ := NewAdam(6, Settings{}).MarshalBinary()
	src32 := NewLBFGS(6, Settings{History: 4, MaxIters: 5, HistoryFloat32: true})
	if _, err := src32.Minimize(context.Background(), rosenChained, rosenStart(6)); err != nil {
		t.Fatal(err)
	}
	good32, _ := src32.MarshalBinary()
	if len(good32) >= len(good) {
		t.Errorf("a state of float32 pairs takes %d bytes, of float64 ones %d", len(good32), len(good))
	}

	for _, c := range []struct {
		name string
		opt  stepper
		data []byte
	}{
		{"adam state", NewLBFGS(6, Settings{History: 4}), adam},
		{"lbfgs state", NewAdam(6, Settings{}), good},
		{"dimension", NewLBFGS(7, Settings{History: 4}), good},
		{"history", NewLBFGS(6, Settings{History: 5}), good},
		{"settings", NewLBFGS(6, Settings{History: 4, LR: 0.5}), good},
		{"float64 pairs into a float32 history", NewLBFGS(6, Settings{History: 4, HistoryFloat32: true}), good},
		{"float32 pairs into a float64 history", NewLBFGS(6, Settings{History: 4}), good32},
		{"empty", NewLBFGS(6, Settings{History: 4}), nil},
		{"trailing", NewLBFGS(6, Settings{History: 4}), append(slices.Clone(good), 0)},
	} {
		if err := c.opt.UnmarshalBinary(c.data); !errors.Is(err, ErrState) {
			t.Errorf("%s: err %v, want ErrState", c.name, err)
		}
	}
	// Every truncation is an error, never a panic or a success.
	for n := 0; n < len(good); n++ {
		o := NewLBFGS(6, Settings{History: 4})
		if err := o.UnmarshalBinary(good[:n]); !errors.Is(err, ErrState) {
			t.Fatalf("truncated to %d of %d bytes: err %v", n, len(good), err)
		}
	}
	for n := 0; n < len(good32); n++ {
		o := NewLBFGS(6, Settings{History: 4, HistoryFloat32: true})
		if err := o.UnmarshalBinary(good32[:n]); !errors.Is(err, ErrState) {
			t.Fatalf("float32 pairs truncated to %d of %d bytes: err %v", n, len(good32), err)
		}
	}
	// A refused state leaves the optimizer as it was.
	o := NewLBFGS(6, Settings{History: 4, MaxIters: 5})
	before, _ := o.MarshalBinary()
	_ = o.UnmarshalBinary(good[:len(good)/2])
	after, _ := o.MarshalBinary()
	if !slices.Equal(before, after) {
		t.Error("a refused state changed the optimizer")
	}
}

// FuzzUnmarshal: no input makes UnmarshalBinary panic, and what it takes
// encodes back to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	o := NewLBFGS(3, Settings{History: 2, MaxIters: 4})
	x := rosenStart(3)
	_, _ = o.Minimize(context.Background(), rosenChained, x)
	b, _ := o.MarshalBinary()
	f.Add(b)
	a, _ := NewAdam(3, Settings{}).MarshalBinary()
	f.Add(a)
	o32 := NewLBFGS(3, Settings{History: 2, MaxIters: 4, HistoryFloat32: true})
	_, _ = o32.Minimize(context.Background(), rosenChained, rosenStart(3))
	b32, _ := o32.MarshalBinary()
	f.Add(b32)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, f32 := range []bool{false, true} {
			l := NewLBFGS(3, Settings{History: 2, HistoryFloat32: f32})
			if l.UnmarshalBinary(data) == nil {
				again, _ := l.MarshalBinary()
				if l.resume == nil && !slices.Equal(again, data) {
					t.Errorf("re-encoded state differs (float32 pairs: %v)", f32)
				}
			}
		}
		_ = NewAdam(3, Settings{}).UnmarshalBinary(data)
	})
}
