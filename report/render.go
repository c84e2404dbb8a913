package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// Image formats written by the figure writers.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
)

// DPI is the resolution of PNG figures.
const DPI = 144

// The fixed range of the phase diagrams' colour scale: log10 of the
// metric from ScaleMin to ScaleMax (values outside take the end colours).
// The same range serves every sweep, so that diagrams compare at a glance.
const (
	ScaleMin = -4.0
	ScaleMax = 0.5
)

// Colours of phase-diagram cells without a colour from the scale.
var (
	// MissingColor fills a cell with no measured replicate (darker than
	// the scale's near-white middle).
	MissingColor = color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}
	// HatchColor hatches a cell with no measured replicate whose verdict
	// is pending or void.
	HatchColor = color.RGBA{R: 0x6a, G: 0x6a, B: 0x6a, A: 0xff}
	// FailHatchColor hatches a cell with no measured replicate that
	// fails: every replicate diverged or ran out of time.
	FailHatchColor = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	// BoundaryColor draws the threshold boundary.
	BoundaryColor = color.Black
)

// Scale is the diverging colour scale of a metric's phase diagrams, the
// one the report and the dashboard both draw with: log10 of the value on
// [ScaleMin, ScaleMax], Moreland's smooth blue-red map bent so that the
// metric's threshold is white, blue on the passing side and red on the
// failing one (above the threshold when the metric is minimised, below
// when it is maximised). A metric that takes values ≤ 0, or whose
// threshold is ≤ 0, has no log scale: it is drawn on a linear one over
// the range of its medians and threshold (Linear; see Grid.Scale).
type Scale struct {
	// Min, Max and White are the scale's ends and its white middle (the
	// threshold, kept strictly inside): log10 values, or the values
	// themselves when Linear.
	Min, Max, White float64
	// RedHigh is set when large values fail (a minimised metric).
	RedHigh bool
	// Linear is set for a linear scale.
	Linear bool
}

// ScaleFor returns the colour scale of metric m for a diagram whose cell
// medians are medians: the fixed log scale when the threshold and every
// finite median are positive (so that diagrams of rel_l2 and other error
// measures compare at a glance), otherwise a linear one from the smallest
// to the largest of the medians and the threshold, widened by 5% on each
// side. Grid.Scale calls it with a grid's medians; every diagram of a
// sweep, in the report and on the dashboard, uses that one. A result
// field's diagram (WriteField) has a different scale, NewFieldScale's,
// which says why.
func ScaleFor(m verdict.Metric, medians ...float64) Scale {
	m = m.Resolved()
	const margin = 0.05 // keeps white off the ends, as a fraction of the span
	redHigh := m.Goal != verdict.Maximize
	th := m.Threshold
	if math.IsNaN(th) || math.IsInf(th, 0) {
		th = verdict.DefaultThreshold
	}
	linear := th <= 0
	for _, v := range medians {
		if v <= 0 {
			linear = true
		}
	}
	if !linear {
		white := math.Log10(th)
		white = math.Max(ScaleMin+margin, math.Min(ScaleMax-margin, white)) // log10 units
		return Scale{Min: ScaleMin, Max: ScaleMax, White: white, RedHigh: redHigh}
	}
	lo, hi := th, th
	for _, v := range medians {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(lo), 1)
	}
	lo, hi = lo-margin*span, hi+margin*span
	white := math.Max(lo+margin*(hi-lo), math.Min(hi-margin*(hi-lo), th))
	return Scale{Min: lo, Max: hi, White: white, RedHigh: redHigh, Linear: true}
}

// Position returns where the value v falls on the scale, from 0 (Min) to
// 1 (Max), clamped; NaN for a value that is not finite, or not positive
// on a log scale.
func (s Scale) Position(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return math.NaN()
	}
	l := v
	if !s.Linear {
		if v <= 0 {
			return math.NaN()
		}
		l = math.Log10(v)
	}
	return (math.Max(s.Min, math.Min(s.Max, l)) - s.Min) / (s.Max - s.Min)
}

// ThresholdPosition returns the position of the white middle.
func (s Scale) ThresholdPosition() float64 { return (s.White - s.Min) / (s.Max - s.Min) }

// ColorAt returns the colour at position p of the scale (0 ≤ p ≤ 1).
func (s Scale) ColorAt(p float64) color.Color {
	if math.IsNaN(p) {
		return MissingColor
	}
	m := moreland.SmoothBlueRed()
	m.SetMin(0)
	m.SetMax(1)
	w := s.ThresholdPosition()
	var f float64 // 0 blue … 0.5 white … 1 red
	if p <= w {
		f = 0.5 * p / w
	} else {
		f = 0.5 + 0.5*(p-w)/(1-w)
	}
	if !s.RedHigh {
		f = 1 - f
	}
	c, err := m.At(math.Max(0, math.Min(1, f)))
	if err != nil {
		return MissingColor
	}
	return c
}

// Color returns the colour of the value v.
func (s Scale) Color(v float64) color.Color { return s.ColorAt(s.Position(v)) }

// Tick is a labelled position on the scale.
type Tick struct {
	// Position is from 0 (Min) to 1 (Max).
	Position float64
	// Label is the value, "1e-2".
	Label string
}

// Ticks returns the scale's decades, or round values of a linear scale.
func (s Scale) Ticks() []Tick {
	var out []Tick
	if s.Linear {
		for _, t := range (plot.DefaultTicks{}).Ticks(s.Min, s.Max) {
			if t.Label != "" {
				out = append(out, Tick{Position: (t.Value - s.Min) / (s.Max - s.Min), Label: t.Label})
			}
		}
		return out
	}
	for e := math.Ceil(s.Min); e <= s.Max; e++ {
		out = append(out, Tick{Position: (e - s.Min) / (s.Max - s.Min), Label: "1e" + strconv.Itoa(int(e))})
	}
	return out
}

// colorMap is the scale as a gonum colour map over [Min, Max] (log10
// values), for the colour bar.
type colorMap struct {
	s        Scale
	min, max float64
}

// At implements palette.ColorMap.
func (m *colorMap) At(v float64) (color.Color, error) {
	if v < m.min || v > m.max || math.IsNaN(v) {
		return nil, fmt.Errorf("report: %g outside the colour scale [%g, %g]", v, m.min, m.max)
	}
	return m.s.ColorAt((v - m.s.Min) / (m.s.Max - m.s.Min)), nil
}

// Min implements palette.ColorMap.
func (m *colorMap) Min() float64 { return m.min }

// Max implements palette.ColorMap.
func (m *colorMap) Max() float64 { return m.max }

// SetMin implements palette.ColorMap.
func (m *colorMap) SetMin(v float64) { m.min = v }

// SetMax implements palette.ColorMap.
func (m *colorMap) SetMax(v float64) { m.max = v }

// Alpha implements palette.ColorMap: the scale is opaque.
func (m *colorMap) Alpha() float64 { return 1 }

// SetAlpha implements palette.ColorMap; the scale stays opaque.
func (m *colorMap) SetAlpha(float64) {}

// Palette implements palette.ColorMap: n colours evenly over [min, max].
func (m *colorMap) Palette(n int) palette.Palette {
	out := make(plainPalette, n)
	for i := range out {
		v := m.min + (m.max-m.min)*float64(i)/float64(max(n-1, 1))
		out[i], _ = m.At(min(v, m.max))
	}
	return out
}

type plainPalette []color.Color

// Colors implements palette.Palette.
func (p plainPalette) Colors() []color.Color { return p }

// newCanvas returns a canvas of the given size for format.
func newCanvas(format string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	switch format {
	case FormatPNG:
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI),
			vgimg.UseBackgroundColor(color.White))}, nil
	case FormatSVG:
		return vgsvg.New(w, h), nil
	}
	return nil, fmt.Errorf("%w %q (want png or svg)", ErrFormat, format)
}

// write draws with draw onto a w × h canvas in format and writes it to out.
func write(out io.Writer, format string, w, h vg.Length, drawFn func(draw.Canvas)) error {
	c, err := newCanvas(format, w, h)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	if format == FormatSVG {
		// vgsvg starts transparent; PNGs get their background from vgimg.
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	drawFn(dc)
	_, err = c.WriteTo(out)
	return err
}

// textStyle returns a plain text style of the given size, centred.
func textStyle(size vg.Length, clr color.Color) text.Style {
	return text.Style{
		Color:   clr,
		Font:    font.From(plot.DefaultFont, size),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// luminance returns the relative luminance of c in [0, 1].
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// InkOn returns the colour of text on a cell filled with fill: white on
// dark colours, black otherwise.
func InkOn(fill color.Color) color.Color {
	if luminance(fill) < 0.45 {
		return color.White
	}
	return color.Black
}

// FormatRelL2 formats a rel_l2 compactly: "3.2e-2".
func FormatRelL2(v float64) string {
	s := strconv.FormatFloat(v, 'e', 1, 64)
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	e, err := strconv.Atoi(exp)
	if err != nil {
		return s
	}
	return mant + "e" + strconv.Itoa(e)
}
