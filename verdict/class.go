package verdict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// FailureClass says why one finished trial failed, or that it passed: the
// per-trial diagnosis computed from the trial's status and its own result
// numbers (Metric.FailureClass). Its String form is what results store
// (the ClassField key), exports write and reports print.
type FailureClass string

// Failure classes.
const (
	// Unclassified: the trial has no class. It is pending or running, it
	// failed (a fault) or was cancelled, or it is done without a finite
	// value of the metric (void).
	Unclassified FailureClass = ""
	// Passed: done, and its metric passes the threshold.
	Passed FailureClass = "pass"
	// Optimization: the training loss stayed large. The optimizer did not
	// minimise the loss it was given (loss ≥ LossRatio × loss_initial),
	// and the residual is as large between the training points as on them.
	Optimization FailureClass = "optimization"
	// CollocationOverfit: the residual is small at the training points and
	// not between them: the mean squared PDE residual on the whole grid is
	// at least ResidualRatio times the one on the collocation points (for
	// the supervised control, whose loss has no residual, the squared
	// error on the grid against the data misfit at the points).
	CollocationOverfit FailureClass = "collocation-overfit"
	// ConsistentButWrong: the loss fell, the residual on the grid is as
	// small as on the training points, and the IC/BC terms are small
	// (both are part of the small loss), yet the error is large: a
	// degenerate solution of the equations the loss checks.
	ConsistentButWrong FailureClass = "consistent-but-wrong"
	// Diverged: the trial's status is diverged (a non-finite loss).
	Diverged FailureClass = "diverged"
	// TimedOut: the trial's status is timeout (its wall-time budget ran
	// out).
	TimedOut FailureClass = "timeout"
	// Unexplained: done and failing the threshold, but the result lacks a
	// number the diagnosis needs (a command trial's free-form result, a
	// seq2seq trial without loss_initial, a result from before the field
	// existed).
	Unexplained FailureClass = "unexplained"
)

// Thresholds of the diagnosis, calibrated on docs/repro.md's failing
// cases (rerun into testdata/calibration by docs/why/calibrate.sh) and the
// convection-why sweep (docs/why.md): the failing trials' grid/train
// residual ratios are ≤ 1.3 or ≥ 34, and among those below ResidualRatio
// the loss ratios are ≤ 1.2e-3 or ≥ 5.2e-2, so each threshold sits in a gap
// of the data, at least 3 times from the nearest trial
// (TestFailureClassCalibrationData checks that margin).
const (
	// LossRatio: a failing trial whose final loss is at least this
	// fraction of its loss at the initial parameters is Optimization.
	LossRatio = 1e-2
	// ResidualRatio: a failing trial whose mean squared residual on the
	// grid is at least this many times the one on its training points is
	// CollocationOverfit.
	ResidualRatio = 10.0
)

// ClassField is the key of the failure class in a stored result object.
const ClassField = "failure_class"

// FailureClasses returns every class but Unclassified, in the order
// legends and counts list them.
func FailureClasses() []FailureClass {
	return []FailureClass{Passed, Optimization, CollocationOverfit, ConsistentButWrong, Unexplained, Diverged, TimedOut}
}

// String returns the class's name ("" for Unclassified).
func (c FailureClass) String() string { return string(c) }

// Valid reports whether c is one of FailureClasses.
func (c FailureClass) Valid() bool {
	for _, k := range FailureClasses() {
		if c == k {
			return true
		}
	}
	return false
}

// diagnosis reports whether c is a diagnosis of a done trial that fails
// its metric: Optimization, CollocationOverfit, ConsistentButWrong or
// Unexplained.
func (c FailureClass) diagnosis() bool {
	return c == Optimization || c == CollocationOverfit || c == ConsistentButWrong || c == Unexplained
}

// Description says what the class means, in a few words (legends).
func (c FailureClass) Description() string {
	switch c {
	case Passed:
		return "passes the threshold"
	case Optimization:
		return "training loss stayed large"
	case CollocationOverfit:
		return "fits the training points, not the grid"
	case ConsistentButWrong:
		return "small residual everywhere, wrong solution"
	case Unexplained:
		return "fails; the result cannot say why"
	case Diverged:
		return "diverged"
	case TimedOut:
		return "ran out of time"
	}
	return "no class"
}

// FailureClass returns the failure class of a trial in status s whose
// decoded result (Fields) is fields, judged by m. It is the one rule:
// the engine calls it when it commits a result (and stores the class in
// it, WithClass), and every reader calls it again with its own metric,
// which gives the stored class back, and classifies results stored before
// classes existed. In order, the first that holds:
//
//	status diverged                                   Diverged
//	status timeout                                    TimedOut
//	any status but done, or no finite metric value    Unclassified
//	the metric passes m's threshold                   Passed
//	the result stores a failing class (ClassField)    that class
//	residual_grid ≥ ResidualRatio × residual_train    CollocationOverfit
//	  (supervised: mse_grid ≥ ResidualRatio × loss_res)
//	loss ≥ LossRatio × loss_initial                   Optimization
//	otherwise                                         ConsistentButWrong
//
// where a rule whose numbers the result lacks (absent, not finite, or a
// loss_initial that is not positive) gives Unexplained, since a later
// rule cannot hold unless the earlier ones were decided. The residual
// rule comes first because it separates the data by decades and the loss
// rule does not: PINNs that fit their points and not the PDE end with
// losses of up to 1.2 % of their initial loss (docs/why.md). Pass or fail is
// always m's: a stored class is kept only as the diagnosis of a failing
// trial, so a report judging by another threshold (report --threshold)
// classifies by it. A stored diagnosis is kept because it is the one
// recorded when the trial ended (a command trial may also store its own,
// in these names).
func (m Metric) FailureClass(s state.Status, fields map[string]json.RawMessage) FailureClass {
	switch s {
	case state.StatusDiverged:
		return Diverged
	case state.StatusTimeout:
		return TimedOut
	case state.StatusDone:
	default:
		return Unclassified
	}
	v, ok := m.Value(fields)
	switch {
	case !ok:
		return Unclassified
	case m.Passes(v):
		return Passed
	}
	if c := storedClass(fields); c.diagnosis() {
		return c
	}
	return diagnose(fields)
}

// diagnose classifies a done trial that fails its metric from its
// numbers.
func diagnose(fields map[string]json.RawMessage) FailureClass {
	grid, train := "residual_grid", "residual_train"
	if supervised(fields) {
		// No residual in the loss: the data misfit at the points against
		// the squared error on the grid, in the same units.
		grid, train = "mse_grid", "loss_res"
	}
	g, ok1 := finite(fields, grid)
	t, ok2 := finite(fields, train)
	if !ok1 || !ok2 {
		return Unexplained
	}
	if g >= ResidualRatio*t {
		return CollocationOverfit
	}
	loss, ok1 := finite(fields, "loss")
	initial, ok2 := finite(fields, "loss_initial")
	if !ok1 || !ok2 || !(initial > 0) {
		return Unexplained
	}
	if loss >= LossRatio*initial {
		return Optimization
	}
	return ConsistentButWrong
}

// finite reads a finite number from fields.
func finite(fields map[string]json.RawMessage, name string) (float64, bool) {
	v, ok := Number(fields[name])
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// supervised reports whether the result is the trainer's supervised
// control (config.strategy).
func supervised(fields map[string]json.RawMessage) bool {
	raw, ok := fields["config"]
	if !ok {
		return false
	}
	var cfg struct {
		Strategy string `json:"strategy"`
	}
	return json.Unmarshal(raw, &cfg) == nil && cfg.Strategy == "supervised"
}

// storedClass returns the class stored in a result, or Unclassified when
// it has none or an unknown one.
func storedClass(fields map[string]json.RawMessage) FailureClass {
	raw, ok := fields[ClassField]
	if !ok {
		return Unclassified
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || !FailureClass(s).Valid() {
		return Unclassified
	}
	return FailureClass(s)
}

// WithoutClass returns the result object result (whose decoded fields
// are fields) without a ClassField, with its fields without it: result
// and fields themselves when it has none, else re-encoded without it
// (keys sorted). The coordinator calls it before a completion enters its
// commit loop, so that the one re-encoding a result may need is not done
// while the loop holds the engine: there, WithClass only inserts the class.
func WithoutClass(result []byte, fields map[string]json.RawMessage) ([]byte, map[string]json.RawMessage, error) {
	if _, ok := fields[ClassField]; !ok {
		return result, fields, nil
	}
	rest := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		if k != ClassField {
			rest[k] = v
		}
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return nil, nil, err
	}
	return b, rest, nil
}

// WithClass returns the result object result (whose decoded fields are
// fields) with c stored under ClassField, and no other class: a class the
// result already has (a worker's) is removed first (WithoutClass), and an
// Unclassified c stores none. The bytes are otherwise kept as they are,
// the class inserted first; when result has no ClassField (it came from
// WithoutClass) WithClass does not re-encode it.
func WithClass(result []byte, fields map[string]json.RawMessage, c FailureClass) ([]byte, error) {
	if c != Unclassified && !c.Valid() {
		return nil, fmt.Errorf("failure class %q: want one of %v", c, FailureClasses())
	}
	result, fields, err := WithoutClass(result, fields)
	if err != nil || c == Unclassified {
		return result, err
	}
	head := `{"` + ClassField + `":"` + string(c) + `"`
	if len(fields) == 0 {
		return []byte(head + "}"), nil
	}
	body := bytes.TrimSpace(result)
	if len(body) == 0 || body[0] != '{' {
		return nil, ErrNotObject
	}
	out := make([]byte, 0, len(head)+len(body)+1)
	out = append(out, head...)
	out = append(out, ',')
	return append(out, body[1:]...), nil
}
