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
	MissingColor = color.RGBA{R: 0xd9, G: 0xd9, B: 0xd9, A: 0xff}
	// HatchColor hatches a cell with no done replicate.
	HatchColor = color.RGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff}
	// BoundaryColor draws the threshold boundary.
	BoundaryColor = color.Black
)

// errorScale returns the phase diagrams' colour map over [ScaleMin,
// ScaleMax]: Moreland's smooth blue (accurate) to white (the middle,
// rel_l2 ≈ 0.018) to red (failed).
func errorScale() palette.ColorMap {
	cm := moreland.SmoothBlueRed()
	cm.SetMin(ScaleMin)
	cm.SetMax(ScaleMax)
	return cm
}

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
