package refsol

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestICNames(t *testing.T) {
	names := ICNames()
	want := []string{"cos", "gauss", "gauss-narrow", "sin", "sin-mix", "sin2", "step-smooth"}
	if !slices.Equal(names, want) {
		t.Fatalf("ICNames() = %v, want %v", names, want)
	}
	for _, name := range names {
		ic, err := LookupIC(name)
		if err != nil || ic.Name != name || ic.H == nil || ic.DH == nil || ic.Formula == "" {
			t.Errorf("LookupIC(%q) = %+v, %v", name, ic, err)
		}
		if _, err := IC(name); err != nil {
			t.Errorf("IC(%q): %v", name, err)
		}
		if _, err := ICDeriv(name); err != nil {
			t.Errorf("ICDeriv(%q): %v", name, err)
		}
	}
}

func TestICUnknown(t *testing.T) {
	for _, f := range []func(string) (func(float64) float64, error){IC, ICDeriv} {
		h, err := f("tophat")
		if err == nil || h != nil {
			t.Fatalf("unknown IC accepted")
		}
		for _, name := range ICNames() {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not list %q", err, name)
			}
		}
	}
}

func TestICValues(t *testing.T) {
	tests := []struct {
		name string
		x    float64
		want float64
	}{
		{"sin", math.Pi / 2, 1},
		{"cos", 0, 1},
		{"sin2", math.Pi / 4, 1},
		{"sin-mix", math.Pi / 2, 0.5},
		{"sin-mix", math.Pi / 6, 1}, // 1/2 + 1/2 sin(π/2)
		{"gauss", math.Pi, 1},
		{"gauss", 0, math.Exp(-8)}, // (π/(π/4))²/2 = 8; ≈ 3.4e-4
		{"gauss", 2 * math.Pi, math.Exp(-8)},
		{"gauss", math.Pi + math.Pi/4, math.Exp(-0.5)},
		{"gauss-narrow", math.Pi + math.Pi/8, math.Exp(-0.5)},
		{"gauss-narrow", 0, math.Exp(-32)},
		{"step-smooth", 0, 0},
		{"step-smooth", math.Pi, 1},
		{"step-smooth", math.Pi / 2, 0.5},
	}
	for _, tc := range tests {
		h, _ := IC(tc.name)
		if got := h(tc.x); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s(%g) = %.17g, want %.17g", tc.name, tc.x, got, tc.want)
		}
	}
}

// TestICDerivatives checks h' against a central difference.
func TestICDerivatives(t *testing.T) {
	const step = 1e-5
	for _, name := range ICNames() {
		ic, _ := LookupIC(name)
		worst := 0.0
		for k := 0; k <= 200; k++ {
			x := -1 + (2*math.Pi+2)*float64(k)/200
			fd := (ic.H(x+step) - ic.H(x-step)) / (2 * step)
			worst = math.Max(worst, math.Abs(fd-ic.DH(x)))
		}
		if worst > 1e-8 {
			t.Errorf("%s: max |h' − central difference| = %.3g", name, worst)
		}
	}
}

// TestICFlags checks Periodic and UnitRange against the formulas.
func TestICFlags(t *testing.T) {
	for _, name := range ICNames() {
		ic, _ := LookupIC(name)
		dv := math.Abs(ic.H(0) - ic.H(2*math.Pi))
		ds := math.Abs(ic.DH(0) - ic.DH(2*math.Pi))
		if dv > 1e-15 {
			t.Errorf("%s: h(0) − h(2π) = %.3g; every IC should be periodic in value", name, dv)
		}
		if ic.Periodic && ds > 1e-14 {
			t.Errorf("%s: Periodic but h'(0) − h'(2π) = %.3g", name, ds)
		}
		if !ic.Periodic && ds < 1e-14 {
			t.Errorf("%s: not Periodic but h'(0) − h'(2π) = %.3g", name, ds)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for k := range 10001 {
			v := ic.H(2 * math.Pi * float64(k) / 10000)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if in := lo >= 0 && hi <= 1; in != ic.UnitRange {
			t.Errorf("%s: UnitRange = %v but range is [%g, %g]", name, ic.UnitRange, lo, hi)
		}
	}
	// The reference doc's slope mismatch of the paper's Gaussian: ±1.7e-3.
	ic, _ := LookupIC("gauss")
	if s := ic.DH(0); math.Abs(s-1.7e-3) > 0.05e-3 || ic.DH(2*math.Pi) != -s {
		t.Errorf("gauss h'(0) = %.4g, h'(2π) = %.4g; want ±1.7e-3", s, ic.DH(2*math.Pi))
	}
}
