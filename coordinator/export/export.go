package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Export formats accepted by Write.
const (
	// FormatCSV is one row per trial: key, status, attempts, one column
	// per axis and the seed, the metrics, worker and reason.
	FormatCSV = "csv"
	// FormatJSON is an array with one object per trial (see WriteJSON).
	FormatJSON = "json"
)

// Write writes trials to w in format (FormatCSV or FormatJSON).
// axes names the point columns of the CSV export, normally
// state.SweepRecord.Axes; when empty they are taken from the first trial's point.
// metric classifies each trial (verdict.Metric.FailureClass): normally
// the sweep's.
func Write(w io.Writer, format string, axes []string, trials []state.TrialRecord, metric verdict.Metric) error {
	switch format {
	case FormatCSV:
		return CSV(w, axes, trials, metric)
	case FormatJSON:
		return JSON(w, trials, metric)
	}
	return CheckFormat(format)
}

// exportTrial is the JSON export of one trial.
type exportTrial struct {
	Key      string          `json:"key"`
	Index    int             `json:"index"`
	Status   state.Status    `json:"status"`
	Attempts int             `json:"attempts"`
	Params   json.RawMessage `json:"params"`
	RelL2    json.RawMessage `json:"rel_l2"`
	AbsErr   json.RawMessage `json:"abs_err"`
	LinfRel  json.RawMessage `json:"linf_rel"`
	Seconds  json.RawMessage `json:"seconds"`
	// Class is the trial's failure class, null when it has none.
	Class  *verdict.FailureClass `json:"failure_class"`
	Worker string                `json:"worker"`
	Reason string                `json:"reason"`
	Result json.RawMessage       `json:"result"`
}

var jsonNull = json.RawMessage("null")

// JSON writes trials as a JSON array, one object per trial with the
// fields key, index, status, attempts, params (the trial's point: axis
// values and seed, in axis order), rel_l2, abs_err, linf_rel and seconds
// (numbers from the result, null when absent or not finite),
// failure_class (metric.FailureClass, null when the trial has none),
// worker, reason and result (the full result object, or null).
func JSON(w io.Writer, trials []state.TrialRecord, metric verdict.Metric) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("[\n"); err != nil {
		return err
	}
	for i := range trials {
		t := &trials[i]
		fields, _ := verdict.Fields(t.Result)
		e := exportTrial{
			Key:      t.Key,
			Index:    t.Index,
			Status:   t.Status,
			Attempts: t.Attempts,
			Params:   orNull(t.Point),
			RelL2:    finiteNumber(fields["rel_l2"]),
			AbsErr:   finiteNumber(fields["abs_err"]),
			LinfRel:  finiteNumber(fields["linf_rel"]),
			Seconds:  finiteNumber(fields["seconds"]),
			Worker:   t.Worker,
			Reason:   t.Reason,
			Result:   jsonNull,
		}
		if fields != nil {
			e.Result = compact(t.Result)
		}
		if c := metric.FailureClass(t.Status, fields); c != verdict.Unclassified {
			e.Class = &c
		}
		if string(e.RelL2) == "null" && t.Value != nil {
			e.RelL2 = json.RawMessage(strconv.FormatFloat(*t.Value, 'g', -1, 64))
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return fmt.Errorf("export trial %s: %w", t.ID(), err)
		}
		bw.WriteString("  ")
		bw.Write(b)
		if i < len(trials)-1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return jsonNull
	}
	return raw
}

// finiteNumber returns raw if it is a finite JSON number, else null.
func finiteNumber(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] == '"' {
		return jsonNull
	}
	if _, ok := verdict.Number(raw); !ok {
		return jsonNull
	}
	return raw
}

func compact(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return jsonNull
	}
	return b.Bytes()
}

// CSV writes trials as CSV with a header row: key, status, attempts,
// one column per name in axes (values from the trial's point; strings
// unquoted, other values as JSON), then rel_l2, abs_err, linf_rel,
// residual_grid, residual_train, evals, iterations, seconds (from the
// result; empty when absent), failure_class (metric.FailureClass; empty
// when the trial has none), worker and reason.
func CSV(w io.Writer, axes []string, trials []state.TrialRecord, metric verdict.Metric) error {
	if len(axes) == 0 && len(trials) > 0 {
		axes = pointKeys(trials[0].Point)
	}
	cw := csv.NewWriter(w)
	header := append([]string{"key", "status", "attempts"}, axes...)
	header = append(header, metricNames...)
	header = append(header, verdict.ClassField, "worker", "reason")
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	for i := range trials {
		t := &trials[i]
		row = append(row[:0], t.Key, string(t.Status), strconv.Itoa(t.Attempts))
		point := pointValues(t.Point)
		for _, a := range axes {
			row = append(row, point[a])
		}
		fields, _ := verdict.Fields(t.Result)
		for _, m := range metricNames {
			row = append(row, metricCell(fields[m]))
		}
		row = append(row, string(metric.FailureClass(t.Status, fields)), t.Worker, t.Reason)
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
		var s string
		if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		out[k] = strings.TrimSpace(string(v))
	}
	return out
}

// metricNames are the result fields the CSV export has a column for, in
// column order.
var metricNames = []string{"rel_l2", "abs_err", "linf_rel", "residual_grid",
	"residual_train", "evals", "iterations", "seconds"}

// CheckFormat returns nil for FormatCSV and FormatJSON and an error
// wrapping state.ErrInvalidArgument for anything else.
func CheckFormat(format string) error {
	if format != FormatCSV && format != FormatJSON {
		return fmt.Errorf("%w: unknown export format %q (want csv or json)", state.ErrInvalidArgument, format)
	}
	return nil
}
