package dashboard

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// TrialDetail is one trial as the page shows it: its state, metrics, loss
// history and solution on the snapshot sub-grid.
type TrialDetail struct {
	Sweep    string  `json:"sweep"`
	Key      string  `json:"key"`
	Point    []Coord `json:"point"`
	Status   string  `json:"status"`
	Attempts int     `json:"attempts"`
	Reason   string  `json:"reason,omitempty"`
	Worker   string  `json:"worker,omitempty"`
	// Params is the trial's canonical settings object.
	Params json.RawMessage `json:"params,omitempty"`
	// Metrics is set when the trial has a result.
	Metrics *Metrics `json:"metrics,omitempty"`
	// History is the thinned loss history.
	History []trainer.HistoryPoint `json:"history"`
	// Solution is set when the result has a snapshot and the reference
	// solution could be computed; otherwise SolutionNote says why not.
	Solution     *Solution `json:"solution,omitempty"`
	SolutionNote string    `json:"solution_note,omitempty"`
}

// Metrics are a result's scalar outcomes. Values that are not finite
// (diverged trials) are nil.
type Metrics struct {
	Status        string   `json:"status"`
	StopReason    string   `json:"stop_reason"`
	RelL2         *float64 `json:"rel_l2"`
	AbsErr        *float64 `json:"abs_err"`
	LinfRel       *float64 `json:"linf_rel"`
	Loss          *float64 `json:"loss"`
	LossIC        *float64 `json:"loss_ic"`
	LossBC        *float64 `json:"loss_bc"`
	LossRes       *float64 `json:"loss_res"`
	ResidualGrid  *float64 `json:"residual_grid"`
	ResidualTrain *float64 `json:"residual_train"`
	Evals         int      `json:"evals"`
	Iterations    int      `json:"iterations"`
	Seconds       float64  `json:"seconds"`
	BLAS          string   `json:"blas"`
	Version       string   `json:"version"`
}

// Solution holds the exact and predicted fields and |error| on the
// snapshot sub-grid: Exact[k·len(X) + j] is u at (X[j], T[k]).
type Solution struct {
	X      []float64 `json:"x"`
	T      []float64 `json:"t"`
	Exact  []float32 `json:"exact"`
	Pred   []float32 `json:"pred"`
	AbsErr []float32 `json:"abs_err"`
}

// BuildDetail returns the detail of trial t of sweep, whose grid
// coordinates are axes (the sweep record's, seed included). It computes
// the reference solution of the trial's configuration, which takes up to a
// few hundred milliseconds: the configuration of its stored params (as
// submitted, with a grid bounded by trainer.MaxGridPoints), never the one
// inside the worker's result.
func BuildDetail(sweep string, axes []string, t *state.TrialRecord) (*TrialDetail, error) {
	var pt sweeps.Point
	if err := pt.UnmarshalJSON(t.Point); err != nil {
		return nil, fmt.Errorf("trial %s: %w", t.Key, err)
	}
	d := &TrialDetail{
		Sweep: sweep, Key: t.Key, Status: string(t.Status), Attempts: t.Attempts,
		Reason: t.Reason, Worker: t.Worker, History: []trainer.HistoryPoint{},
	}
	for _, a := range axes {
		c := Coord{Axis: a}
		if v, ok := pt.Get(a); ok {
			c.Value = report.ValueLabel(v)
		}
		d.Point = append(d.Point, c)
	}
	if json.Valid(t.Params) {
		d.Params = json.RawMessage(t.Params)
	}
	if len(t.Result) == 0 {
		d.SolutionNote = "no result yet"
		return d, nil
	}
	var res trainer.Result
	if err := json.Unmarshal(t.Result, &res); err != nil {
		d.SolutionNote = fmt.Sprintf("result cannot be decoded: %v", err)
		return d, nil
	}
	d.Metrics = metricsOf(&res)
	d.History = finiteHistory(res.History)
	d.Solution, d.SolutionNote = solutionOf(string(t.Params), &res)
	return d, nil
}

// finite returns &v, or nil when v is NaN or infinite (JSON has no such
// numbers).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func metricsOf(r *trainer.Result) *Metrics {
	return &Metrics{
		Status: r.Status, StopReason: r.StopReason,
		RelL2: finite(r.RelL2), AbsErr: finite(r.AbsErr), LinfRel: finite(r.LinfRel),
		Loss: finite(r.Loss), LossIC: finite(r.LossIC), LossBC: finite(r.LossBC), LossRes: finite(r.LossRes),
		ResidualGrid: finite(r.ResidualGrid), ResidualTrain: finite(r.ResidualTrain),
		Evals: r.Evals, Iterations: r.Iterations, Seconds: r.Seconds, BLAS: r.BLAS, Version: r.Version,
	}
}

// finiteHistory drops the history points whose loss terms are not finite.
func finiteHistory(h []trainer.HistoryPoint) []trainer.HistoryPoint {
	out := make([]trainer.HistoryPoint, 0, len(h))
	for _, p := range h {
		if finite(p.Loss) != nil && finite(p.LossIC) != nil && finite(p.LossBC) != nil && finite(p.LossRes) != nil {
			out = append(out, p)
		}
	}
	return out
}

// solutionOf samples the exact solution of the trial's configuration (its
// params, as submitted) on r's snapshot sub-grid; without a usable
// snapshot it returns a note saying why.
func solutionOf(params string, r *trainer.Result) (*Solution, string) {
	s := r.Solution
	if s == nil {
		return nil, "the result has no solution snapshot (made by an older trainer)"
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Sprintf("invalid solution snapshot: %v", err)
	}
	cfg, err := trainer.DecodeParams(params)
	if err != nil {
		return nil, fmt.Sprintf("the trial's params: %v", err)
	}
	exact, err := s.ExactAt(cfg)
	if err != nil {
		return nil, fmt.Sprintf("no reference solution: %v", err)
	}
	sol := &Solution{
		X: s.X(), T: s.T(),
		Exact:  make([]float32, len(exact)),
		Pred:   make([]float32, len(exact)),
		AbsErr: make([]float32, len(exact)),
	}
	for i, u := range exact {
		p := float64(s.U[i])
		sol.Exact[i], sol.Pred[i] = float32(u), clamp32(p)
		sol.AbsErr[i] = clamp32(math.Abs(p - u))
	}
	return sol, ""
}

// clamp32 maps NaN to 0 and ±Inf to ±MaxFloat32, so that the fields of a
// diverged trial still encode as JSON.
func clamp32(v float64) float32 {
	switch {
	case math.IsNaN(v):
		return 0
	case v > math.MaxFloat32:
		return math.MaxFloat32
	case v < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return float32(v)
}
