package refsol

import (
	"math"
	"strings"
	"testing"
)

func TestPaperGrid(t *testing.T) {
	g := PaperGrid()
	if g.NX != 256 || g.NT != 100 || g.Len() != 25600 {
		t.Fatalf("PaperGrid = %+v, Len %d", g, g.Len())
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"X(0)", g.X(0), 0},
		{"X(128)", g.X(128), math.Pi},
		{"X(64)", g.X(64), math.Pi / 2},
		{"X(255)", g.X(255), 2 * math.Pi * 255 / 256},
		{"T(0)", g.T(0), 0},
		{"T(1)", g.T(1), 1.0 / 99},
		{"T(99)", g.T(99), 1},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %.17g, want %.17g", tc.name, tc.got, tc.want)
		}
	}
	if got := g.Index(1, 0); got != 256 {
		t.Errorf("Index(1, 0) = %d, want 256", got)
	}
	if got := g.Index(99, 255); got != g.Len()-1 {
		t.Errorf("Index(99, 255) = %d, want %d", got, g.Len()-1)
	}
	xs, ts := g.Xs(), g.Ts()
	if len(xs) != 256 || len(ts) != 100 || xs[128] != math.Pi || ts[99] != 1 {
		t.Errorf("Xs/Ts wrong: len %d, %d", len(xs), len(ts))
	}
}

func TestGridValidate(t *testing.T) {
	tests := []struct {
		g       Grid
		wantErr string // "" for valid
	}{
		{Grid{256, 100}, ""},
		{Grid{4, 2}, ""},
		{Grid{5, 7}, ""}, // odd NX is fine
		{Grid{3, 100}, "NX = 3"},
		{Grid{0, 100}, "NX = 0"},
		{Grid{256, 1}, "NT = 1"},
		{Grid{256, -5}, "NT = -5"},
		{Grid{1 << 20, 1 << 10}, "more than"},
	}
	for _, tc := range tests {
		err := tc.g.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.g, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: error %v, want one containing %q", tc.g, err, tc.wantErr)
		}
	}
}
