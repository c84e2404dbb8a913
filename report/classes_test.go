package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// classTrial is a trial whose result classifies it as class (a done
// trial; diverged and timeout by status).
func classTrial(key, point string, class verdict.FailureClass) state.TrialRecord {
	t := state.TrialRecord{Sweep: "s", Key: key, Point: []byte(point), Status: state.StatusDone}
	numbers := map[verdict.FailureClass]string{
		verdict.Passed:             `"rel_l2":0.01,"loss":1e-4,"loss_initial":1,"residual_train":1e-4,"residual_grid":1e-4`,
		verdict.Optimization:       `"rel_l2":0.9,"loss":0.5,"loss_initial":1,"residual_train":1e-2,"residual_grid":1e-2`,
		verdict.CollocationOverfit: `"rel_l2":1.2,"loss":1e-3,"loss_initial":1,"residual_train":1e-4,"residual_grid":100`,
		verdict.ConsistentButWrong: `"rel_l2":2.7,"loss":1e-6,"loss_initial":1,"residual_train":1e-6,"residual_grid":1e-6`,
		verdict.Unexplained:        `"rel_l2":0.8`,
	}
	switch class {
	case verdict.Diverged:
		t.Status, t.Result = state.StatusDiverged, []byte(`{"rel_l2":"NaN"}`)
	case verdict.TimedOut:
		t.Status, t.Result = state.StatusTimeout, []byte(`{"rel_l2":0.5}`)
	default:
		t.Result = []byte("{" + numbers[class] + "}")
	}
	return t
}

// classesGrid has one grid point per class along beta, three replicates
// each: two of the point's class and one that passes (the median is of
// the class: the passing one ranks best), and a point with an open and a
// failed trial.
func classesGrid(t *testing.T) *Grid {
	t.Helper()
	var trials []state.TrialRecord
	for i, c := range verdict.FailureClasses() {
		for seed, sc := range []verdict.FailureClass{c, verdict.Passed, c} {
			p := fmt.Sprintf(`{"beta":%d,"seed":%d}`, i, seed)
			trials = append(trials, classTrial(fmt.Sprint(i, seed), p, sc))
		}
	}
	trials = append(trials,
		state.TrialRecord{Sweep: "s", Key: "open", Point: []byte(`{"beta":9,"seed":0}`), Status: state.StatusRunning},
		state.TrialRecord{Sweep: "s", Key: "fault", Point: []byte(`{"beta":9,"seed":1}`), Status: state.StatusFailed})
	g, err := Aggregate([]string{"beta", "seed"}, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestAggregateClasses: every replicate has its class, every cell the
// class of its median replicate and the counts by class.
func TestAggregateClasses(t *testing.T) {
	g := classesGrid(t)
	classes := verdict.FailureClasses()
	if len(g.Cells) != len(classes)+1 {
		t.Fatalf("%d cells", len(g.Cells))
	}
	for i, c := range classes {
		cell := &g.Cells[i]
		want := map[verdict.FailureClass]int{c: 2, verdict.Passed: 1}
		if c == verdict.Passed {
			want = map[verdict.FailureClass]int{c: 3}
		}
		if cell.Class != c || fmt.Sprint(cell.Classes) != fmt.Sprint(want) {
			t.Errorf("beta=%d: class %q, classes %v; want %q, %v", i, cell.Class, cell.Classes, c, want)
		}
		if cell.Trials[1].Class != verdict.Passed || cell.Trials[0].Class != c {
			t.Errorf("beta=%d: replicates %q, %q", i, cell.Trials[0].Class, cell.Trials[1].Class)
		}
	}
	open := &g.Cells[len(classes)]
	if open.Class != verdict.Unclassified || open.Classes != nil || ClassCounts(open) != "–" {
		t.Errorf("open and failed trials: class %q, classes %v", open.Class, open.Classes)
	}
	if got := ClassAnnotation(open); got != "unfinished\n–\n1 fail 1 open" {
		t.Errorf("annotation %q", got)
	}
	if got := ClassAnnotation(&g.Cells[2]); got != "overfit\n1 pass 2 ovf" {
		t.Errorf("annotation %q", got)
	}
}

// TestWriteClassesPNG: each cell is filled with its class's colour and
// marked in its corner; the unclassified one is grey.
func TestWriteClassesPNG(t *testing.T) {
	g := classesGrid(t)
	sl, err := g.Slices("beta", "")
	if err != nil {
		t.Fatal(err)
	}
	s := &sl[0]
	var buf bytes.Buffer
	if err := WriteClasses(&buf, FormatPNG, s, PhaseOptions{Sweep: "classes"}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w, h := PhaseSize(s)
	layout := drawClasses(draw.New(vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))), s, PhaseOptions{Sweep: "classes"})
	for i, c := range append(verdict.FailureClasses(), verdict.Unclassified) {
		r := layout.cells[0][i]
		inside := pixel(vg.Point{X: r.Min.X + (r.Max.X-r.Min.X)/5, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/5}, h)
		want := StyleOf(c).Color
		if got := modal(img, inside); !near(got, want) {
			t.Errorf("cell of %q: %v, want %v", c, got, want)
		}
		if c == verdict.Unclassified {
			continue
		}
		// The marker, in the cell's ink, where drawDiagram puts it.
		corner := pixel(vg.Point{X: r.Max.X - markerInset, Y: r.Max.Y - markerInset}, h)
		ink := 0
		for dx := -6; dx <= 6; dx++ {
			for dy := -6; dy <= 6; dy++ {
				if near(rgba(img.At(corner.X+dx, corner.Y+dy)), InkOn(want)) {
					ink++
				}
			}
		}
		if ink < 8 {
			t.Errorf("cell of %q: %d pixels of its marker", c, ink)
		}
	}
	buf.Reset()
	if err := WriteClasses(&buf, FormatSVG, s, PhaseOptions{}); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, buf.Bytes())
}

// TestClassStyles: each class has its own colour, marker and short name.
func TestClassStyles(t *testing.T) {
	colors, shorts := map[string]bool{}, map[string]bool{}
	for _, c := range verdict.FailureClasses() {
		st := StyleOf(c)
		if len(st.Marker.Paths) == 0 || colors[fmt.Sprint(st.Color)] || shorts[st.Short] || st.Short == "" {
			t.Errorf("class %q: style %+v not distinct", c, st)
		}
		colors[fmt.Sprint(st.Color)], shorts[st.Short] = true, true
		for _, p := range st.Marker.Paths {
			for _, q := range p {
				if q[0] < -1 || q[0] > 1 || q[1] < -1 || q[1] > 1 {
					t.Errorf("class %q: marker point %v outside [-1, 1]²", c, q)
				}
			}
		}
	}
}

// rgba converts a colour to 8-bit RGBA.
func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}
