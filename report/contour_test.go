package report

import (
	"math"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// fnGrid is an nc × nr grid with X(i) = i, Y(j) = j and values f(i, j).
type fnGrid struct {
	nc, nr int
	f      func(x, y float64) float64
}

func (g fnGrid) Dims() (c, r int)   { return g.nc, g.nr }
func (g fnGrid) X(c int) float64    { return float64(c) }
func (g fnGrid) Y(r int) float64    { return float64(r) }
func (g fnGrid) Z(c, r int) float64 { return g.f(float64(c), float64(r)) }

func TestContourAt(t *testing.T) {
	pt := func(x, y float64) plotter.XY { return plotter.XY{X: x, Y: y} }
	// twoPeaks has peaks of height 1 at (1, 1) and (4, 1), 0 elsewhere.
	twoPeaks := func(x, y float64) float64 {
		if y == 1 && (x == 1 || x == 4) {
			return 1
		}
		return 0
	}
	for _, tc := range []struct {
		name string
		g    fnGrid
		z    float64
		want []contourLine
	}{
		{"nothing above", fnGrid{3, 3, func(x, y float64) float64 { return x + y }}, 5, nil},
		{"plane: one open line, from row 0", fnGrid{4, 3, func(x, y float64) float64 { return x }}, 1.25,
			[]contourLine{{points: plotter.XYs{pt(1.25, 0), pt(1.25, 1), pt(1.25, 2)}}}},
		// Two peaks: two diamond loops, the left one (lower-numbered
		// edges) first, each from its lowest-numbered edge, the left
		// horizontal one.
		{"two loops in order", fnGrid{6, 3, twoPeaks}, 0.5, []contourLine{
			{points: plotter.XYs{pt(0.5, 1), pt(1, 0.5), pt(1.5, 1), pt(1, 1.5)}, closed: true},
			{points: plotter.XYs{pt(3.5, 1), pt(4, 0.5), pt(4.5, 1), pt(4, 1.5)}, closed: true},
		}},
		// A saddle, 1 at the bottom-left and top-right corners, 0 at the
		// others: the mean 0.5 is above 0.25, so the lines cut off the low
		// corners; it is not above 0.75, so they cut off the high ones.
		{"saddle, centre above", fnGrid{2, 2, func(x, y float64) float64 { return 1 - math.Abs(x-y) }}, 0.25, []contourLine{
			{points: plotter.XYs{pt(0.75, 0), pt(1, 0.25)}},
			{points: plotter.XYs{pt(0.25, 1), pt(0, 0.75)}},
		}},
		{"saddle, centre below", fnGrid{2, 2, func(x, y float64) float64 { return 1 - math.Abs(x-y) }}, 0.75, []contourLine{
			{points: plotter.XYs{pt(0.25, 0), pt(0, 0.25)}},
			{points: plotter.XYs{pt(0.75, 1), pt(1, 0.75)}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := contourAt(tc.g, tc.z)
			if len(got) != len(tc.want) {
				t.Fatalf("%d lines %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i].closed != tc.want[i].closed || len(got[i].points) != len(tc.want[i].points) {
					t.Fatalf("line %d: %v, want %v", i, got[i], tc.want[i])
				}
				for k, p := range got[i].points {
					if q := tc.want[i].points[k]; math.Abs(p.X-q.X) > 1e-12 || math.Abs(p.Y-q.Y) > 1e-12 {
						t.Errorf("line %d point %d: %v, want %v", i, k, p, q)
					}
				}
			}
		})
	}
}

// TestContourAtBowl: the contour of a paraboloid is one closed loop
// through every cell it crosses, each point within the error of linear
// interpolation (a quarter of the squared spacing) of the circle.
func TestContourAtBowl(t *testing.T) {
	g := fnGrid{11, 11, func(x, y float64) float64 { return (x-5)*(x-5) + (y-5)*(y-5) }}
	lines := contourAt(g, 10)
	if len(lines) != 1 || !lines[0].closed {
		t.Fatalf("%d lines (first closed: %v), want one loop", len(lines), len(lines) > 0 && lines[0].closed)
	}
	for _, p := range lines[0].points {
		if r2 := (p.X-5)*(p.X-5) + (p.Y-5)*(p.Y-5); math.Abs(r2-10) > 0.25 {
			t.Errorf("point %v: r² = %g, want 10 ± 0.25", p, r2)
		}
	}
	if n := len(lines[0].points); n < 16 {
		t.Errorf("%d points, want one per crossed edge (at least 16)", n)
	}
}
