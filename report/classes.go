package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// ClassStyle is how figures and the dashboard show a failure class: a
// fill colour (the classes' diagram), a marker (every phase diagram) and
// a short name.
type ClassStyle struct {
	// Color fills a cell of the classes' diagram.
	Color color.RGBA
	// Marker marks a cell of any phase diagram.
	Marker Marker
	// Short names the class in a cell's counts ("ovf").
	Short string
}

// Marker is a class's marker: polylines in the square [-1, 1]², y up,
// filled (closed) or stroked.
type Marker struct {
	Paths  [][][2]float64
	Filled bool
}

// circle returns n points of the unit circle scaled by r.
func circle(n int, r float64) [][2]float64 {
	out := make([][2]float64, n+1)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = [2]float64{r * math.Cos(a), r * math.Sin(a)}
	}
	return out
}

// classStyles are the classes' styles: Okabe and Ito's colour-blind-safe
// palette, one marker shape each.
var classStyles = map[verdict.FailureClass]ClassStyle{
	verdict.Passed: {Color: color.RGBA{0x56, 0xb4, 0xe9, 0xff}, Short: "pass",
		Marker: Marker{Paths: [][][2]float64{circle(24, 0.85)}}},
	verdict.Optimization: {Color: color.RGBA{0xe6, 0x9f, 0x00, 0xff}, Short: "opt",
		Marker: Marker{Paths: [][][2]float64{{{0, 1}, {0.95, -0.75}, {-0.95, -0.75}}}, Filled: true}},
	verdict.CollocationOverfit: {Color: color.RGBA{0xcc, 0x79, 0xa7, 0xff}, Short: "ovf",
		Marker: Marker{Paths: [][][2]float64{{{-0.85, -0.85}, {0.85, 0.85}}, {{-0.85, 0.85}, {0.85, -0.85}}}}},
	verdict.ConsistentButWrong: {Color: color.RGBA{0x00, 0x9e, 0x73, 0xff}, Short: "cbw",
		Marker: Marker{Paths: [][][2]float64{{{0, 1}, {0.8, 0}, {0, -1}, {-0.8, 0}}}, Filled: true}},
	verdict.Unexplained: {Color: color.RGBA{0xbb, 0xbb, 0xbb, 0xff}, Short: "unx",
		Marker: Marker{Paths: [][][2]float64{{{-0.95, 0}, {0.95, 0}}, {{0, -0.95}, {0, 0.95}}}}},
	verdict.Diverged: {Color: color.RGBA{0xd5, 0x5e, 0x00, 0xff}, Short: "div",
		Marker: Marker{Paths: [][][2]float64{{{0, -1}, {0, 1}}, {{-0.87, -0.5}, {0.87, 0.5}}, {{-0.87, 0.5}, {0.87, -0.5}}}}},
	verdict.TimedOut: {Color: color.RGBA{0xf0, 0xe4, 0x42, 0xff}, Short: "t/o",
		Marker: Marker{Paths: [][][2]float64{{{-0.75, -0.75}, {0.75, -0.75}, {0.75, 0.75}, {-0.75, 0.75}}}, Filled: true}},
}

// StyleOf returns the style of class c (a grey cross-less one for
// Unclassified).
func StyleOf(c verdict.FailureClass) ClassStyle {
	if st, ok := classStyles[c]; ok {
		return st
	}
	return ClassStyle{Color: MissingColor, Short: "–"}
}

// Marker size in phase-diagram cells and keys.
const (
	markerR     = 4.5 // radius
	markerInset = 9   // from the cell's corner to the marker's centre
)

// drawMarker draws m centred at p with radius r in colour clr.
func drawMarker(c draw.Canvas, p vg.Point, r vg.Length, m Marker, clr color.Color) {
	for _, path := range m.Paths {
		pts := make([]vg.Point, len(path))
		for i, q := range path {
			pts[i] = vg.Point{X: p.X + r*vg.Length(q[0]), Y: p.Y + r*vg.Length(q[1])}
		}
		if m.Filled {
			c.FillPolygon(clr, pts)
			continue
		}
		c.StrokeLines(draw.LineStyle{Color: clr, Width: 1.3}, pts)
	}
}

// drawClassKey draws the markers of every class with their names in c, a
// strip under a phase diagram: four to a row.
func drawClassKey(c draw.Canvas) {
	classes := verdict.FailureClasses()
	const perRow = 4
	left := c.Min.X + 0.35*vg.Inch
	colW := (c.Max.X - left - 0.2*vg.Inch) / perRow
	sty := textStyle(8, color.Black)
	sty.XAlign = draw.XLeft
	head := sty
	head.XAlign = draw.XRight
	top := c.Max.Y - 0.14*vg.Inch
	c.FillText(head, vg.Point{X: left - 4, Y: top}, "class:")
	for i, cl := range classes {
		x := left + vg.Length(i%perRow)*colW + markerR
		y := top - vg.Length(i/perRow)*0.2*vg.Inch
		drawMarker(c, vg.Point{X: x, Y: y}, markerR, StyleOf(cl).Marker, color.Black)
		c.FillText(sty, vg.Point{X: x + markerR + 4, Y: y}, cl.String()+" ("+StyleOf(cl).Short+")")
	}
}

// WriteClasses draws the classes' diagram of s in format to w: each cell
// filled with the colour of its median replicate's failure class
// (Cell.Class) and marked with its marker, annotated with that class and
// the replicates' classes counted (ClassAnnotation); a key of the colours
// at the right and of the markers under it.
func WriteClasses(w io.Writer, format string, s *Slice, opt PhaseOptions) error {
	width, height := PhaseSize(s)
	return write(w, format, width, height, func(c draw.Canvas) { drawClasses(c, s, opt) })
}

func drawClasses(c draw.Canvas, s *Slice, opt PhaseOptions) phaseLayout {
	m := s.grid.Metric
	return drawDiagram(c, s, opt, diagram{
		title: "failure class of the median replicate" +
			fmt.Sprintf("\nby %s against %s, then the trial's own numbers (loss, residuals)", MetricLabel(m), ThresholdLabel(m)) +
			"\nhatched: no class yet, or void · dashed: some still to run",
		fill: func(cell *Cell) (color.Color, color.Color) {
			if cell.Class == verdict.Unclassified {
				return MissingColor, HatchColor
			}
			return StyleOf(cell.Class).Color, nil
		},
		text: ClassAnnotation,
		bar:  drawClassBar,
	})
}

// drawClassBar keys the classes' colours, with their names and short
// names, in a strip barW wide at the right of c, and returns the part of c
// left of it. It stays inside that strip: left of it, the last column's
// class markers sit in the cells' top right corners.
func drawClassBar(c draw.Canvas) draw.Canvas {
	rest := draw.Crop(c, 0, -barW, 0, 0)
	c = draw.Crop(c, c.Max.X-c.Min.X-barW, 0, 0, 0)
	name := textStyle(7, color.Black)
	name.XAlign = draw.XLeft
	short := textStyle(6.5, color.Gray{Y: 0x50})
	short.XAlign = draw.XLeft
	x := c.Min.X
	y := c.Max.Y - phaseTop - 0.05*vg.Inch
	c.FillText(textStyle(10, color.Black), vg.Point{X: c.Min.X + barW/2 - 0.1*vg.Inch, Y: y + 0.28*vg.Inch}, "median\nreplicate's class")
	for _, cl := range verdict.FailureClasses() {
		st := StyleOf(cl)
		box := vg.Rectangle{Min: vg.Point{X: x, Y: y - 7}, Max: vg.Point{X: x + 16, Y: y + 7}}
		c.SetColor(st.Color)
		c.Fill(box.Path())
		drawMarker(c, vg.Point{X: x + 8, Y: y}, 4, st.Marker, InkOn(st.Color))
		c.FillText(name, vg.Point{X: x + 21, Y: y + 3}, cl.String())
		c.FillText(short, vg.Point{X: x + 21, Y: y - 6}, "("+st.Short+")")
		y -= 0.3 * vg.Inch
	}
	return rest
}

// ClassAnnotation returns the text of a cell in the classes' diagram: the
// class of its median replicate (or the cell's state when it has none),
// its replicates counted by class ("2 ovf 1 pass"), and a third line
// counting the unclassified ones that failed, were cancelled or are still
// open.
func ClassAnnotation(c *Cell) string {
	var lines []string
	switch {
	case c.Class != verdict.Unclassified:
		name := c.Class.String()
		switch c.Class {
		case verdict.CollocationOverfit:
			name = "overfit"
		case verdict.ConsistentButWrong:
			name = "cons.-wrong"
		}
		lines = append(lines, name)
	case c.Counts.Total == 0:
		lines = append(lines, "no trials")
	case c.Counts.Open() > 0:
		lines = append(lines, "unfinished")
	default:
		lines = append(lines, "void")
	}
	lines = append(lines, ClassCounts(c))
	var extra []string
	for _, e := range []struct {
		n    int
		what string
	}{{c.Counts.Failed, "fail"}, {c.Counts.Cancelled, "canc"}, {c.Counts.Open(), "open"}} {
		if e.n > 0 {
			extra = append(extra, fmt.Sprintf("%d %s", e.n, e.what))
		}
	}
	if len(extra) > 0 {
		lines = append(lines, strings.Join(extra, " "))
	}
	return strings.Join(lines, "\n")
}

// ClassCounts returns a cell's replicates counted by failure class, in
// the order of verdict.FailureClasses, by short name: "2 ovf 1 pass"; "–"
// when none has a class.
func ClassCounts(c *Cell) string {
	var parts []string
	for _, cl := range verdict.FailureClasses() {
		if n := c.Classes[cl]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, StyleOf(cl).Short))
		}
	}
	if len(parts) == 0 {
		return NoClasses
	}
	return strings.Join(parts, " ")
}

// NoClasses is what ClassCounts returns for a cell without classes.
const NoClasses = "–"
