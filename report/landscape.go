package report

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// LandscapeScale is the colour scale shared by the loss-landscape
// figures of a sweep: log10 of the loss from Min to Max.
type LandscapeScale struct {
	Min, Max float64
}

// NewLandscapeScale returns the scale that spans every finite, positive
// loss of the given landscapes (nil entries are skipped), so that every
// trial of a sweep is drawn on the same colours. It fails with
// ErrNoLandscape when there is no such loss.
func NewLandscapeScale(ls ...*trainer.Landscape) (LandscapeScale, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range ls {
		if l == nil {
			continue
		}
		for _, v := range l.Loss {
			if x := float64(v); x > 0 && !math.IsInf(x, 0) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if lo > hi {
		return LandscapeScale{}, ErrNoLandscape
	}
	sc := LandscapeScale{Min: math.Log10(lo), Max: math.Log10(hi)}
	if sc.Max-sc.Min < 1e-3 {
		sc.Min, sc.Max = sc.Min-0.5, sc.Max+0.5
	}
	return sc, nil
}

// levels returns the contour levels: every decade within the scale, or
// every half decade when that gives fewer than four lines.
func (sc LandscapeScale) levels() []float64 {
	for _, step := range []float64{1, 0.5, 0.25} {
		var out []float64
		for v := math.Ceil(sc.Min/step) * step; v <= sc.Max; v += step {
			out = append(out, v)
		}
		if len(out) >= 4 || step == 0.25 {
			return out
		}
	}
	return nil
}

// landscapeGrid shows log10 of a landscape's losses: column c is the
// coefficient a = Coords[c] along v₁, row r is b = Coords[r] along v₂.
// Non-finite or non-positive losses are NaN (clamped to the scale's top
// for contouring, which cannot cross NaN cells).
type landscapeGrid struct {
	l     *trainer.Landscape
	clamp float64 // 0: keep NaN
}

func (g landscapeGrid) Dims() (c, r int) { return len(g.l.Coords), len(g.l.Coords) }
func (g landscapeGrid) X(c int) float64  { return g.l.Coords[c] }
func (g landscapeGrid) Y(r int) float64  { return g.l.Coords[r] }
func (g landscapeGrid) Z(c, r int) float64 {
	v := float64(g.l.Loss[r*len(g.l.Coords)+c])
	if !(v > 0) || math.IsInf(v, 0) {
		if g.clamp != 0 {
			return g.clamp
		}
		return math.NaN()
	}
	return math.Log10(v)
}

// CheckLandscape returns the error WriteLandscape would fail with for l,
// without drawing: ErrNoLandscape when l is nil, ErrBadTrial when its
// shape is wrong.
func CheckLandscape(l *trainer.Landscape) error {
	switch {
	case l == nil:
		return ErrNoLandscape
	case len(l.Coords) < 2 || len(l.Loss) != len(l.Coords)*len(l.Coords):
		return fmt.Errorf("%w: landscape has %d coordinates and %d losses", ErrBadTrial, len(l.Coords), len(l.Loss))
	}
	for i := 1; i < len(l.Coords); i++ {
		if !(l.Coords[i] > l.Coords[i-1]) {
			return fmt.Errorf("%w: landscape coordinates are not increasing", ErrBadTrial)
		}
	}
	return nil
}

// Landscape-figure size.
const (
	landscapeW = 6.2 * vg.Inch
	landscapeH = 5 * vg.Inch
)

// WriteLandscape draws a trial's loss landscape in format to w: log10 of
// the training loss over the plane θ* + a·v₁ + b·v₂ of the top two Hessian
// eigenvectors as a heatmap on the shared scale sc, with a contour line
// at every decade (or half decade), the trained parameters θ* marked at
// the centre, and a colour bar.
func WriteLandscape(w io.Writer, format string, l *trainer.Landscape, sc LandscapeScale, title string) error {
	if err := CheckLandscape(l); err != nil {
		return err
	}
	if !(sc.Max > sc.Min) {
		return fmt.Errorf("%w: landscape scale [%g, %g]", ErrBadTrial, sc.Min, sc.Max)
	}
	return write(w, format, landscapeW, landscapeH, func(c draw.Canvas) { drawLandscape(c, l, sc, title) })
}

// landscapeLayout maps landscape coordinates (a, b) to the canvas point
// where drawLandscape drew them (for tests).
type landscapeLayout func(a, b float64) vg.Point

// landscapeColors is the colour map of landscapes over sc.
func landscapeColors(sc LandscapeScale) palette.ColorMap {
	cm := moreland.Kindlmann()
	cm.SetMin(sc.Min)
	cm.SetMax(sc.Max)
	return cm
}

func drawLandscape(c draw.Canvas, l *trainer.Landscape, sc LandscapeScale, title string) landscapeLayout {
	cmap := landscapeColors(sc)
	p := plot.New()
	p.Title.Text = title + "\n" + fmt.Sprintf("λ₁ = %s, λ₂ = %s; loss at θ* %s", formatG(l.Lambda1), formatG(l.Lambda2), formatG(l.Center))
	p.Title.TextStyle.Font.Size = 11
	p.X.Label.Text = "a (along v₁)"
	p.Y.Label.Text = "b (along v₂)"
	h := plotter.NewHeatMap(landscapeGrid{l: l}, cmap.Palette(255))
	h.Min, h.Max = sc.Min, sc.Max
	h.NaN = MissingColor
	h.Underflow, h.Overflow = MissingColor, MissingColor
	p.Add(h)
	if levels := sc.levels(); len(levels) > 0 {
		p.Add(contourLines{grid: landscapeGrid{l: l, clamp: sc.Max}, levels: levels,
			style: draw.LineStyle{Color: color.RGBA{R: 0x20, G: 0x20, B: 0x20, A: 0xff}, Width: 0.7}})
	}
	centre, _ := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
	centre.GlyphStyle = draw.GlyphStyle{Color: color.White, Radius: 4, Shape: draw.CrossGlyph{}}
	p.Add(centre)
	area := drawColorBar(c, newColorBar("log10\nloss", cmap, 255), 0.3*vg.Inch, 0.35*vg.Inch)
	p.Draw(area)
	dc := p.DataCanvas(area)
	trX, trY := p.Transforms(&dc)
	return func(a, b float64) vg.Point { return vg.Point{X: trX(a), Y: trY(b)} }
}

// formatG formats a number with three significant digits.
func formatG(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// Landscapes are the loss landscapes of a sweep's trials, by trial key,
// and the colour scale they share.
type Landscapes struct {
	ByKey map[string]*trainer.Landscape
	Scale LandscapeScale
}

// SweepLandscapes decodes the landscape of every trial whose result has
// one and returns them with the scale that spans them all. Results that
// do not decode are skipped (the trial figures report them). It fails
// with ErrNoLandscape when no trial has a landscape.
func SweepLandscapes(trials []state.TrialRecord) (*Landscapes, error) {
	out := &Landscapes{ByKey: map[string]*trainer.Landscape{}}
	var all []*trainer.Landscape
	for i := range trials {
		if len(trials[i].Result) == 0 {
			continue
		}
		var r struct {
			Landscape *trainer.Landscape `json:"landscape"`
		}
		if json.Unmarshal(trials[i].Result, &r) != nil || CheckLandscape(r.Landscape) != nil {
			continue
		}
		out.ByKey[trials[i].Key] = r.Landscape
		all = append(all, r.Landscape)
	}
	sc, err := NewLandscapeScale(all...)
	if err != nil {
		return nil, err
	}
	out.Scale = sc
	return out, nil
}
