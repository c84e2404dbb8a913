package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// bowl is a synthetic landscape: loss = floor + ca·a² + cb·b² on an
// 11 × 11 grid over [−1, 1]².
func bowl(floor, ca, cb float64) *trainer.Landscape {
	n := 11
	l := &trainer.Landscape{Coords: make([]float64, n), Loss: make(trainer.Float32s, n*n), Center: floor, Lambda1: 2 * ca, Lambda2: 2 * cb}
	for i := range l.Coords {
		l.Coords[i] = -1 + 0.2*float64(i)
	}
	for j, b := range l.Coords {
		for i, a := range l.Coords {
			l.Loss[j*n+i] = float32(floor + ca*a*a + cb*b*b)
		}
	}
	return l
}

func TestNewLandscapeScale(t *testing.T) {
	flat, steep := bowl(1e-4, 1, 0.5), bowl(1e-2, 1e4, 10)
	steep.Loss[3] = float32(math.NaN())
	steep.Loss[4] = 0
	sc, err := NewLandscapeScale(flat, nil, steep)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sc.Min-(-4)) > 1e-6 || math.Abs(sc.Max-math.Log10(1e-2+1e4+10)) > 1e-6 {
		t.Errorf("scale %+v, want [-4, log10(10010.01)]", sc)
	}
	if _, err := NewLandscapeScale(nil); !errors.Is(err, ErrNoLandscape) {
		t.Errorf("no landscape: %v", err)
	}
	one, err := NewLandscapeScale(bowl(1, 0, 0))
	if err != nil || one.Max-one.Min != 1 {
		t.Errorf("a constant landscape: %+v, %v; want a one-decade scale around it", one, err)
	}
	if lv := sc.levels(); len(lv) != 9 || lv[0] != -4 || lv[8] != 4 {
		t.Errorf("levels %v, want the decades −4 … 4", lv)
	}
	if lv := (LandscapeScale{Min: 0.1, Max: 1.2}).levels(); len(lv) != 4 || lv[0] != 0.25 {
		t.Errorf("narrow scale levels %v, want quarter decades", lv)
	}
}

// TestWriteLandscapePNG draws two landscapes on their shared scale and
// checks the colours: the flat bowl's centre is the scale's low end, the
// steep one's corner its high end, and the same loss gets the same colour
// in both figures.
func TestWriteLandscapePNG(t *testing.T) {
	flat, steep := bowl(1e-4, 1, 0.5), bowl(1e-2, 1e4, 10)
	sc, err := NewLandscapeScale(flat, steep)
	if err != nil {
		t.Fatal(err)
	}
	cm := landscapeColors(sc)
	at := func(l *trainer.Landscape, a, b float64) (image.Image, image.Point) {
		t.Helper()
		var buf bytes.Buffer
		if err := WriteLandscape(&buf, FormatPNG, l, sc, "title"); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		want := image.Point{X: int(math.Round(float64(landscapeW / vg.Inch * DPI))), Y: int(math.Round(float64(landscapeH / vg.Inch * DPI)))}
		if img.Bounds().Size() != want {
			t.Fatalf("image %v, want %v", img.Bounds().Size(), want)
		}
		c := vgimg.NewWith(vgimg.UseWH(landscapeW, landscapeH), vgimg.UseDPI(DPI))
		layout := drawLandscape(draw.New(c), l, sc, "title")
		return img, pixel(layout(a, b), landscapeH)
	}
	for _, tc := range []struct {
		name string
		l    *trainer.Landscape
		a, b float64
	}{
		// Next to the centre (the centre holds the × marker): a = 0.2.
		{"flat near the centre", flat, 0.2, 0},
		{"steep corner", steep, -1, -1},
		{"flat corner", flat, 1, 1},
	} {
		img, p := at(tc.l, tc.a, tc.b)
		v := tc.l.Loss[int(math.Round((tc.b+1)/0.2))*11+int(math.Round((tc.a+1)/0.2))]
		want, err := cm.At(math.Log10(float64(v)))
		if err != nil {
			t.Fatal(err)
		}
		// Sample a 9 × 9 patch around the grid point (the heat map's cells are
		// 0.2 wide, about 50 pixels): most pixels hold the cell's colour.
		if got := modal(img, p); !near(got, want) {
			t.Errorf("%s (loss %g): colour %v, want %v", tc.name, v, got, want)
		}
	}
}

func TestWriteLandscapeSVGAndErrors(t *testing.T) {
	l := bowl(1e-3, 1, 1)
	sc, _ := NewLandscapeScale(l)
	var buf bytes.Buffer
	if err := WriteLandscape(&buf, FormatSVG, l, sc, "title"); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, buf.Bytes())
	if err := WriteLandscape(&buf, "gif", l, sc, ""); !errors.Is(err, ErrFormat) {
		t.Errorf("gif: %v, want ErrFormat", err)
	}
	if err := WriteLandscape(&buf, FormatPNG, nil, sc, ""); !errors.Is(err, ErrNoLandscape) {
		t.Errorf("nil: %v, want ErrNoLandscape", err)
	}
	bad := bowl(1, 1, 1)
	bad.Loss = bad.Loss[:5]
	if err := WriteLandscape(&buf, FormatPNG, bad, sc, ""); !errors.Is(err, ErrBadTrial) {
		t.Errorf("short loss: %v, want ErrBadTrial", err)
	}
	bad = bowl(1, 1, 1)
	bad.Coords[3] = bad.Coords[2]
	if err := CheckLandscape(bad); !errors.Is(err, ErrBadTrial) {
		t.Errorf("repeated coordinate: %v, want ErrBadTrial", err)
	}
	if err := WriteLandscape(&buf, FormatPNG, l, LandscapeScale{Min: 1, Max: 1}, ""); !errors.Is(err, ErrBadTrial) {
		t.Errorf("empty scale: %v, want ErrBadTrial", err)
	}
}

func TestSweepLandscapes(t *testing.T) {
	var trials []state.TrialRecord
	for i, l := range []*trainer.Landscape{bowl(1e-3, 1, 1), nil, bowl(1e-1, 100, 1)} {
		tr := trial(fmt.Sprint("k", i), fmt.Sprintf(`{"beta":%d,"seed":0}`, i), state.StatusDone, 0.5)
		b, err := json.Marshal(&trainer.Result{Status: trainer.StatusDone, Landscape: l})
		if err != nil {
			t.Fatal(err)
		}
		tr.Result = b
		trials = append(trials, tr)
	}
	trials = append(trials, state.TrialRecord{Key: "broken", Result: []byte(`{"landscape": 3}`)})
	ls, err := SweepLandscapes(trials)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.ByKey) != 2 || ls.ByKey["k0"] == nil || ls.ByKey["k2"] == nil {
		t.Errorf("landscapes of %d trials: %v", len(ls.ByKey), ls.ByKey)
	}
	if math.Abs(ls.Scale.Min+3) > 1e-6 || math.Abs(ls.Scale.Max-math.Log10(101.1)) > 1e-6 {
		t.Errorf("scale %+v", ls.Scale)
	}
	if _, err := SweepLandscapes(trials[1:2]); !errors.Is(err, ErrNoLandscape) {
		t.Errorf("no landscapes: %v, want ErrNoLandscape", err)
	}
}

// TestGoldenSummaryLandscape: with landscapes drawn the summary's trial
// table gains a landscape column and the scale is stated.
func TestGoldenSummaryLandscape(t *testing.T) {
	axes, trials := convectionGrid(t)
	g, err := Aggregate(axes, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	c := &g.Cells[0]
	r := c.Representative("median", g.Metric.Goal)
	stem := "trials/beta=1-strategy=regular-seed=" + r.Seed
	s := &Summary{Sweep: "convection-why", Grid: g, Landscape: &LandscapeScale{Min: -4.2, Max: 3.9},
		Trials: []TrialFigures{{Label: g.Label(c), Replicate: *r, Why: "median of its grid point",
			Solution: []string{stem + "-solution.png"}, Landscape: []string{stem + "-landscape.png", stem + "-landscape.svg"}}},
		Problems: []string{"landscape of trial regular-5-0 (beta=5 strategy=regular seed=0): report: result has no loss landscape"}}
	var md bytes.Buffer
	if err := WriteSummary(&md, s); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "summary-landscape.md.golden", md.Bytes())
}
