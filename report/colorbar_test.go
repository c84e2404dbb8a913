package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/pinnsweep/pinnsweep/trainer"
)

// colored reports whether c is a colour of a heat map or colour ramp:
// saturated, unlike the white background and the black and grey
// (anti-aliased) text and axes.
func colored(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	hi, lo := max(r, g, b)>>8, min(r, g, b)>>8
	return hi-lo >= 40
}

// colorRun is a run [x0, x1) of adjacent columns of an image that hold a
// heat map or a colour ramp.
type colorRun struct{ x0, x1 int }

// colorRuns returns the runs of columns in [x0, x1) of img with at least
// half an inch of colored pixels: the heat maps and colour ramps, which
// the white gaps and black tick labels between them separate.
func colorRuns(img image.Image, x0, x1 int) []colorRun {
	var runs []colorRun
	b := img.Bounds()
	in := false
	for x := x0; x < x1; x++ {
		n := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if colored(img.At(x, y)) {
				n++
			}
		}
		switch col := n >= DPI/2; {
		case col && !in:
			runs = append(runs, colorRun{x0: x})
		case !col && in:
			runs[len(runs)-1].x1 = x
		}
		in = n >= DPI/2
	}
	if in {
		runs[len(runs)-1].x1 = x1
	}
	return runs
}

// checkColorBar checks that the part [x0, x1) of img, a heat map with its
// colour bar at the right, has the bar's ramp: a run of colored columns
// right of the heat map's, apart from it, barRampW wide, with many
// distinct colours along its vertical centre line. An empty bar leaves
// the heat map's run alone; a squeezed one a thin run.
func checkColorBar(t *testing.T, name string, img image.Image, x0, x1 int) {
	t.Helper()
	runs := colorRuns(img, x0, x1)
	if len(runs) < 2 {
		t.Errorf("%s: %d runs of colored columns %v, want the heat map's and the colour bar's", name, len(runs), runs)
		return
	}
	bar := runs[len(runs)-1]
	want := float64(barRampW / vg.Inch * DPI)
	if got := float64(bar.x1 - bar.x0); math.Abs(got-want) > 2 {
		t.Errorf("%s: the colour bar is %.0f pixels wide (columns %v), want %.0f", name, got, bar, want)
	}
	mid := (bar.x0 + bar.x1) / 2
	distinct := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		r, g, bl, _ := img.At(mid, y).RGBA()
		c := color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: 0xff}
		if c != (color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}) {
			distinct[c] = true
		}
	}
	if len(distinct) < 30 {
		t.Errorf("%s: %d distinct colours along the colour bar's centre line (column %d), want a ramp of at least 30", name, len(distinct), mid)
	}
}

// wideFields are a solution whose colour bars have wide tick labels: u of
// large magnitude, both signs, ("-50000", "100000"), and a tiny error
// ("5e-08").
func wideFields() *Fields {
	f := &Fields{}
	for j := range 16 {
		f.X = append(f.X, -1+float64(j)*2/15)
	}
	for k := range 12 {
		f.T = append(f.T, float64(k)/11)
	}
	for _, t := range f.T {
		for _, x := range f.X {
			u := 1e5 * math.Sin(math.Pi*(x-t))
			e := 1e-7 * (1 + x) / 2 * t
			f.Exact = append(f.Exact, u)
			f.Pred = append(f.Pred, u+e)
			f.AbsErr = append(f.AbsErr, e)
		}
	}
	return f
}

// smallFields are a solution of small negative and positive values with
// three decimals ("-0.004") and an error in 1e-4.
func smallFields() *Fields {
	f := wideFields()
	for i := range f.Exact {
		f.Exact[i] = f.Exact[i]*4.5e-8 - 0.0015
		f.AbsErr[i] *= 1e3
		f.Pred[i] = f.Exact[i] + f.AbsErr[i]
	}
	return f
}

// TestColorBarWideLabels: the colour bars of landscape, solution and
// field figures keep their ramp whatever their tick labels: labels with
// decimals, signs or many digits once took the width reserved for the
// bar and its labels together, and left the ramp a sliver (drawn mirrored
// past its place when the labels needed more than all of it).
func TestColorBarWideLabels(t *testing.T) {
	landscape := func(l *trainer.Landscape) func(io.Writer) error {
		return func(w io.Writer) error {
			sc, err := NewLandscapeScale(l)
			if err != nil {
				return err
			}
			return WriteLandscape(w, FormatPNG, l, sc, "landscape")
		}
	}
	// hessian_max (1000 β²) raised by 3e6: medians of 3001000 to 4600000
	// on a linear scale, labels "3500000".
	_, slice, large := convectionHessian(t)
	var medians []float64
	for i, st := range large.Stats {
		if st != nil {
			raised := *st
			raised.Median += 3e6
			large.Stats[i] = &raised
			medians = append(medians, raised.Median)
		}
	}
	if large.Scale = NewFieldScale(medians); large.Scale.Log {
		t.Fatalf("scale %+v, want linear", large.Scale)
	}
	for _, tc := range []struct {
		name   string
		render func(io.Writer) error
		// panels is the number of heat maps, each with its colour bar, side
		// by side in equal widths.
		panels int
	}{
		// log10 of the losses spans −0.0044 to 0: labels "-0.004".
		{"landscape, negative decimals", landscape(bowl(0.99, 0.005, 0.005)), 1},
		// log10 of the losses spans −0.3010 to −0.2993: "-0.3005".
		{"landscape, four decimals", landscape(bowl(0.5, 0.001, 0.001)), 1},
		{"solution, large values and a tiny error", func(w io.Writer) error {
			return WriteSolution(w, FormatPNG, wideFields(), "large")
		}, 3},
		{"solution, small negative values", func(w io.Writer) error {
			return WriteSolution(w, FormatPNG, smallFields(), "small")
		}, 3},
		{"field diagram, large values", func(w io.Writer) error {
			return WriteField(w, FormatPNG, slice, large, PhaseOptions{Sweep: "large"})
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(&buf); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			w := img.Bounds().Dx()
			if tc.panels == 3 && w != int(math.Round(float64(3*panelW/vg.Inch*DPI))) {
				t.Fatalf("solution figure %d pixels wide, want three panels of %v", w, panelW)
			}
			for k := range tc.panels {
				checkColorBar(t, tc.name, img, k*w/tc.panels, (k+1)*w/tc.panels)
			}
		})
	}
}
