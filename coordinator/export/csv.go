package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// CSV writes trials as CSV with a header row: key, status, attempts; one
// column per axis (sheet.Axes; values from the trial's point, strings
// unquoted, other values as JSON); one column per numeric top-level
// result field of any trial — the sweep's metric first, then rel_l2,
// abs_err, linf_rel, residual_grid, residual_train, evals, iterations and
// seconds where present, then the others by name, at most
// MaxResultColumns; one column per param of any trial that is not an
// axis (fixed settings, a bundle's settings), by name, at most
// MaxParamColumns; then failure_class (sheet.Metric.FailureClass, empty
// when the trial has none), worker, reason and stderr_tail (its last
// TailLines lines, at most 4 KiB). A result or param column whose name an
// earlier column has is headed "result.NAME" or "param.NAME". Result
// cells hold the number's own text, a non-finite marker as given ("NaN",
// "Infinity"), or nothing.
func CSV(w io.Writer, sheet Sheet, trials []state.TrialRecord) error {
	axes := sheet.Axes
	if len(axes) == 0 && len(trials) > 0 {
		axes = pointKeys(trials[0].Point)
	}
	dec := decodeTrials(trials)
	l := layOut(axes, sheet.metric(), dec)
	cw := csv.NewWriter(w)
	header := append([]string{"key", "status", "attempts"}, axes...)
	for _, c := range l.results {
		header = append(header, c.header)
	}
	for _, c := range l.params {
		header = append(header, c.header)
	}
	header = append(header, verdict.ClassField, "worker", "reason", "stderr_tail")
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	for i := range trials {
		t, d := &trials[i], &dec[i]
		row = append(row[:0], t.Key, string(t.Status), strconv.Itoa(t.Attempts))
		point := pointValues(t.Point)
		for _, a := range axes {
			row = append(row, point[a])
		}
		for _, c := range l.results {
			row = append(row, metricCell(d.fields[c.field]))
		}
		for _, c := range l.params {
			if v, ok := d.params[c.field]; ok {
				row = append(row, cellValue(v))
			} else {
				row = append(row, "")
			}
		}
		row = append(row, string(sheet.Metric.FailureClass(t.Status, d.fields)), t.Worker, t.Reason, LastLines(t.StderrTail, TailLines))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// metricCell formats a result metric for CSV: the number's own text, a
// non-finite marker string as given ("NaN", "Infinity"), or "".
func metricCell(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if _, ok := verdict.Number(raw); !ok {
		return ""
	}
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	return string(raw)
}

// pointKeys returns a point object's keys in their order.
func pointKeys(point json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(point))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, fmt.Sprint(tok))
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

// pointValues returns a point's values formatted for CSV.
func pointValues(point json.RawMessage) map[string]string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(point, &obj) != nil {
		return nil
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		out[k] = cellValue(v)
	}
	return out
}
