package report

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// eggCrate is a landscape with many separate contour lines at each level:
// loss = 10^(2·sin(3πa)·sin(3πb)) on a 21 × 21 grid over [−1, 1]², 18
// bumps and 18 pits cut by every decade from 1e-2 to 1e2, with a NaN and
// a zero loss (clamped for contouring) in one corner. The drawing order of
// such lines came from a map's iteration order before contourLines.
func eggCrate() *trainer.Landscape {
	n := 21
	l := &trainer.Landscape{Coords: make([]float64, n), Loss: make(trainer.Float32s, n*n), Center: 1, Lambda1: 3, Lambda2: 2}
	for i := range l.Coords {
		l.Coords[i] = -1 + 0.1*float64(i)
	}
	for j, b := range l.Coords {
		for i, a := range l.Coords {
			l.Loss[j*n+i] = float32(math.Pow(10, 2*math.Sin(3*math.Pi*a)*math.Sin(3*math.Pi*b)))
		}
	}
	l.Loss[0], l.Loss[1] = float32(math.NaN()), 0
	return l
}

// convectionHessian returns convectionGrid aggregated, its first slice
// and its field hessian_max.
func convectionHessian(t *testing.T) (*Grid, *Slice, *Field) {
	t.Helper()
	axes, trials := convectionGrid(t)
	g, err := Aggregate(axes, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	slices, err := g.Slices("", "")
	if err != nil {
		t.Fatal(err)
	}
	field, err := g.Field("hessian_max", trials)
	if err != nil {
		t.Fatal(err)
	}
	return g, &slices[0], field
}

// reproducible is a figure or document of the report package, rendered
// from fixed inputs.
type reproducible struct {
	name   string
	render func(io.Writer) error
}

// reproducibles are the report's outputs TestRenderReproducible renders:
// every figure in both formats and aggregate.json.
func reproducibles(t *testing.T) []reproducible {
	t.Helper()
	land := eggCrate()
	sc, err := NewLandscapeScale(land)
	if err != nil {
		t.Fatal(err)
	}
	g, sl, field := convectionHessian(t)
	res := fakeResult(t, 0.1)
	sol, err := SolutionFields(json.RawMessage(`{}`), res)
	if err != nil {
		t.Fatal(err)
	}
	opt := PhaseOptions{Sweep: "convection-beta"}
	out := []reproducible{{"aggregate.json", func(w io.Writer) error { return WriteAggregateJSON(w, "convection-beta", g) }}}
	for _, format := range []string{FormatSVG, FormatPNG} {
		out = append(out,
			reproducible{"landscape." + format, func(w io.Writer) error { return WriteLandscape(w, format, land, sc, "egg crate") }},
			reproducible{"phase." + format, func(w io.Writer) error { return WritePhase(w, format, sl, opt) }},
			reproducible{"classes." + format, func(w io.Writer) error { return WriteClasses(w, format, sl, opt) }},
			reproducible{"field." + format, func(w io.Writer) error { return WriteField(w, format, sl, field, opt) }},
			reproducible{"solution." + format, func(w io.Writer) error { return WriteSolution(w, format, sol, "solution") }},
			reproducible{"loss." + format, func(w io.Writer) error { return WriteLoss(w, format, res.History, "loss") }},
		)
	}
	return out
}

// renderChildEnv names, in the process TestRenderReproducible starts, the
// directory to write the renderings into instead of comparing them.
const renderChildEnv = "PINNSWEEP_REPORT_RENDER_DIR"

// TestRenderReproducible: the same inputs give the same bytes, rendered
// again in this process and in a fresh one (map iteration order and hash
// seeds differ between runs and between processes), since reports are
// diffed and checked into git.
func TestRenderReproducible(t *testing.T) {
	figs := reproducibles(t)
	render := func(t *testing.T, f reproducible) []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := f.render(&buf); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		return buf.Bytes()
	}
	if dir := os.Getenv(renderChildEnv); dir != "" {
		for _, f := range figs {
			if err := os.WriteFile(filepath.Join(dir, f.name), render(t, f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestRenderReproducible$", "-test.count=1")
	cmd.Env = append(os.Environ(), renderChildEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rendering in a fresh process: %v\n%s", err, out)
	}
	for _, f := range figs {
		t.Run(f.name, func(t *testing.T) {
			want := render(t, f)
			for i := range 3 {
				if got := render(t, f); !bytes.Equal(got, want) {
					t.Fatalf("rendering %d in this process differs from the first (%d and %d bytes)", i+2, len(got), len(want))
				}
			}
			got, err := os.ReadFile(filepath.Join(dir, f.name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the fresh process's rendering differs from this one's (%d and %d bytes)", len(got), len(want))
			}
		})
	}
}
