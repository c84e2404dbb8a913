package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// TestNewFieldScale pins the log-or-linear rule.
func TestNewFieldScale(t *testing.T) {
	for _, tc := range []struct {
		medians []float64
		want    FieldScale
	}{
		{[]float64{6e3, 1.5e6, 2e4}, FieldScale{Log: true, Min: math.Log10(6e3), Max: math.Log10(1.5e6)}},
		{[]float64{1, 10}, FieldScale{Log: true, Min: 0, Max: 1}},                            // a decade: log
		{[]float64{1, 9.99}, FieldScale{Min: 1, Max: 9.99}},                                  // less: linear
		{[]float64{-0.1, 5, 1e4}, FieldScale{Min: -0.1, Max: 1e4}},                           // not all positive: linear
		{[]float64{0, 1e4}, FieldScale{Min: 0, Max: 1e4}},                                    // zero: linear
		{[]float64{3, 3}, FieldScale{Min: 1.5, Max: 4.5}},                                    // one value: a range around it
		{nil, FieldScale{Min: 0, Max: 1}},                                                    // none
		{[]float64{-2}, FieldScale{Min: -3, Max: -1}},                                        //
		{[]float64{1e-9, 2e-9, 5e-7}, FieldScale{Log: true, Min: -9, Max: math.Log10(5e-7)}}, // small values
	} {
		got := NewFieldScale(tc.medians)
		if got.Log != tc.want.Log || math.Abs(got.Min-tc.want.Min) > 1e-12 || math.Abs(got.Max-tc.want.Max) > 1e-12 {
			t.Errorf("NewFieldScale(%v) = %+v, want %+v", tc.medians, got, tc.want)
		}
	}
}

// fieldTrials is β ∈ {1, 10, 40} × 3 seeds with hessian_max = 1000 β²
// (seed 1: twice that), regular failing at β = 40; one trial at β = 10
// without the field and one at β = 40 diverged.
func fieldTrials() []state.TrialRecord {
	var trials []state.TrialRecord
	for _, beta := range []int{1, 10, 40} {
		for seed := range 3 {
			p := fmt.Sprintf(`{"beta":%d,"seed":%d}`, beta, seed)
			rel := 0.01
			if beta == 40 {
				rel = 1.2
			}
			res := fmt.Sprintf(`{"rel_l2":%v,"hessian_max":%v,"loss":1e-3,"loss_initial":1,"residual_train":1e-4,"residual_grid":10}`,
				rel, 1000*float64(beta*beta)*float64(1+seed%2))
			st := state.StatusDone
			switch {
			case beta == 10 && seed == 2:
				res = `{"rel_l2":0.01}`
			case beta == 40 && seed == 0:
				st, res = state.StatusDiverged, `{"rel_l2":"NaN","hessian_max":5}`
			}
			trials = append(trials, state.TrialRecord{Sweep: "s", Key: fmt.Sprint(beta, seed), Point: []byte(p), Status: st, Result: []byte(res)})
		}
	}
	return trials
}

// TestField: per cell, the field's statistics over the done replicates
// that have it as a finite number.
func TestField(t *testing.T) {
	trials := fieldTrials()
	g, err := Aggregate([]string{"beta", "seed"}, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	f, err := g.Field("hessian_max", trials)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		n      int
		median float64
	}{{3, 1000}, {2, 1.5e5}, {2, 2.4e6}} { // β = 40: the diverged trial's value is not counted
		if st := f.Stats[i]; st == nil || st.N != want.n || st.Median != want.median {
			t.Errorf("cell %d: %+v, want n %d median %g", i, st, want.n, want.median)
		}
	}
	if !f.Scale.Log || f.Scale.Min != 3 || math.Abs(f.Scale.Max-math.Log10(2.4e6)) > 1e-12 {
		t.Errorf("scale %+v", f.Scale)
	}
	_, err = g.Field("hessian_min", trials)
	if !errors.Is(err, ErrNoField) || !strings.Contains(err.Error(), `"hessian_max", "loss", "loss_initial", "rel_l2", "residual_grid", "residual_train"`) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := g.Field("", trials); !errors.Is(err, ErrNoField) {
		t.Errorf("empty name: %v", err)
	}
}

// TestWriteField: cells coloured on the field's scale; the threshold
// boundary only on the verdict metric's own diagram.
func TestWriteField(t *testing.T) {
	trials := fieldTrials()
	g, err := Aggregate([]string{"beta", "seed"}, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	sl, err := g.Slices("beta", "")
	if err != nil {
		t.Fatal(err)
	}
	s := &sl[0]
	if s.FieldName("hessian_max") != "metric-hessian_max-beta" || s.ClassesName() != "classes-beta" {
		t.Errorf("names %q, %q", s.FieldName("hessian_max"), s.ClassesName())
	}
	w, h := PhaseSize(s)
	for _, name := range []string{"hessian_max", "rel_l2"} {
		f, err := g.Field(name, trials)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteField(&buf, FormatPNG, s, f, PhaseOptions{}); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		layout := drawFieldPhase(draw.New(vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))), s, f, PhaseOptions{})
		for i := range 3 {
			r := layout.cells[0][i]
			p := pixel(vg.Point{X: r.Min.X + (r.Max.X-r.Min.X)/5, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/5}, h)
			if got, want := modal(img, p), f.Scale.Color(f.Stats[i].Median); !near(got, want) {
				t.Errorf("%s: cell %d %v, want %v", name, i, got, want)
			}
		}
		// β = 10 passes, β = 40 fails: a boundary between them on rel_l2's
		// diagram only.
		r := layout.cells[0][1]
		p := pixel(vg.Point{X: r.Max.X, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/5}, h)
		if dark := luminance(img.At(p.X, p.Y)) < 0.15; dark != (name == "rel_l2") {
			t.Errorf("%s: boundary drawn %v", name, dark)
		}
		buf.Reset()
		if err := WriteField(&buf, FormatSVG, s, f, PhaseOptions{Sweep: "x"}); err != nil {
			t.Fatal(err)
		}
		checkSVG(t, buf.Bytes())
		if !bytes.Contains(buf.Bytes(), []byte(name)) {
			t.Errorf("%s: the SVG does not name the field", name)
		}
	}
	if err := WriteField(&bytes.Buffer{}, FormatPNG, s, &Field{Name: "x"}, PhaseOptions{}); !errors.Is(err, ErrBadTrial) {
		t.Errorf("a field of another grid: %v", err)
	}
}
