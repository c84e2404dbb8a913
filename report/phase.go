package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// PhaseOptions label a phase diagram.
type PhaseOptions struct {
	// Sweep names the sweep in the title.
	Sweep string
}

// Phase-diagram layout.
const (
	cellW       = 0.95 * vg.Inch
	cellH       = 0.7 * vg.Inch
	phaseLeft   = 1.4 * vg.Inch // y tick labels and axis label
	phaseBottom = 0.9 * vg.Inch // x tick labels and axis label
	phaseTop    = 0.8 * vg.Inch // title
	barW        = 1.4 * vg.Inch // colour bar and its labels, or the classes' key
	// phaseBarRight is the room right of a phase diagram's colour bar,
	// for the threshold's label; phaseBarGap the least between the bar's
	// labels and the cells.
	phaseBarGap   = 0.25 * vg.Inch
	phaseBarRight = 0.55 * vg.Inch
	phaseMinH     = 3.2 * vg.Inch
	phaseMinW     = 5.6 * vg.Inch // room for the title
	// legendH is the strip under a diagram that keys the class markers.
	legendH = 0.55 * vg.Inch
)

// PhaseSize returns the size of s's phase diagrams (every kind: the
// metric's, the classes' and a field's).
func PhaseSize(s *Slice) (w, h vg.Length) {
	cols, rows := s.Dims()
	w = max(phaseLeft+vg.Length(cols)*cellW, phaseMinW) + barW + 0.3*vg.Inch
	h = max(phaseMinH, phaseBottom+phaseTop+vg.Length(rows)*cellH) + legendH
	return w, h
}

// WritePhase draws the phase diagram of s in format (FormatPNG or
// FormatSVG) to w: one cell per (x, y) value pair coloured by log10 of the
// median of its measured replicates on the metric's Scale (white at the
// threshold), annotated with the median and "done/total" replicates (plus
// the unsuccessful and open ones); cells with no measured replicate grey
// and hatched, in red when they fail (every replicate diverged or timed
// out); a thick line between passing and failing neighbours (their
// verdicts); a colour bar marking the threshold; in each cell's top right
// corner the marker of its failure class (Cell.Class), keyed under the
// diagram.
func WritePhase(w io.Writer, format string, s *Slice, opt PhaseOptions) error {
	width, height := PhaseSize(s)
	return write(w, format, width, height, func(c draw.Canvas) { drawPhase(c, s, opt) })
}

// phaseLayout records where drawPhase put each cell (for tests).
type phaseLayout struct {
	// cells[j][i] is the rectangle of column i, row j.
	cells [][]vg.Rectangle
}

// diagram is what one kind of phase diagram draws: the metric's
// (drawPhase), the classes' (drawClasses) or a field's (drawFieldPhase).
type diagram struct {
	// title heads the diagram: a first line, to which the sweep's name
	// and the fixed axes are added, and more lines.
	title string
	// fill returns a cell's colour, and the colour of its hatch or nil.
	fill func(*Cell) (fill, hatch color.Color)
	// text is a cell's annotation.
	text func(*Cell) string
	// boundary draws the threshold boundary between passing and failing
	// neighbours (the verdict metric's values only).
	boundary bool
	// bar draws the colour bar or key at the right of the canvas and
	// returns the part left of it, for the cells.
	bar func(draw.Canvas) draw.Canvas
}

func drawPhase(c draw.Canvas, s *Slice, opt PhaseOptions) phaseLayout {
	metric := s.grid.Metric
	scale := s.grid.Scale()
	return drawDiagram(c, s, opt, diagram{
		title: "median " + MetricLabel(metric) + " over replicates" +
			"\nthick line: threshold " + strconv.FormatFloat(metric.Threshold, 'g', -1, 64) +
			"\nhatched: no done replicate (red: all diverged or timed out) · dashed: some still to run",
		fill: func(cell *Cell) (color.Color, color.Color) {
			if cell.Stats == nil {
				return MissingColor, HatchOf(cell.Verdict)
			}
			return scale.Color(cell.Stats.Median), nil
		},
		text:     Annotation,
		boundary: true,
		bar:      func(c draw.Canvas) draw.Canvas { return drawScaleBar(c, metric, scale) },
	})
}

// drawDiagram draws the cells of s as d says, each with the marker of its
// failure class, the key of the markers under the diagram, and d's bar.
func drawDiagram(c draw.Canvas, s *Slice, opt PhaseOptions, d diagram) phaseLayout {
	cols, rows := s.Dims()
	p := plot.New()
	title, rest, _ := strings.Cut(d.title, "\n")
	if opt.Sweep != "" {
		title = opt.Sweep + ": " + title
	}
	o := s.Others()
	if p := s.PrecisionLabel(); p != "" {
		o = append(o, p)
	}
	if len(o) > 0 {
		title += " (" + strings.Join(o, ", ") + ")"
	}
	if rest != "" {
		title += "\n" + rest
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 11
	setCategoryAxis(&p.X, s.XAxis(), cols)
	setCategoryAxis(&p.Y, s.YAxis(), rows)
	pp := &phasePlotter{slice: s, d: d}
	p.Add(pp)

	height := c.Max.Y - c.Min.Y
	main := d.bar(draw.Crop(c, 0, 0, legendH, 0))
	key := draw.Crop(c, 0, 0, 0, legendH-height)
	p.Draw(main)
	drawClassKey(key)
	return phaseLayout{cells: pp.rects}
}

// setCategoryAxis puts one tick per value at 0, 1, ….
func setCategoryAxis(ax *plot.Axis, a *Axis, n int) {
	ax.Min, ax.Max = -0.5, float64(n)-0.5
	ax.Padding = 0
	ticks := make(plot.ConstantTicks, n)
	for i := range ticks {
		ticks[i].Value = float64(i)
	}
	ax.Tick.Marker = ticks
	if a == nil {
		// A missing axis: one unlabelled row or column.
		ax.Tick.Marker = plot.ConstantTicks{}
		ax.LineStyle.Width = 0
		return
	}
	ax.Label.Text = a.Name
	for i, v := range a.Values {
		ticks[i].Label = v.Label
	}
}

// phasePlotter draws the cells of a slice at integer coordinates.
type phasePlotter struct {
	slice *Slice
	d     diagram
	rects [][]vg.Rectangle
}

// DataRange implements plot.DataRanger.
func (pp *phasePlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	cols, rows := pp.slice.Dims()
	return -0.5, float64(cols) - 0.5, -0.5, float64(rows) - 0.5
}

// Plot implements plot.Plotter.
func (pp *phasePlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	cols, rows := pp.slice.Dims()
	rect := func(i, j int) vg.Rectangle {
		return vg.Rectangle{
			Min: vg.Point{X: trX(float64(i) - 0.5), Y: trY(float64(j) - 0.5)},
			Max: vg.Point{X: trX(float64(i) + 0.5), Y: trY(float64(j) + 0.5)},
		}
	}
	pp.rects = make([][]vg.Rectangle, rows)
	annot := textStyle(9, color.Black)
	for j := range rows {
		pp.rects[j] = make([]vg.Rectangle, cols)
		for i := range cols {
			r := rect(i, j)
			pp.rects[j][i] = r
			cell := pp.slice.Cell(i, j)
			fill, hatchColor := pp.d.fill(cell)
			c.SetColor(fill)
			c.Fill(r.Path())
			if hatchColor != nil {
				hatch(c, r, hatchColor)
			}
			// A thin white grid between cells.
			c.StrokeLines(draw.LineStyle{Color: color.White, Width: 1}, []vg.Point{
				r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
			if cell.Counts.Open() > 0 {
				// Unfinished: a dashed inner outline.
				in := vg.Rectangle{Min: vg.Point{X: r.Min.X + 4, Y: r.Min.Y + 4}, Max: vg.Point{X: r.Max.X - 4, Y: r.Max.Y - 4}}
				c.StrokeLines(draw.LineStyle{Color: color.Black, Width: 1, Dashes: []vg.Length{3, 3}}, []vg.Point{
					in.Min, {X: in.Max.X, Y: in.Min.Y}, in.Max, {X: in.Min.X, Y: in.Max.Y}, in.Min})
			}
			sty := annot
			sty.Color = InkOn(fill)
			c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, pp.d.text(cell))
			if cell.Class != verdict.Unclassified {
				drawMarker(c, vg.Point{X: r.Max.X - markerInset, Y: r.Max.Y - markerInset}, markerR, StyleOf(cell.Class).Marker, InkOn(fill))
			}
		}
	}
	if !pp.d.boundary {
		return
	}
	// The threshold boundary between passing and failing neighbours.
	bound := draw.LineStyle{Color: BoundaryColor, Width: 3.5}
	for j := range rows {
		for i := range cols {
			v := pp.slice.Cell(i, j).Verdict
			r := pp.rects[j][i]
			if i+1 < cols && verdict.Opposite(v, pp.slice.Cell(i+1, j).Verdict) {
				c.StrokeLine2(bound, r.Max.X, r.Min.Y, r.Max.X, r.Max.Y)
			}
			if j+1 < rows && verdict.Opposite(v, pp.slice.Cell(i, j+1).Verdict) {
				c.StrokeLine2(bound, r.Min.X, r.Max.Y, r.Max.X, r.Max.Y)
			}
		}
	}
}

// HatchOf returns the colour that hatches a cell without a measured
// replicate: FailHatchColor when it fails (every replicate diverged or
// timed out), HatchColor otherwise.
func HatchOf(v verdict.Verdict) color.Color {
	if v == verdict.Fail {
		return FailHatchColor
	}
	return HatchColor
}

// hatch strokes diagonal lines of colour clr across r.
func hatch(c draw.Canvas, r vg.Rectangle, clr color.Color) {
	const step = 7
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	sty := draw.LineStyle{Color: clr, Width: 0.8}
	for d := -h; d < w; d += step {
		// The line x = r.Min.X + d + (y − r.Min.Y), clipped to r.
		x0, y0 := r.Min.X+d, r.Min.Y
		x1, y1 := r.Min.X+d+h, r.Max.Y
		if x0 < r.Min.X {
			y0 += r.Min.X - x0
			x0 = r.Min.X
		}
		if x1 > r.Max.X {
			y1 -= x1 - r.Max.X
			x1 = r.Max.X
		}
		c.StrokeLine2(sty, x0, y0, x1, y1)
	}
}

// Annotation returns the text of a cell in a phase diagram: the median
// rel_l2 (or the cell's state), "done/total" replicates, and a third line
// counting the unsuccessful and open replicates, if any.
func Annotation(c *Cell) string {
	lines := make([]string, 0, 3)
	switch {
	case c.Stats != nil:
		lines = append(lines, FormatRelL2(c.Stats.Median))
	case c.Counts.Total == 0:
		lines = append(lines, "no trials")
	case c.Counts.Diverged > 0:
		lines = append(lines, "diverged")
	case c.Counts.Open() > 0:
		lines = append(lines, "unfinished")
	default:
		lines = append(lines, "failed")
	}
	lines = append(lines, fmt.Sprintf("%d/%d", c.Counts.Done, c.Counts.Total))
	var extra []string
	for _, e := range []struct {
		n    int
		what string
	}{{c.Counts.Diverged, "div"}, {c.Counts.Failed, "fail"}, {c.Counts.Timeout, "t/o"},
		{c.Counts.Cancelled, "canc"}, {c.Counts.Open(), "open"}} {
		if e.n > 0 {
			extra = append(extra, fmt.Sprintf("%d %s", e.n, e.what))
		}
	}
	if len(extra) > 0 {
		lines = append(lines, strings.Join(extra, " "))
	}
	return strings.Join(lines, "\n")
}

// drawScaleBar draws the colour scale with decade labels and the threshold
// at the right of c and returns the part left of it.
func drawScaleBar(c draw.Canvas, metric verdict.Metric, scale Scale) draw.Canvas {
	p := newColorBar("median\n"+MetricLabel(metric), &colorMap{s: scale, min: scale.Min, max: scale.Max}, 256)
	p.Y.Min, p.Y.Max = scale.Min, scale.Max
	var ticks plot.ConstantTicks
	for _, t := range scale.Ticks() {
		ticks = append(ticks, plot.Tick{Value: scale.Min + t.Position*(scale.Max-scale.Min), Label: t.Label})
	}
	p.Y.Tick.Marker = ticks
	p.Add(thresholdMark{value: scale.White, min: scale.Min, max: scale.Max, label: ThresholdLabel(metric)})
	return drawPhaseBar(c, p)
}

// drawPhaseBar draws a phase diagram's colour bar p at the right of c and
// returns the part left of it: a strip barW wide, as the classes' key, so
// that a sweep's diagrams line up, unless the bar's labels need more.
func drawPhaseBar(c draw.Canvas, p *plot.Plot) draw.Canvas {
	return drawColorBar(c, p, max(phaseBarGap, barW-phaseBarRight-colorBarWidth(p)), phaseBarRight)
}

// thresholdMark draws the threshold across the colour bar.
type thresholdMark struct {
	value, min, max float64 // the mark and the bar's range, in the scale's units
	label           string
}

// Plot implements plot.Plotter.
func (m thresholdMark) Plot(c draw.Canvas, p *plot.Plot) {
	if m.value < m.min || m.value > m.max || math.IsNaN(m.value) {
		return
	}
	trX, trY := p.Transforms(&c)
	y := trY(m.value)
	c.StrokeLine2(draw.LineStyle{Color: BoundaryColor, Width: 3}, trX(0)-3, y, trX(1)+3, y)
	sty := textStyle(8, color.Black)
	sty.XAlign = draw.XLeft
	c.FillText(sty, vg.Point{X: trX(1) + 5, Y: y}, m.label)
}

// MetricLabel names the metric m in figures and their titles: its name
// with spaces for underscores ("rel l2" for rel_l2).
func MetricLabel(m verdict.Metric) string {
	return strings.ReplaceAll(m.Resolved().Name, "_", " ")
}

// ThresholdLabel marks the threshold on the colour scale: "fail > 0.1"
// for a minimised metric, "fail < 0.9" for a maximised one.
func ThresholdLabel(m verdict.Metric) string {
	m = m.Resolved()
	op := "fail > "
	if m.Goal == verdict.Maximize {
		op = "fail < "
	}
	return op + strconv.FormatFloat(m.Threshold, 'g', -1, 64)
}
