package verdict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Goal says which values of a metric are good.
type Goal int

// Goals.
const (
	// Minimize: smaller is better (an error such as rel_l2); a value above
	// the threshold fails. The zero Goal.
	Minimize Goal = iota
	// Maximize: larger is better (an accuracy); a value below the
	// threshold fails.
	Maximize
)

// String returns "min" or "max".
func (g Goal) String() string {
	if g == Maximize {
		return "max"
	}
	return "min"
}

// ParseGoal parses "min" or "max" (also "minimize", "maximize").
func ParseGoal(s string) (Goal, error) {
	switch s {
	case "min", "minimize", "minimise":
		return Minimize, nil
	case "max", "maximize", "maximise":
		return Maximize, nil
	}
	return Minimize, fmt.Errorf("goal %q: want min or max", s)
}

// Defaults of Metric.
const (
	// DefaultName is the metric a trial is judged by unless its spec names
	// another: the relative L2 error against the reference solution.
	DefaultName = "rel_l2"
	// DefaultThreshold is the failure threshold of DefaultName: a relative
	// L2 error above 10% is a failure (Krishnapriyan et al. 2021).
	DefaultThreshold = 0.1
)

// Metric is what a sweep's trials are judged by: a number in each trial's
// result, read by name, a goal and a failure threshold. The zero value is
// the default: rel_l2, minimised, failing above 0.1.
type Metric struct {
	// Name is the key of the metric in a result object; "" means
	// DefaultName.
	Name string
	// Goal says which side of the threshold passes.
	Goal Goal
	// Threshold separates passing from failing values, which pass when at
	// most it (Minimize) or at least it (Maximize). For DefaultName (and
	// the empty Name) 0 means DefaultThreshold, a relative error being
	// positive; for any other metric 0 is a threshold like any other (a
	// spec naming its own metric must give its failure_threshold).
	Threshold float64
}

// Default returns the default metric: rel_l2, minimised, threshold 0.1.
func Default() Metric { return Metric{Name: DefaultName, Goal: Minimize, Threshold: DefaultThreshold} }

// Resolved returns m with its defaults filled in: the name, and the
// threshold of the default metric.
func (m Metric) Resolved() Metric {
	if m.Name == "" {
		m.Name = DefaultName
	}
	if m.Threshold == 0 && m.Name == DefaultName {
		m.Threshold = DefaultThreshold
	}
	return m
}

// Passes reports whether the value v is on the passing side of the
// threshold (the threshold itself passes).
func (m Metric) Passes(v float64) bool {
	t := m.Resolved().Threshold
	if m.Goal == Maximize {
		return v >= t
	}
	return v <= t
}

// Worst returns the value a failed trial (diverged, timed out) counts as
// in a median: +Inf for Minimize, -Inf for Maximize.
func (m Metric) Worst() float64 {
	if m.Goal == Maximize {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// Value reads the metric from a result's decoded top-level fields
// (Fields): a finite JSON number. It returns false when the result has no
// such field, or it is not a number, or it is not finite.
func (m Metric) Value(fields map[string]json.RawMessage) (float64, bool) {
	v, ok := Number(fields[m.Resolved().Name])
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Result reads the metric from a result JSON object, as Value does; an
// empty or undecodable result has none.
func (m Metric) Result(result []byte) (float64, bool) {
	fields, err := Fields(result)
	if err != nil {
		return 0, false
	}
	return m.Value(fields)
}

// ErrNotObject reports a result that is not a JSON object.
var ErrNotObject = errors.New("result is not a JSON object")

// Fields decodes a result's top-level fields. An empty (or blank) result
// has none (nil, no error); anything but a JSON object is an error
// wrapping ErrNotObject. Decode a result once and read every metric from
// its fields.
func Fields(result []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(result)) == 0 {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(result, &obj); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: it is null", ErrNotObject)
	}
	return obj, nil
}

// Number decodes a metric's JSON value: a JSON number, or one of the
// strings "NaN", "Infinity", "-Infinity" (also "Inf", "+Inf", "-Inf") that
// encoders use for non-finite floats. It returns false for anything else
// (null, missing, other types).
func Number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		switch s {
		case "NaN", "nan":
			return math.NaN(), true
		case "Infinity", "+Infinity", "Inf", "+Inf", "inf":
			return math.Inf(1), true
		case "-Infinity", "-Inf", "-inf":
			return math.Inf(-1), true
		}
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
