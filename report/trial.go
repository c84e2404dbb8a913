package report

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pinnsweep/pinnsweep/trainer"
)

// DecodeResult decodes a trial's result JSON (a trainer.Result).
func DecodeResult(raw json.RawMessage) (*trainer.Result, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: no result", ErrBadTrial)
	}
	var res trainer.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("%w: result: %v", ErrBadTrial, err)
	}
	return &res, nil
}

// Fields are a trial's exact and predicted solutions and their absolute
// difference on the result's snapshot sub-grid: value k·len(X) + j is at
// x = X[j], t = T[k].
type Fields struct {
	X, T                []float64
	Exact, Pred, AbsErr []float64
}

// SolutionFields computes the exact solution of the trial's configuration
// at the snapshot points of its result res, and the error of the
// prediction. The configuration is the trial's params as submitted
// (trainer.DecodeParams), never the one a worker put into its result: its
// grid is bounded (trainer.MaxGridPoints), and the snapshot must lie on it
// (trainer.Snapshot.ExactAt).
func SolutionFields(params json.RawMessage, res *trainer.Result) (*Fields, error) {
	s := res.Solution
	if s == nil {
		return nil, ErrNoSolution
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTrial, err)
	}
	cfg, err := trainer.DecodeParams(string(params))
	if err != nil {
		return nil, fmt.Errorf("%w: params: %v", ErrBadTrial, err)
	}
	exact, err := s.ExactAt(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTrial, err)
	}
	f := &Fields{X: s.X(), T: s.T(), Exact: exact, Pred: make([]float64, len(s.U)), AbsErr: make([]float64, len(s.U))}
	for i, u := range s.U {
		f.Pred[i] = float64(u)
		f.AbsErr[i] = math.Abs(f.Pred[i] - exact[i])
	}
	return f, nil
}

// fieldGrid shows a field with t horizontal and x vertical, as in the
// paper's figures.
type fieldGrid struct {
	f *Fields
	z []float64
}

func (g fieldGrid) Dims() (c, r int)       { return len(g.f.T), len(g.f.X) }
func (g fieldGrid) Z(c, r int) float64     { return g.z[c*len(g.f.X)+r] }
func (g fieldGrid) X(c int) float64        { return g.f.T[c] }
func (g fieldGrid) Y(r int) float64        { return g.f.X[r] }
func (g fieldGrid) span() (lo, hi float64) { return span(g.z) }

func span(zs ...[]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, z := range zs {
		for _, v := range z {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if lo > hi {
		return 0, 1
	}
	if lo == hi {
		return lo - 0.5, hi + 0.5
	}
	return lo, hi
}

// Solution-figure layout.
const (
	panelW = 4.2 * vg.Inch
	panelH = 3.4 * vg.Inch
	titleH = 0.5 * vg.Inch
)

// WriteSolution draws the paper-style figure of one trial in format to w:
// three heatmaps over (t, x) — the exact solution, the prediction (on the
// same colour scale) and the absolute error — under title.
func WriteSolution(w io.Writer, format string, f *Fields, title string) error {
	width, height := 3*panelW, panelH+titleH
	return write(w, format, width, height, func(c draw.Canvas) {
		c.FillText(textStyle(12, color.Black), vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - titleH/2}, title)
		lo, hi := span(f.Exact, f.Pred)
		_, errHi := span(f.AbsErr)
		panels := []struct {
			name   string
			z      []float64
			lo, hi float64
			cmap   palette.ColorMap
		}{
			{"exact u(x, t)", f.Exact, lo, hi, moreland.SmoothBlueRed()},
			{"predicted u(x, t)", f.Pred, lo, hi, moreland.SmoothBlueRed()},
			{"|error|", f.AbsErr, 0, max(errHi, 1e-12), moreland.BlackBody()},
		}
		for k, pn := range panels {
			pc := draw.Crop(c, vg.Length(k)*panelW, -(vg.Length(2-k) * panelW), 0, -titleH)
			pn.cmap.SetMin(pn.lo)
			pn.cmap.SetMax(pn.hi)
			drawField(pc, pn.name, fieldGrid{f: f, z: pn.z}, pn.cmap)
		}
	})
}

// drawField draws one heatmap with its colour bar into c.
func drawField(c draw.Canvas, name string, g fieldGrid, cmap palette.ColorMap) {
	p := plot.New()
	p.Title.Text = name
	p.X.Label.Text = "t"
	p.Y.Label.Text = "x"
	h := plotter.NewHeatMap(g, cmap.Palette(255))
	h.Min, h.Max = cmap.Min(), cmap.Max()
	h.Rasterized = true
	h.NaN = MissingColor
	h.Underflow, h.Overflow = MissingColor, MissingColor
	p.Add(h)
	p.Draw(drawColorBar(c, newColorBar("", cmap, 255), 0.1*vg.Inch, 0.35*vg.Inch))
}

// WriteLoss draws a trial's loss history in format to w: the total loss
// and each term (IC, BC, residual) against the optimizer iteration, on a
// log scale. Non-positive values are left out. It fails with ErrNoHistory
// when nothing is left to draw.
func WriteLoss(w io.Writer, format string, hist []trainer.HistoryPoint, title string) error {
	p, err := lossPlot(hist, title)
	if err != nil {
		return err
	}
	return write(w, format, 7*vg.Inch, 4.5*vg.Inch, p.Draw)
}

// CheckLoss returns the error WriteLoss would fail with, without drawing.
func CheckLoss(hist []trainer.HistoryPoint) error {
	_, err := lossPlot(hist, "")
	return err
}

func lossPlot(hist []trainer.HistoryPoint, title string) (*plot.Plot, error) {
	series := []struct {
		name string
		get  func(trainer.HistoryPoint) float64
	}{
		{"total", func(h trainer.HistoryPoint) float64 { return h.Loss }},
		{"initial condition", func(h trainer.HistoryPoint) float64 { return h.LossIC }},
		{"boundary", func(h trainer.HistoryPoint) float64 { return h.LossBC }},
		{"residual", func(h trainer.HistoryPoint) float64 { return h.LossRes }},
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "loss"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	drawn := 0
	for k, s := range series {
		var xys plotter.XYs
		for _, h := range hist {
			v := s.get(h)
			if v > 0 && !math.IsInf(v, 0) {
				xys = append(xys, plotter.XY{X: float64(h.Iter), Y: v})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("loss curve %s: %w", s.name, err)
		}
		l.Color = plotutil.Color(k)
		l.Width = 1.5
		if k == 0 {
			l.Width = 2.5
		}
		p.Add(l)
		p.Legend.Add(s.name, l)
		drawn++
	}
	if drawn == 0 {
		return nil, ErrNoHistory
	}
	return p, nil
}
