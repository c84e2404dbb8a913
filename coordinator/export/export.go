package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Export formats accepted by Write.
const (
	// FormatCSV is one row per trial (see CSV).
	FormatCSV = "csv"
	// FormatJSON is an array with one object per trial (see JSON).
	FormatJSON = "json"
)

// Sheet is what an export needs to know of a sweep beyond its trials.
type Sheet struct {
	// Axes names the point columns, normally state.SweepRecord.Axes;
	// when empty they are taken from the first trial's point.
	Axes []string
	// Metric is the sweep's metric: its name is the result field the
	// sweep is judged by ("" means rel_l2), and it classifies each trial
	// (verdict.Metric.FailureClass).
	Metric verdict.Metric
}

// metric returns the sheet's metric name, the default filled in.
func (s Sheet) metric() string { return s.Metric.Resolved().Name }

// Write writes trials to w in format (FormatCSV or FormatJSON).
func Write(w io.Writer, format string, sheet Sheet, trials []state.TrialRecord) error {
	switch format {
	case FormatCSV:
		return CSV(w, sheet, trials)
	case FormatJSON:
		return JSON(w, sheet, trials)
	}
	return CheckFormat(format)
}

// exportTrial is the JSON export of one trial.
type exportTrial struct {
	Key      string                     `json:"key"`
	Index    int                        `json:"index"`
	Status   state.Status               `json:"status"`
	Attempts int                        `json:"attempts"`
	Params   json.RawMessage            `json:"params"`
	Settings json.RawMessage            `json:"settings"`
	Metric   string                     `json:"metric"`
	Value    json.RawMessage            `json:"value"`
	Metrics  map[string]json.RawMessage `json:"metrics"`
	RelL2    json.RawMessage            `json:"rel_l2"`
	AbsErr   json.RawMessage            `json:"abs_err"`
	LinfRel  json.RawMessage            `json:"linf_rel"`
	Seconds  json.RawMessage            `json:"seconds"`
	// Class is the trial's failure class, null when it has none.
	Class      *verdict.FailureClass `json:"failure_class"`
	Worker     string                `json:"worker"`
	Reason     string                `json:"reason"`
	StderrTail string                `json:"stderr_tail"`
	Result     json.RawMessage       `json:"result"`
}

var jsonNull = json.RawMessage("null")

// JSON writes trials as a JSON array, one object per trial with the
// fields key, index, status, attempts; params (the trial's point: axis
// values and seed, in axis order) and settings (the whole params object
// the trial ran with: fixed settings, axis values and seed, as a command
// trial gets it in $PINNSWEEP_PARAMS); metric (the sweep's metric's name)
// and value (its value in the result); metrics (the result's numeric
// top-level fields that the CSV export has columns for); rel_l2, abs_err,
// linf_rel and seconds (as before metrics, for readers of built-in
// sweeps); failure_class (sheet.Metric.FailureClass, null when the trial
// has none); worker, reason, stderr_tail (the latest completed attempt's,
// whole) and result (the full result object, or null). Numbers that are
// absent or not finite are null.
func JSON(w io.Writer, sheet Sheet, trials []state.TrialRecord) error {
	dec := decodeTrials(trials)
	l := layOut(sheet.Axes, sheet.metric(), dec)
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("[\n"); err != nil {
		return err
	}
	for i := range trials {
		t, fields := &trials[i], dec[i].fields
		e := exportTrial{
			Key:        t.Key,
			Index:      t.Index,
			Status:     t.Status,
			Attempts:   t.Attempts,
			Params:     orNull(t.Point),
			Settings:   orNull(compact(t.Params)),
			Metric:     sheet.metric(),
			Value:      finiteNumber(fields[sheet.metric()]),
			Metrics:    map[string]json.RawMessage{},
			RelL2:      finiteNumber(fields["rel_l2"]),
			AbsErr:     finiteNumber(fields["abs_err"]),
			LinfRel:    finiteNumber(fields["linf_rel"]),
			Seconds:    finiteNumber(fields["seconds"]),
			Worker:     t.Worker,
			Reason:     t.Reason,
			StderrTail: t.StderrTail,
			Result:     jsonNull,
		}
		for _, c := range l.results {
			if v, ok := fields[c.field]; ok {
				e.Metrics[c.field] = finiteNumber(v)
			}
		}
		if fields != nil {
			e.Result = compact(t.Result)
		}
		if c := sheet.Metric.FailureClass(t.Status, fields); c != verdict.Unclassified {
			e.Class = &c
		}
		if t.Value != nil { // a record of schema version 1 may hold the value alone
			v := json.RawMessage(strconv.FormatFloat(*t.Value, 'g', -1, 64))
			if string(e.Value) == "null" {
				e.Value = v
			}
			if string(e.RelL2) == "null" && sheet.metric() == verdict.DefaultName {
				e.RelL2 = v
			}
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

// compact returns raw compacted, null if it is not JSON, and nil for
// nothing.
func compact(raw []byte) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return jsonNull
	}
	return b.Bytes()
}

// CheckFormat returns nil for FormatCSV and FormatJSON and an error
// wrapping state.ErrInvalidArgument for anything else.
func CheckFormat(format string) error {
	if format != FormatCSV && format != FormatJSON {
		return fmt.Errorf("%w: unknown export format %q (want csv or json)", state.ErrInvalidArgument, format)
	}
	return nil
}
