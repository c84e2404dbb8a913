package report

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestScaleFor: positive error measures keep the fixed log scale; a
// metric with a median or a threshold ≤ 0 gets a linear scale over its
// medians and threshold, white at the threshold, on which every finite
// median has a colour.
func TestScaleFor(t *testing.T) {
	score := verdict.Metric{Name: "score", Goal: verdict.Maximize, Threshold: 0}
	signed := verdict.Metric{Name: "bias", Goal: verdict.Minimize, Threshold: 0.1}
	for _, tc := range []struct {
		name    string
		m       verdict.Metric
		medians []float64
		linear  bool
		white   float64
	}{
		{"rel_l2", verdict.Default(), []float64{1e-3, 0.8, 1.4}, false, -1},
		{"rel_l2, no medians yet", verdict.Default(), nil, false, -1},
		{"threshold 0", score, []float64{-2, 3}, true, 0},
		{"threshold 0, no medians yet", score, nil, true, 0},
		{"a negative median", signed, []float64{-0.5, 0.05, 0.3}, true, 0.1},
		{"a zero median", signed, []float64{0, 0.3}, true, 0.1},
		{"all equal", score, []float64{0, 0}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ScaleFor(tc.m, tc.medians...)
			if s.Linear != tc.linear {
				t.Fatalf("Linear = %v, want %v (%+v)", s.Linear, tc.linear, s)
			}
			if !(s.Min < s.White && s.White < s.Max) || math.Abs(s.White-tc.white) > 1e-12 {
				t.Fatalf("scale %+v: want Min < White = %g < Max", s, tc.white)
			}
			if !tc.linear {
				if s.Min != ScaleMin || s.Max != ScaleMax {
					t.Errorf("log scale %+v, want the fixed [%g, %g]", s, ScaleMin, ScaleMax)
				}
				return
			}
			last := -1.0
			for _, v := range tc.medians {
				p := s.Position(v)
				if math.IsNaN(p) || p <= 0 || p >= 1 || p < last {
					t.Errorf("Position(%g) = %g: want inside (0, 1), increasing", v, p)
				}
				last = p
				if s.Color(v) == MissingColor {
					t.Errorf("median %g has no colour", v)
				}
			}
			if got := s.Position(tc.white); math.Abs(got-s.ThresholdPosition()) > 1e-12 {
				t.Errorf("threshold at %g, ThresholdPosition %g", got, s.ThresholdPosition())
			}
			ticks := s.Ticks()
			if len(ticks) == 0 {
				t.Fatal("no ticks on a linear scale")
			}
			for _, tk := range ticks {
				if tk.Position < 0 || tk.Position > 1 || tk.Label == "" {
					t.Errorf("tick %+v", tk)
				}
			}
		})
	}
	// The failing side is red: below the threshold for a maximised metric.
	s := ScaleFor(score, -2, 3)
	lo, hi := rgba(s.Color(-2)), rgba(s.Color(3))
	if int(lo.R) < int(lo.B)+40 || int(hi.B) < int(hi.R)+40 {
		t.Errorf("maximised score: -2 drawn %v (want red), 3 drawn %v (want blue)", lo, hi)
	}
	if !math.IsNaN(s.Position(math.Inf(1))) || !math.IsNaN(s.Position(math.NaN())) {
		t.Error("a non-finite value has a position")
	}
}

// TestWritePhaseNonPositiveMetric draws a maximised metric whose medians
// are negative, zero and positive: every measured cell gets its colour
// from the grid's linear scale (none is left uncoloured as on a log
// scale).
func TestWritePhaseNonPositiveMetric(t *testing.T) {
	m := verdict.Metric{Name: "score", Goal: verdict.Maximize, Threshold: 0}
	var trials []state.TrialRecord
	values := []float64{-1.5, 0, 2}
	for i, v := range values {
		trials = append(trials, state.TrialRecord{Sweep: "s", Key: fmt.Sprint("k", i), Status: state.StatusDone,
			Point: []byte(fmt.Sprintf(`{"lr":%d,"seed":0}`, i+1)), Result: []byte(fmt.Sprintf(`{"score":%v}`, v))})
	}
	g, err := Aggregate([]string{"lr", "seed"}, trials, m)
	if err != nil {
		t.Fatal(err)
	}
	sc := g.Scale()
	if !sc.Linear {
		t.Fatalf("scale %+v, want linear", sc)
	}
	sls, err := g.Slices("lr", "")
	if err != nil {
		t.Fatal(err)
	}
	s := &sls[0]
	var buf bytes.Buffer
	if err := WritePhase(&buf, FormatPNG, s, PhaseOptions{Sweep: "s"}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w, h := PhaseSize(s)
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	layout := drawPhase(draw.New(c), s, PhaseOptions{Sweep: "s"})
	for i, v := range values {
		r := layout.cells[0][i]
		got := modal(img, pixel(vg.Point{X: r.Min.X + (r.Max.X-r.Min.X)/5, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/5}, h))
		if want := sc.Color(v); !near(got, want) || near(got, MissingColor) {
			t.Errorf("cell score=%g drawn %v, want %v", v, got, want)
		}
	}
}
