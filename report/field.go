package report

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// LogSpan is the ratio of the largest to the smallest cell median from
// which a field's diagram is coloured on a log scale (a decade), when
// every median is positive; below it, or with a median ≤ 0, the scale is
// linear. Over a decade or more, a linear scale gives most cells the
// colours of its bottom tenth.
const LogSpan = 10

// Field is a numeric top-level field of the trials' results, aggregated
// over the cells of a Grid: the colour of a phase diagram (report
// --metric NAME).
type Field struct {
	// Name is the field's key in the results.
	Name string
	// Stats[i] are the statistics of the field over the replicates of
	// Grid.Cells[i] that are done with a finite value of it; nil when
	// none is.
	Stats []*verdict.Stats
	// Scale is the colour scale of its diagrams.
	Scale FieldScale
}

// FieldScale is a field's colour scale, from its smallest to its largest
// cell median: log10 of the value when Log, the value itself otherwise;
// Min and Max are in those units.
type FieldScale struct {
	Log      bool
	Min, Max float64
}

// position returns where v falls on the scale, from 0 to 1, clamped; NaN
// for a value the scale cannot show (≤ 0 on a log scale).
func (sc FieldScale) position(v float64) float64 {
	if sc.Log {
		if !(v > 0) {
			return math.NaN()
		}
		v = math.Log10(v)
	}
	return math.Max(0, math.Min(1, (v-sc.Min)/(sc.Max-sc.Min)))
}

// Color returns the colour of the value v (Kindlmann's map, as the loss
// landscapes).
func (sc FieldScale) Color(v float64) color.Color {
	p := sc.position(v)
	if math.IsNaN(p) {
		return MissingColor
	}
	cm := moreland.Kindlmann()
	cm.SetMin(0)
	cm.SetMax(1)
	c, err := cm.At(p)
	if err != nil {
		return MissingColor
	}
	return c
}

// NewFieldScale returns the scale of medians: LogSpan decides log or
// linear; a single value gets a range around it.
//
// It is not ScaleFor (Grid.Scale), on purpose. A field in general has no
// threshold and no good side, so its scale is sequential (Kindlmann's
// map: no white middle, no blue or red side) and spans the field's own
// medians, log only when they span LogSpan, since fields (hessian_max,
// residual_grid, seconds) come in any units and ranges; the boundary a
// field diagram of the verdict metric draws comes from the cells'
// verdicts, not from the colours. The verdict metric's scale is diverging
// about the threshold and, for a positive metric, fixed at [ScaleMin,
// ScaleMax], so that phase diagrams of different sweeps compare at a
// glance. One rule for both would lose one of the two.
func NewFieldScale(medians []float64) FieldScale {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range medians {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo > hi {
		return FieldScale{Min: 0, Max: 1}
	}
	if lo > 0 && hi >= LogSpan*lo {
		return FieldScale{Log: true, Min: math.Log10(lo), Max: math.Log10(hi)}
	}
	if hi == lo {
		d := math.Max(math.Abs(lo)/2, 1e-300)
		return FieldScale{Min: lo - d, Max: hi + d}
	}
	return FieldScale{Min: lo, Max: hi}
}

// Field aggregates the result field name over g's cells, from trials (the
// trials g was aggregated from; results included). It fails with
// ErrNoField, naming the numeric fields the results have, when no trial
// is done with a finite number under that name.
func (g *Grid) Field(name string, trials []state.TrialRecord) (*Field, error) {
	cellOf := map[string]int{}
	for i := range g.Cells {
		for _, r := range g.Cells[i].Trials {
			cellOf[r.Key] = i
		}
	}
	values := make([][]verdict.Outcome, len(g.Cells))
	m := verdict.Metric{Name: name}
	found := false
	numeric := map[string]bool{}
	for i := range trials {
		t := &trials[i]
		ci, ok := cellOf[t.Key]
		if !ok || t.Status != state.StatusDone {
			continue
		}
		fields, _ := verdict.Fields(t.Result)
		if v, ok := m.Value(fields); ok {
			values[ci] = append(values[ci], verdict.Measured(v))
			found = true
			continue
		}
		if len(numeric) < 1000 {
			for k, raw := range fields {
				if b := bytes.TrimSpace(raw); len(b) > 0 && b[0] != '"' {
					if _, ok := verdict.Number(b); ok {
						numeric[k] = true
					}
				}
			}
		}
	}
	if name == "" || !found {
		names := make([]string, 0, len(numeric))
		for k := range numeric {
			names = append(names, strconv.Quote(k))
		}
		slices.Sort(names)
		if len(names) > 30 {
			names = append(names[:30], "…")
		}
		return nil, fmt.Errorf("%w %q (numeric fields of the results: %s)", ErrNoField, name, orNone(strings.Join(names, ", ")))
	}
	f := &Field{Name: name, Stats: make([]*verdict.Stats, len(g.Cells))}
	var medians []float64
	for i, vs := range values {
		if f.Stats[i] = m.Judge(vs).Stats; f.Stats[i] != nil {
			medians = append(medians, f.Stats[i].Median)
		}
	}
	f.Scale = NewFieldScale(medians)
	return f, nil
}

// WriteField draws the diagram of field f over s in format to w: each
// cell coloured by the median of f over its replicates on f.Scale
// (labelled with f's name; log10 when the medians span LogSpan),
// annotated with the median and how many replicates have it, hatched
// grey without one; the class markers as in every phase diagram; the
// threshold boundary only when f is the grid's verdict metric.
func WriteField(w io.Writer, format string, s *Slice, f *Field, opt PhaseOptions) error {
	if len(f.Stats) != len(s.grid.Cells) {
		return fmt.Errorf("%w: field %q has %d cells, the grid %d", ErrBadTrial, f.Name, len(f.Stats), len(s.grid.Cells))
	}
	width, height := PhaseSize(s)
	return write(w, format, width, height, func(c draw.Canvas) { drawFieldPhase(c, s, f, opt) })
}

func drawFieldPhase(c draw.Canvas, s *Slice, f *Field, opt PhaseOptions) phaseLayout {
	g := s.grid
	index := func(cell *Cell) *verdict.Stats { return f.Stats[g.Index(cell.Index)] }
	scaleName := "linear scale"
	if f.Scale.Log {
		scaleName = "log scale"
	}
	verdictMetric := f.Name == g.Metric.Name
	sub := "no threshold: " + g.Metric.Name + " judges the sweep"
	if verdictMetric {
		sub = "thick line: threshold " + strconv.FormatFloat(g.Metric.Threshold, 'g', -1, 64)
	}
	return drawDiagram(c, s, opt, diagram{
		title: "median " + f.Name + " over replicates (" + scaleName + ")\n" + sub +
			"\nhatched: no done replicate with " + f.Name + " · dashed: some still to run",
		fill: func(cell *Cell) (color.Color, color.Color) {
			if st := index(cell); st != nil {
				return f.Scale.Color(st.Median), nil
			}
			return MissingColor, HatchColor
		},
		text: func(cell *Cell) string {
			st := index(cell)
			if st == nil {
				return fmt.Sprintf("–\n0/%d", cell.Counts.Total)
			}
			return fmt.Sprintf("%s\n%d/%d", FormatRelL2(st.Median), st.N, cell.Counts.Total)
		},
		boundary: verdictMetric,
		bar:      func(c draw.Canvas) draw.Canvas { return drawFieldBar(c, f) },
	})
}

// drawFieldBar draws f's colour bar, labelled with its name, at the right
// of c and returns the part left of it.
func drawFieldBar(c draw.Canvas, f *Field) draw.Canvas {
	sc := f.Scale
	cm := moreland.Kindlmann()
	cm.SetMin(sc.Min)
	cm.SetMax(sc.Max)
	p := newColorBar("median\n"+f.Name, cm, 256)
	p.Y.Min, p.Y.Max = sc.Min, sc.Max
	if sc.Log {
		var ticks plot.ConstantTicks
		step := math.Max(1, math.Round((sc.Max-sc.Min)/6))
		for e := math.Ceil(sc.Min); e <= sc.Max; e += step {
			ticks = append(ticks, plot.Tick{Value: e, Label: "1e" + strconv.Itoa(int(e))})
		}
		p.Y.Tick.Marker = ticks
	}
	return drawPhaseBar(c, p)
}
