package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// phaseSlice is β ∈ {1, 20, 30} × {regular, curriculum}: regular passes at
// β = 1, fails at 20 and is pending at 30; curriculum passes at 1 and 20
// and diverged at 30.
func phaseSlice(t *testing.T) *Slice {
	t.Helper()
	var trials []state.TrialRecord
	add := func(beta int, s string, st state.Status, v float64) {
		p := fmt.Sprintf(`{"beta":%d,"strategy":%q,"seed":0}`, beta, s)
		trials = append(trials, trial(fmt.Sprint(beta, s), p, st, v))
	}
	add(1, "regular", state.StatusDone, 0.001)
	add(20, "regular", state.StatusDone, 0.8)
	add(30, "regular", state.StatusPending, nan)
	add(1, "curriculum", state.StatusDone, 0.002)
	add(20, "curriculum", state.StatusDone, 0.003)
	add(30, "curriculum", state.StatusDiverged, nan)
	g, err := Aggregate([]string{"beta", "strategy", "seed"}, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	sl, err := g.Slices("beta", "strategy")
	if err != nil {
		t.Fatal(err)
	}
	return &sl[0]
}

// pixel converts a point of a canvas of height h to image coordinates.
func pixel(p vg.Point, h vg.Length) image.Point {
	return image.Point{X: int(p.X / vg.Inch * DPI), Y: int((h - p.Y) / vg.Inch * DPI)}
}

// modal returns the most common colour in the 9 × 9 pixels around p.
func modal(img image.Image, p image.Point) color.RGBA {
	n := map[color.RGBA]int{}
	var best color.RGBA
	for dx := -4; dx <= 4; dx++ {
		for dy := -4; dy <= 4; dy++ {
			r, g, b, a := img.At(p.X+dx, p.Y+dy).RGBA()
			c := color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
			n[c]++
			if n[c] > n[best] {
				best = c
			}
		}
	}
	return best
}

func near(a color.RGBA, b color.Color) bool {
	r, g, bl, _ := b.RGBA()
	d := func(x uint8, y uint32) bool { return math.Abs(float64(x)-float64(y>>8)) <= 3 }
	return d(a.R, r) && d(a.G, g) && d(a.B, bl)
}

func TestWritePhasePNG(t *testing.T) {
	s := phaseSlice(t)
	opt := PhaseOptions{Sweep: "test"}
	var buf bytes.Buffer
	if err := WritePhase(&buf, FormatPNG, s, opt); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w, h := PhaseSize(s)
	if got, want := img.Bounds().Size(), (image.Point{X: int(math.Round(float64(w / vg.Inch * DPI))), Y: int(math.Round(float64(h / vg.Inch * DPI)))}); got != want {
		t.Fatalf("image %v, want %v", got, want)
	}
	// The same drawing again, for the cells' positions.
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	layout := drawPhase(draw.New(c), s, opt)
	if len(layout.cells) != 2 || len(layout.cells[0]) != 3 {
		t.Fatalf("layout %d × %d cells, want 2 rows × 3", len(layout.cells), len(layout.cells[0]))
	}
	// A point in a cell away from its annotation and outlines.
	inside := func(i, j int) image.Point {
		r := layout.cells[j][i]
		return pixel(vg.Point{X: r.Min.X + (r.Max.X-r.Min.X)/5, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/5}, h)
	}
	const regular, curriculum = 0, 1
	fail := modal(img, inside(1, regular))
	if !near(fail, ScaleFor(verdict.Default()).Color(0.8)) || int(fail.R) < int(fail.B)+80 {
		t.Errorf("failing cell %v: want the hot end of the scale, %v", fail, ScaleFor(verdict.Default()).Color(0.8))
	}
	pass := modal(img, inside(0, regular))
	if !near(pass, ScaleFor(verdict.Default()).Color(0.001)) || int(pass.B) < int(pass.R)+40 {
		t.Errorf("passing cell %v: want the cold end, %v", pass, ScaleFor(verdict.Default()).Color(0.001))
	}
	for _, i := range []struct{ i, j int }{{2, regular}, {2, curriculum}} {
		if got := modal(img, inside(i.i, i.j)); !near(got, MissingColor) {
			t.Errorf("cell (%d, %d) without a done replicate: %v, want the missing colour %v", i.i, i.j, got, MissingColor)
		}
	}
	// The threshold boundary: between regular β = 1 (pass) and 20 (fail),
	// between regular β = 20 (fail) and curriculum β = 20 (pass), and
	// between curriculum β = 20 (pass) and 30 (diverged, fail); none
	// between the passing curriculum cells at β = 1 and 20.
	edge := func(i, j int, vertical bool) image.Point {
		r := layout.cells[j][i]
		if vertical {
			return pixel(vg.Point{X: r.Max.X, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/5}, h)
		}
		return pixel(vg.Point{X: r.Min.X + (r.Max.X-r.Min.X)/5, Y: r.Max.Y}, h)
	}
	for _, e := range []struct {
		i, j     int
		vertical bool
		boundary bool
	}{
		{0, regular, true, true},
		{1, regular, false, true},
		{1, curriculum, true, true},
		{0, curriculum, true, false},
		{0, regular, false, false},
	} {
		p := edge(e.i, e.j, e.vertical)
		dark := luminance(img.At(p.X, p.Y)) < 0.15
		if dark != e.boundary {
			t.Errorf("edge of cell (%d, %d) vertical=%v at %v: colour %v, boundary drawn %v, want %v",
				e.i, e.j, e.vertical, p, img.At(p.X, p.Y), dark, e.boundary)
		}
	}
}

// checkSVG fails unless data is well-formed XML with an svg root.
func checkSVG(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
}

func TestWritePhaseSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePhase(&buf, FormatSVG, phaseSlice(t), PhaseOptions{}); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, buf.Bytes())
	if err := WritePhase(&buf, "gif", phaseSlice(t), PhaseOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("gif: %v, want ErrFormat", err)
	}
}

// fakeResult is a convection result whose prediction is the exact
// solution plus offset on a sub-grid of every 8th x and 9th t.
func fakeResult(t *testing.T, offset float64) *trainer.Result {
	t.Helper()
	cfg := trainer.DefaultConfig()
	exact, err := trainer.Exact(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &trainer.Snapshot{GridNX: cfg.NX, GridNT: cfg.NT}
	for j := 0; j < cfg.NX; j += 8 {
		s.XI = append(s.XI, j)
	}
	for i := 0; i < cfg.NT; i += 9 {
		s.TI = append(s.TI, i)
	}
	for _, i := range s.TI {
		for _, j := range s.XI {
			s.U = append(s.U, float32(exact[i*cfg.NX+j]+offset))
		}
	}
	return &trainer.Result{Config: cfg, Status: trainer.StatusDone, Solution: s, History: []trainer.HistoryPoint{
		{Iter: 0, Loss: 1, LossIC: 0.5, LossBC: 0.4, LossRes: 0.1},
		{Iter: 10, Loss: 0.1, LossIC: 0.05, LossBC: 0, LossRes: 0.05}, // a zero term is left out
		{Iter: 20, Loss: 0.01, LossIC: 0.004, LossBC: 0.001, LossRes: 0.005},
	}}
}

func TestSolutionFields(t *testing.T) {
	res := fakeResult(t, 0.25)
	f, err := SolutionFields(json.RawMessage(`{}`), res)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.X) != 32 || len(f.T) != 12 || len(f.Exact) != 32*12 {
		t.Fatalf("%d x, %d t, %d values", len(f.X), len(f.T), len(f.Exact))
	}
	for k, e := range f.AbsErr {
		if math.Abs(e-0.25) > 1e-6 {
			t.Fatalf("|error| %g at %d, want 0.25", e, k)
		}
	}
	// Convection at β = 1 with u0 = sin: u(x, t) = sin(x − t).
	k := 3*len(f.X) + 5
	if want := math.Sin(f.X[5] - f.T[3]); math.Abs(f.Exact[k]-want) > 1e-9 {
		t.Errorf("exact %g at x=%g t=%g, want %g", f.Exact[k], f.X[5], f.T[3], want)
	}
	res.Solution = nil
	if _, err := SolutionFields(json.RawMessage(`{}`), res); !errors.Is(err, ErrNoSolution) {
		t.Errorf("no snapshot: %v, want ErrNoSolution", err)
	}
}

// TestSolutionFieldsUseParams: the exact field is the reference of the
// trial's params, whatever config the result claims; a snapshot off the
// params' grid or whose grid size overflows is a bad trial, not a panic.
func TestSolutionFieldsUseParams(t *testing.T) {
	res := fakeResult(t, 0)
	res.Config.Beta, res.Config.NX, res.Config.NT = 30, 4096, 4096 // forged
	f, err := SolutionFields(json.RawMessage(`{"beta": 1}`), res)
	if err != nil {
		t.Fatal(err)
	}
	k := 3*len(f.X) + 5
	if want := math.Sin(f.X[5] - f.T[3]); math.Abs(f.Exact[k]-want) > 1e-9 {
		t.Errorf("exact %g at x=%g t=%g, want %g (β = 1 of the params)", f.Exact[k], f.X[5], f.T[3], want)
	}
	if _, err := SolutionFields(json.RawMessage(`{"nx": 512}`), res); !errors.Is(err, ErrBadTrial) {
		t.Errorf("params on another grid: %v, want ErrBadTrial", err)
	}
	res.Solution = &trainer.Snapshot{GridNX: 1<<62 + 1, GridNT: 8, XI: []int{1 << 61}, TI: []int{0, 7}, U: trainer.Float32s{0, 0}}
	if _, err := SolutionFields(json.RawMessage(`{"nx": 4, "nt": 2, "nf": 3}`), res); !errors.Is(err, ErrBadTrial) {
		t.Errorf("overflowing snapshot: %v, want ErrBadTrial", err)
	}
}

func TestWriteSolutionAndLoss(t *testing.T) {
	res := fakeResult(t, 0.1)
	f, err := SolutionFields(json.RawMessage(`{}`), res)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fn   func(io.Writer, string) error
		w, h vg.Length
	}{
		{"solution", func(w io.Writer, format string) error { return WriteSolution(w, format, f, "title") }, 3 * panelW, panelH + titleH},
		{"loss", func(w io.Writer, format string) error { return WriteLoss(w, format, res.History, "title") }, 7 * vg.Inch, 4.5 * vg.Inch},
	} {
		var buf bytes.Buffer
		if err := tc.fn(&buf, FormatPNG); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := image.Point{X: int(math.Round(float64(tc.w / vg.Inch * DPI))), Y: int(math.Round(float64(tc.h / vg.Inch * DPI)))}
		if img.Bounds().Size() != want {
			t.Errorf("%s: %v, want %v", tc.name, img.Bounds().Size(), want)
		}
		buf.Reset()
		if err := tc.fn(&buf, FormatSVG); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		checkSVG(t, buf.Bytes())
	}
	if err := WriteLoss(io.Discard, FormatPNG, []trainer.HistoryPoint{{Loss: 0}}, ""); !errors.Is(err, ErrNoHistory) {
		t.Errorf("history without a positive value: %v, want ErrNoHistory", err)
	}
}

func TestAnnotation(t *testing.T) {
	for _, tc := range []struct {
		cell Cell
		want string
	}{
		{Cell{Stats: &verdict.Stats{Median: 0.0321}, Counts: Counts{Total: 3, Done: 3}}, "3.2e-2\n3/3"},
		{Cell{Stats: &verdict.Stats{Median: 1.5}, Counts: Counts{Total: 3, Done: 2, Diverged: 1}}, "1.5e0\n2/3\n1 div"},
		{Cell{Counts: Counts{Total: 3, Pending: 2, Failed: 1}}, "unfinished\n0/3\n1 fail 2 open"},
		{Cell{Counts: Counts{Total: 2, Diverged: 1, Timeout: 1}}, "diverged\n0/2\n1 div 1 t/o"},
		{Cell{Counts: Counts{Total: 1, Cancelled: 1}}, "failed\n0/1\n1 canc"},
		{Cell{}, "no trials\n0/0"},
	} {
		if got := Annotation(&tc.cell); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.cell.Counts, got, tc.want)
		}
	}
}
