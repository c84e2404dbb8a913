package report

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// contourLines draws the contour lines of a grid at the given levels in
// one style, in an order that depends on the grid alone. It replaces
// gonum's plotter.Contour, which collects its lines in a map keyed by
// pointer and draws them in the map's random iteration order, so that
// the same landscape gave different SVG and PNG bytes on every run.
type contourLines struct {
	grid   plotter.GridXYZ
	levels []float64
	style  draw.LineStyle
}

// Plot implements plot.Plotter: the levels in the given order, each
// level's lines in contourAt's order.
func (cl contourLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	c.SetLineStyle(cl.style)
	for _, z := range cl.levels {
		for _, line := range contourAt(cl.grid, z) {
			var pa vg.Path
			for i, q := range line.points {
				pt := vg.Point{X: trX(q.X), Y: trY(q.Y)}
				if i == 0 {
					pa.Move(pt)
				} else {
					pa.Line(pt)
				}
			}
			if line.closed {
				pa.Close()
			}
			c.Stroke(pa)
		}
	}
}

// contourLine is one contour line: its points in data coordinates, and
// whether it closes on itself (a loop) rather than ending at the grid's
// border at both ends.
type contourLine struct {
	points plotter.XYs
	closed bool
}

// contourAt returns the lines where the grid g, linearly interpolated
// along the cell edges, crosses level z (marching squares). A value above
// z is one greater than it; g must hold no NaN (landscapeGrid clamps them).
// A cell with all four edges crossed (a saddle) is resolved by the mean
// of its corners. Each crossed edge carries one point and belongs to the
// lines of at most its two cells, so the lines are paths between border
// edges or loops. They are returned open ones first, each from its end on
// the lower-numbered edge, then loops, each from its lowest-numbered edge:
// the same lines in the same order for the same grid, so that a figure's
// bytes depend on its data only.
func contourAt(g plotter.GridXYZ, z float64) []contourLine {
	nc, nr := g.Dims()
	if nc < 2 || nr < 2 {
		return nil
	}
	val := make([]float64, nc*nr)
	for j := range nr {
		for i := range nc {
			val[j*nc+i] = g.Z(i, j)
		}
	}
	// Edges are numbered horizontal ones, (i, j)–(i+1, j), first, then
	// vertical ones, (i, j)–(i, j+1); both row by row.
	nh := (nc - 1) * nr
	hEdge := func(i, j int) int { return j*(nc-1) + i }
	vEdge := func(i, j int) int { return nh + j*nc + i }
	// ends returns the grid indices of edge e's two corners.
	ends := func(e int) (lo, hi int) {
		if e < nh {
			i, j := e%(nc-1), e/(nc-1)
			return j*nc + i, j*nc + i + 1
		}
		i, j := (e-nh)%nc, (e-nh)/nc
		return j*nc + i, (j+1)*nc + i
	}
	// link[e] holds the up to two edges that e is joined to by a segment,
	// one per cell it borders; -1 where there is none.
	link := make([][2]int, nh+nc*(nr-1))
	for e := range link {
		link[e] = [2]int{-1, -1}
	}
	join := func(a, b int) {
		for _, p := range [][2]int{{a, b}, {b, a}} {
			if link[p[0]][0] < 0 {
				link[p[0]][0] = p[1]
			} else {
				link[p[0]][1] = p[1]
			}
		}
	}
	for j := range nr - 1 {
		for i := range nc - 1 {
			// Corners counter-clockwise from the bottom left, and the edge
			// that follows each: bottom, right, top, left.
			corner := [4]int{j*nc + i, j*nc + i + 1, (j+1)*nc + i + 1, (j+1)*nc + i}
			edge := [4]int{hEdge(i, j), vEdge(i+1, j), hEdge(i, j+1), vEdge(i, j)}
			var crossed [4]int
			n := 0
			for k := range 4 {
				if (val[corner[k]] > z) != (val[corner[(k+1)%4]] > z) {
					crossed[n] = edge[k]
					n++
				}
			}
			switch n {
			case 2:
				join(crossed[0], crossed[1])
			case 4:
				mean := (val[corner[0]] + val[corner[1]] + val[corner[2]] + val[corner[3]]) / 4
				if (mean > z) == (val[corner[0]] > z) {
					// The centre joins the bottom-left and top-right corners:
					// the lines cut off the other two.
					join(edge[0], edge[1])
					join(edge[2], edge[3])
				} else {
					join(edge[3], edge[0])
					join(edge[1], edge[2])
				}
			}
		}
	}
	point := func(e int) plotter.XY {
		lo, hi := ends(e)
		t := (z - val[lo]) / (val[hi] - val[lo])
		x0, y0 := g.X(lo%nc), g.Y(lo/nc)
		x1, y1 := g.X(hi%nc), g.Y(hi/nc)
		return plotter.XY{X: x0 + t*(x1-x0), Y: y0 + t*(y1-y0)}
	}
	seen := make([]bool, len(link))
	trace := func(start int) contourLine {
		var line contourLine
		prev, cur := -1, start
		for {
			seen[cur] = true
			line.points = append(line.points, point(cur))
			next := link[cur][0]
			if next == prev {
				next = link[cur][1]
			}
			switch next {
			case -1:
				return line
			case start:
				line.closed = true
				return line
			}
			prev, cur = cur, next
		}
	}
	var out []contourLine
	for e := range link {
		if !seen[e] && link[e][0] >= 0 && link[e][1] < 0 {
			out = append(out, trace(e))
		}
	}
	for e := range link {
		if !seen[e] && link[e][0] >= 0 {
			out = append(out, trace(e))
		}
	}
	return out
}
