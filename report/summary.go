package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// Summary is what WriteSummary prints: the grid and the files written
// from it. File names are relative to the summary's directory.
type Summary struct {
	// Sweep names the sweep.
	Sweep string
	// Grid is the aggregated sweep (its Metric judges the points).
	Grid *Grid
	// Slices are the phase diagrams' planes; PhaseFiles[i] lists the files
	// drawn from Slices[i] (one per format, the first one shown).
	Slices     []Slice
	PhaseFiles [][]string
	// ClassFiles[i] lists the classes' diagrams of Slices[i].
	ClassFiles [][]string
	// Fields are the diagrams of result fields (report --metric).
	Fields []FieldFiles
	// Trials are the trial figures drawn.
	Trials []TrialFigures
	// Data lists the data files written (results.csv, …).
	Data []string
	// Problems lists what could not be drawn, one line each.
	Problems []string
	// Landscape is the landscapes' shared scale, when they were drawn.
	Landscape *LandscapeScale
}

// FieldFiles are the diagrams of one result field: Files[i] those of
// Summary.Slices[i].
type FieldFiles struct {
	Field *Field
	Files [][]string
}

// TrialFigures are the figures of one trial.
type TrialFigures struct {
	// Label is the trial's grid point ("beta=20 strategy=regular").
	Label string
	// Replicate is the trial.
	Replicate Replicate
	// Why says why it was drawn ("median of its cell", "--trial").
	Why string
	// Solution and Loss list the solution and loss figures (one per
	// format, the first one shown; empty when not drawn).
	Solution, Loss []string
	// Landscape lists the loss-landscape figures (report --landscape).
	Landscape []string
}

// WriteSummary writes s as Markdown to w.
func WriteSummary(w io.Writer, s *Summary) error {
	b := bufio.NewWriter(w)
	g := s.Grid
	m := g.Metric
	th := strconv.FormatFloat(m.Threshold, 'g', -1, 64)
	name := md(m.Name)
	bound, side := "at most", "above"
	if m.Goal == verdict.Maximize {
		bound, side = "at least", "below"
	}
	fmt.Fprintf(b, "# Sweep report: %s\n\n", md(s.Sweep))
	c := g.Counts
	fmt.Fprintf(b, "%d trials: %d done, %d diverged, %d failed, %d timed out, %d cancelled, %d pending, %d running.\n\n",
		c.Total, c.Done, c.Diverged, c.Failed, c.Timeout, c.Cancelled, c.Pending, c.Running)
	names := make([]string, len(g.Axes))
	for k, a := range g.Axes {
		names[k] = md(a.Name)
	}
	fmt.Fprintf(b, "Axes: %s (plus the seed); %d grid points.\n", orNone(strings.Join(names, ", ")), len(g.Cells))
	fmt.Fprintf(b, "A grid point whose replicates all ended **passes** or **fails** as the median %s of its replicates is %s or %s %s,\n", name, bound, side, th)
	b.WriteString("a diverged or timed-out replicate counting as a failure; it is **pending** while a replicate is still to run, and **void**\n")
	fmt.Fprintf(b, "when a replicate failed, was cancelled or has no %s (rerun it with `pinnsweep run --rerun-failed` to know): the rule refinement uses.\n", name)
	fmt.Fprintf(b, "Statistics are over the done replicates with a %s; Q1 and Q3 are observed values (gonum stat.Quantile, Empirical).\n\n", name)
	writeClassRules(b, m)

	if len(s.Slices) > 0 {
		b.WriteString("## Phase diagrams\n\n")
		sl := &s.Slices[0]
		sc := g.Scale()
		colour := "log10 of the median %s, fixed scale %.3g to %.3g"
		if sc.Linear {
			colour = "the median %s on a linear scale from %.3g to %.3g (a median or the threshold is ≤ 0, so there is no log scale)"
		}
		fmt.Fprintf(b, "Horizontal axis: %s; vertical axis: %s. Colour: "+colour+", white at the threshold (%.3g), red where it fails;\n",
			md(axisName(sl.XAxis())), md(axisName(sl.YAxis())), name, sc.Min, sc.Max, sc.White)
		fmt.Fprintf(b, "thick line: boundary between passing and failing points (threshold %s); hatched: no done replicate (red: every one diverged or timed out);\n", th)
		b.WriteString("dashed outline: replicates still pending or running. Each cell shows the median and done/total replicates.\n")
		b.WriteString("The marker in each cell's corner is the failure class of the grid point's median replicate (keyed under the diagram);\n")
		b.WriteString("the classes' diagram (classes-*) fills each cell with that class's colour and counts the replicates by class.\n")
		for _, f := range s.Fields {
			sc := f.Field.Scale
			lo, hi, kind := sc.Min, sc.Max, "linear"
			if sc.Log {
				lo, hi, kind = math.Pow(10, lo), math.Pow(10, hi), "log10"
			}
			fmt.Fprintf(b, "metric-%s-*: colour is the median %s over the done replicates that have it, %s scale from %s to %s (log when every median is positive and the largest is at least %d times the smallest); ",
				md(FileName(f.Field.Name)), md(f.Field.Name), kind, num(lo), num(hi), LogSpan)
			if f.Field.Name == m.Name {
				b.WriteString("thick line: the threshold boundary.\n")
			} else {
				fmt.Fprintf(b, "no threshold boundary (%s judges the sweep).\n", name)
			}
		}
		if len(s.Slices) > 1 {
			fmt.Fprintf(b, "The sweep has more than two axes: one diagram per combination of the others (%d diagrams).\n", len(s.Slices))
		}
		b.WriteString("\n")
		for i := range s.Slices {
			sl := &s.Slices[i]
			if o := sl.Others(); len(o) > 0 {
				fmt.Fprintf(b, "### %s\n\n", strings.Join(mdAll(o), ", "))
			}
			if i < len(s.PhaseFiles) {
				writeImage(b, sl.Name(), s.PhaseFiles[i])
			}
			if i < len(s.ClassFiles) {
				writeImage(b, sl.ClassesName(), s.ClassFiles[i])
			}
			for _, f := range s.Fields {
				if i < len(f.Files) {
					writeImage(b, sl.FieldName(f.Field.Name), f.Files[i])
				}
			}
			writeBrackets(b, sl)
		}
	}

	b.WriteString("## Replicate statistics\n\n")
	header := append(append([]string(nil), names...), "n", "done", "diverged", "failed", "timeout", "cancelled", "open",
		"median "+name, "min", "max", "IQR", "verdict", "class", "classes")
	writeRow(b, header)
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
		if i >= len(names) {
			seps[i] = "--:"
		}
	}
	writeRow(b, seps)
	for i := range g.Cells {
		cell := &g.Cells[i]
		cc := cell.Counts
		row := mdAll(cell.Point)
		row = append(row, strconv.Itoa(cc.Total), strconv.Itoa(cc.Done), strconv.Itoa(cc.Diverged), strconv.Itoa(cc.Failed),
			strconv.Itoa(cc.Timeout), strconv.Itoa(cc.Cancelled), strconv.Itoa(cc.Open()))
		if st := cell.Stats; st != nil {
			row = append(row, num(st.Median), num(st.Min), num(st.Max), num(st.IQR))
		} else {
			row = append(row, "–", "–", "–", "–")
		}
		row = append(row, cell.Verdict.String(), orNone(cell.Class.String()), ClassCounts(cell))
		writeRow(b, row)
	}
	b.WriteString("\n")

	if len(s.Trials) > 0 {
		b.WriteString("## Trials\n\n")
		// The landscape column only when landscapes were drawn.
		lands := s.Landscape != nil
		head, seps := []string{"grid point", "seed", "key", name, "why", "solution", "loss"}, []string{"---", "--:", "---", "--:", "---", "---", "---"}
		if lands {
			head, seps = append(head, "landscape"), append(seps, "---")
		}
		writeRow(b, head)
		writeRow(b, seps)
		for _, t := range s.Trials {
			rel := "–"
			if t.Replicate.RelL2 != nil {
				rel = num(*t.Replicate.RelL2)
			}
			row := []string{md(t.Label), md(t.Replicate.Seed), "`" + t.Replicate.Key + "`", rel, md(t.Why),
				orNone(formatLinks(t.Solution)), orNone(formatLinks(t.Loss))}
			if lands {
				row = append(row, orNone(formatLinks(t.Landscape)))
			}
			writeRow(b, row)
		}
		b.WriteString("\n")
		if lands {
			fmt.Fprintf(b, "Landscapes: log10 of the training loss at θ* + a·v₁ + b·v₂ (v₁, v₂ the unit top Hessian eigenvectors, θ* the trained parameters, marked ×), one colour scale for the whole sweep, %.3g to %.3g; contour lines every decade (every half or quarter decade over a narrow scale).\n\n",
				s.Landscape.Min, s.Landscape.Max)
		}
	}
	if len(s.Data) > 0 {
		fmt.Fprintf(b, "Data: %s.\n\n", links(s.Data))
	}
	if len(s.Problems) > 0 {
		b.WriteString("## Not drawn\n\n")
		for _, p := range s.Problems {
			fmt.Fprintf(b, "- %s\n", md(p))
		}
		b.WriteString("\n")
	}
	return b.Flush()
}

// writeImage embeds the first of files (one per format) with the others
// linked.
func writeImage(b *bufio.Writer, alt string, files []string) {
	if len(files) == 0 {
		return
	}
	fmt.Fprintf(b, "![%s](%s)\n\n", md(alt), files[0])
	if len(files) > 1 {
		fmt.Fprintf(b, "Also: %s\n\n", links(files[1:]))
	}
}

// writeClassRules says how the failure classes are decided.
func writeClassRules(b *bufio.Writer, m verdict.Metric) {
	b.WriteString("Each finished trial has a **failure class** (verdict.Metric.FailureClass), the first that holds: **diverged** or **timeout** by its status;\n")
	fmt.Fprintf(b, "**pass** when its %s passes (%s); **collocation-overfit** when its mean squared PDE residual on the whole grid is at least %g times the one on its training points\n",
		md(m.Name), md(ThresholdLabel(m)), verdict.ResidualRatio)
	fmt.Fprintf(b, "(the supervised control: its squared error on the grid against its data misfit at the points); **optimization** when its final loss is at least %g of its loss at the initial parameters;\n", verdict.LossRatio)
	b.WriteString("**consistent-but-wrong** otherwise (a small loss and as small a residual on the grid, yet a wrong solution); **unexplained** when the result lacks a number a rule needs.\n")
	b.WriteString("Counts use the short names: " + classShortNames() + ".\n\n")
}

// classShortNames lists "short = class" for every class.
func classShortNames() string {
	var parts []string
	for _, c := range verdict.FailureClasses() {
		if short := StyleOf(c).Short; short != c.String() {
			parts = append(parts, short+" = "+c.String())
		}
	}
	return strings.Join(parts, ", ")
}

// writeBrackets prints the critical value along the slice's numeric axis.
func writeBrackets(b *bufio.Writer, sl *Slice) {
	along := sl.AlongAxis()
	if along == nil {
		return
	}
	rowAxis := sl.YAxis()
	if along == rowAxis {
		rowAxis = sl.XAxis()
	}
	name := md(along.Name)
	fmt.Fprintf(b, "Critical %s (last passing and first failing value):\n\n", name)
	for _, br := range sl.Brackets() {
		prefix := "- "
		if rowAxis != nil {
			prefix = "- " + md(rowAxis.Name) + "=" + md(br.Row) + ": "
		}
		var text string
		switch {
		case br.FirstFail == "" && br.LastPass == "":
			text = "no verdict yet"
		case br.FirstFail == "":
			text = fmt.Sprintf("passes at every value (up to %s = %s)", name, md(br.LastPass))
		case br.LastPass == "":
			text = fmt.Sprintf("fails from the first value, %s = %s", name, md(br.FirstFail))
		default:
			text = fmt.Sprintf("passes up to %s = %s, fails from %s = %s: critical %s in (%s, %s]",
				name, md(br.LastPass), name, md(br.FirstFail), name, md(br.LastPass), md(br.FirstFail))
		}
		if br.PassesAfter {
			text += " (passes again at a larger value: not monotone)"
		}
		b.WriteString(prefix + text + "\n")
	}
	b.WriteString("\n")
}

func writeRow(b *bufio.Writer, cells []string) {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	b.WriteString("| " + strings.Join(esc, " | ") + " |\n")
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

func links(files []string) string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = "[" + md(f) + "](" + f + ")"
	}
	return strings.Join(out, ", ")
}

// formatLinks links files by their extension: "[png](a.png) [svg](a.svg)".
func formatLinks(files []string) string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = "[" + strings.TrimPrefix(path.Ext(f), ".") + "](" + f + ")"
	}
	return strings.Join(out, " ")
}

func axisName(a *Axis) string {
	if a == nil {
		return "none"
	}
	return a.Name
}

func orNone(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
