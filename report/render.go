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
)

// Image formats written by the figure writers.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
)

// DPI is the resolution of PNG figures.
const DPI = 144

// The fixed colour scale of phase diagrams: log10 of the median rel_l2
// from ScaleMin to ScaleMax (values outside take the end colours).
const (
	ScaleMin = -4.0
	ScaleMax = 0.5
)

// Colours of phase-diagram cells without a colour from the scale.
var (
	// MissingColor fills a cell with no done replicate.
	// (darker than the scale's near-white middle).
	MissingColor = color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}
	// HatchColor hatches a cell with no done replicate.
	HatchColor = color.RGBA{R: 0x6a, G: 0x6a, B: 0x6a, A: 0xff}
	// BoundaryColor draws the threshold boundary.
	BoundaryColor = color.Black
)

// ScaleWhite is the log10 rel_l2 drawn white on the phase diagrams' scale:
// that of the default threshold, 0.1, so that blue reads as accurate and
// red as failed.
const ScaleWhite = -1.0

// errorScale returns the phase diagrams' colour map over [ScaleMin,
// ScaleMax]: Moreland's smooth blue–red map, bent so that ScaleWhite
// falls on its white middle.
func errorScale() palette.ColorMap {
	inner := moreland.SmoothBlueRed()
	inner.SetMin(0)
	inner.SetMax(1)
	return &bentScale{ColorMap: inner, min: ScaleMin, mid: ScaleWhite, max: ScaleMax}
}

// bentScale maps [min, mid] onto the first half of a [0, 1] colour map
// and [mid, max] onto the second half.
type bentScale struct {
	palette.ColorMap
	min, mid, max float64
}

// At implements palette.ColorMap.
func (b *bentScale) At(v float64) (color.Color, error) {
	if v < b.min || v > b.max || math.IsNaN(v) {
		return nil, fmt.Errorf("report: %g outside the colour scale [%g, %g]", v, b.min, b.max)
	}
	if v <= b.mid {
		return b.ColorMap.At(0.5 * (v - b.min) / (b.mid - b.min))
	}
	return b.ColorMap.At(0.5 + 0.5*(v-b.mid)/(b.max-b.mid))
}

// Min implements palette.ColorMap.
func (b *bentScale) Min() float64 { return b.min }

// Max implements palette.ColorMap.
func (b *bentScale) Max() float64 { return b.max }

// SetMin implements palette.ColorMap.
func (b *bentScale) SetMin(v float64) { b.min = v }

// SetMax implements palette.ColorMap.
func (b *bentScale) SetMax(v float64) { b.max = v }

// Palette implements palette.ColorMap: n colours evenly over [min, max].
func (b *bentScale) Palette(n int) palette.Palette {
	out := make(plainPalette, n)
	for i := range out {
		v := b.min + (b.max-b.min)*float64(i)/float64(max(n-1, 1))
		out[i], _ = b.At(min(v, b.max))
	}
	return out
}

type plainPalette []color.Color

// Colors implements palette.Palette.
func (p plainPalette) Colors() []color.Color { return p }

// ScaleColor returns the colour of a median rel_l2 on the fixed scale.
func ScaleColor(relL2 float64) color.Color {
	v := math.Log10(relL2)
	v = math.Max(ScaleMin, math.Min(ScaleMax, v))
	if math.IsNaN(v) {
		return MissingColor
	}
	c, err := errorScale().At(v)
	if err != nil {
		return MissingColor
	}
	return c
}

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
