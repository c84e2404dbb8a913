package coordinator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The coordinator does not import the trainer: it reads the few metrics it
// reports from the result JSON by name.

// metricNames are the result fields the CSV export has a column for, in
// column order.
var metricNames = []string{"rel_l2", "abs_err", "linf_rel", "residual_grid",
	"residual_train", "evals", "iterations", "seconds"}

// checkResult reports whether result is a JSON object (or empty).
func checkResult(result []byte) error {
	if len(bytes.TrimSpace(result)) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(result, &obj); err != nil {
		return fmt.Errorf("%w: result is not a JSON object: %w", ErrInvalidArgument, err)
	}
	if obj == nil {
		return fmt.Errorf("%w: result is null, not a JSON object", ErrInvalidArgument)
	}
	return nil
}

// resultFields decodes a result object's top-level fields; nil when the
// result is empty or not an object.
func resultFields(result []byte) map[string]json.RawMessage {
	if len(result) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(result, &obj) != nil {
		return nil
	}
	return obj
}

// number decodes a metric: a JSON number, or one of the strings "NaN",
// "Infinity", "-Infinity" (also "Inf", "+Inf", "-Inf") that encoders use
// for non-finite floats. It returns false for anything else (null,
// missing, other types).
func number(raw json.RawMessage) (float64, bool) {
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

// relL2Of extracts rel_l2 from a result: nil when it is missing or not
// finite (a diverged run), since JSON records cannot hold NaN.
func relL2Of(result []byte) *float64 {
	if v, ok := number(resultFields(result)["rel_l2"]); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return &v
	}
	return nil
}
