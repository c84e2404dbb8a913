package report

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colour-bar layout, the same in every figure that has a colour bar
// (landscape, solution, phase diagram and field diagram).
const (
	// barRampW is the width of a colour bar's ramp, whatever its labels.
	barRampW = 0.2 * vg.Inch
	// barBottom and barTop inset a colour bar from the bottom and top of
	// the canvas it keys, about where that figure's plot has its x axis
	// and its title.
	barBottom = 0.55 * vg.Inch
	barTop    = 0.3 * vg.Inch
)

// newColorBar returns a vertical colour bar of cmap in n colours, under
// title (10 pt; none when empty): a plot with no x axis whose y axis, at
// its left, labels the values. Callers may set its ticks and add marks
// before drawing it with drawColorBar.
func newColorBar(title string, cmap palette.ColorMap, n int) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 10
	p.HideX()
	p.Y.Padding = 0
	p.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true, Colors: n})
	return p
}

// colorBarWidth returns the width drawColorBar gives the colour bar p:
// its ramp, barRampW, and its value axis as wide as gonum's own layout
// makes it (Plot.DataCanvas: the widest tick label in the axis's font,
// a space, the ticks and the axis line).
func colorBarWidth(p *plot.Plot) vg.Length {
	// The axis's width depends on its labels, not on the canvas: any
	// canvas wider than the axis measures it.
	probe := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: 10 * vg.Inch, Y: 10 * vg.Inch}}}
	data := p.DataCanvas(probe)
	axis := (probe.Max.X - probe.Min.X) - (data.Max.X - data.Min.X)
	return axis + barRampW
}

// drawColorBar draws the colour bar p at the right of c, right from c's
// right edge and inset by barBottom and barTop, and returns the part of c
// left of it, less gap, for the plot it keys. Wide tick labels
// (decimals, signs, many digits) widen the bar's axis and narrow the part
// returned, never the ramp: a fixed width for the bar and its labels
// together once left the ramp a sliver, drawn mirrored, or nothing.
func drawColorBar(c draw.Canvas, p *plot.Plot, gap, right vg.Length) draw.Canvas {
	w := colorBarWidth(p)
	p.Draw(draw.Crop(c, c.Max.X-c.Min.X-right-w, -right, barBottom, -barTop))
	return draw.Crop(c, 0, -(right + w + gap), 0, 0)
}
