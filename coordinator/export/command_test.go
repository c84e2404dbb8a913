package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// commandTrials are three trials of a command sweep over lr × opt judged
// by accuracy: free-form params (a fixed epochs, and a param named like a
// fixed column), results with numeric fields of their own (one named
// like an axis), and a failed trial with a stderr tail of 15 lines.
func commandTrials() []state.TrialRecord {
	var tail strings.Builder
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&tail, "line %d\n", i)
	}
	return []state.TrialRecord{
		{Key: "a", Index: 0, Status: state.StatusDone, Attempts: 1, Worker: "w",
			Point:  json.RawMessage(`{"lr":0.1,"opt":"adam","seed":0}`),
			Params: json.RawMessage(`{"epochs":5,"lr":0.1,"opt":"adam","seed":0,"status":"x"}`),
			Result: json.RawMessage(`{"accuracy":0.93,"loss":0.07,"name":"net","nested":{"a":1},"seconds":2.5,"zeta":1}`)},
		{Key: "b", Index: 1, Status: state.StatusDiverged, Attempts: 1, Worker: "w",
			Point:  json.RawMessage(`{"lr":10,"opt":"sgd","seed":0}`),
			Params: json.RawMessage(`{"epochs":5,"lr":10,"opt":"sgd","seed":0,"status":"x"}`),
			Result: json.RawMessage(`{"accuracy":"NaN","loss":"Infinity","lr":10}`)},
		{Key: "c", Index: 2, Status: state.StatusFailed, Attempts: 2, Worker: "w", Reason: "exit status 1",
			Point:      json.RawMessage(`{"lr":1,"opt":"sgd","seed":0}`),
			Params:     json.RawMessage(`{"epochs":5,"lr":1,"opt":"sgd","seed":0,"status":"x"}`),
			StderrTail: tail.String()},
	}
}

// TestExportCommandCSV: the metric's column first, every numeric result
// field, the free-form params, prefixes for clashing names, and the last
// lines of the stderr tail.
func TestExportCommandCSV(t *testing.T) {
	var buf bytes.Buffer
	sheet := export.Sheet{Axes: []string{"lr", "opt", "seed"}, Metric: verdict.Metric{Name: "accuracy", Goal: verdict.Maximize}}
	if err := export.Write(&buf, export.FormatCSV, sheet, commandTrials()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"key", "status", "attempts", "lr", "opt", "seed", "accuracy", "seconds", "loss", "result.lr", "zeta", "epochs", "param.status", "failure_class", "worker", "reason", "stderr_tail"},
		{"a", "done", "1", "0.1", "adam", "0", "0.93", "2.5", "0.07", "", "1", "5", "x", "pass", "w", "", ""},
		{"b", "diverged", "1", "10", "sgd", "0", "NaN", "", "Infinity", "10", "", "5", "x", "diverged", "w", "", ""},
		{"c", "failed", "2", "1", "sgd", "0", "", "", "", "", "", "5", "x", "", "w", "exit status 1",
			"line 6\nline 7\nline 8\nline 9\nline 10\nline 11\nline 12\nline 13\nline 14\nline 15"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d\n got  %q\n want %q", i, rows[i], want[i])
		}
	}
}

// TestExportCommandJSON: the whole params, the metric's name and value,
// the numeric fields, the whole tail.
func TestExportCommandJSON(t *testing.T) {
	var buf bytes.Buffer
	trials := commandTrials()
	sheet := export.Sheet{Axes: []string{"lr", "opt", "seed"}, Metric: verdict.Metric{Name: "accuracy", Goal: verdict.Maximize}}
	if err := export.Write(&buf, export.FormatJSON, sheet, trials); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Params     map[string]any  `json:"params"`
		Settings   map[string]any  `json:"settings"`
		Metric     string          `json:"metric"`
		Value      *float64        `json:"value"`
		Metrics    map[string]any  `json:"metrics"`
		StderrTail string          `json:"stderr_tail"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	a, b, c := got[0], got[1], got[2]
	if a.Metric != "accuracy" || a.Value == nil || *a.Value != 0.93 || a.Settings["epochs"] != 5.0 || a.Settings["status"] != "x" ||
		len(a.Params) != 3 || a.Metrics["loss"] != 0.07 || a.Metrics["zeta"] != 1.0 || len(a.Metrics) != 4 {
		t.Errorf("done trial: %+v", a)
	}
	if b.Value != nil || b.Metrics["accuracy"] != nil || b.Metrics["lr"] != 10.0 {
		t.Errorf("diverged trial: value %v, metrics %v", b.Value, b.Metrics)
	}
	if c.StderrTail != trials[2].StderrTail || string(c.Result) != "null" || len(c.Metrics) != 0 {
		t.Errorf("failed trial: %+v", c)
	}
}

// TestExportColumnLimit: a result with more numeric fields than
// MaxResultColumns gets that many columns, its metric's first.
func TestExportColumnLimit(t *testing.T) {
	var res strings.Builder
	res.WriteString(`{"score":1`)
	for i := range 200 {
		fmt.Fprintf(&res, `,"f%03d":%d`, i, i)
	}
	res.WriteString("}")
	trials := []state.TrialRecord{{Key: "a", Status: state.StatusDone, Point: json.RawMessage(`{"seed":0}`),
		Params: json.RawMessage(`{"seed":0}`), Result: json.RawMessage(res.String())}}
	var buf bytes.Buffer
	if err := export.Write(&buf, export.FormatCSV, export.Sheet{Axes: []string{"seed"}, Metric: verdict.Metric{Name: "score"}}, trials); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	if n := len(head) - 4 - 4; n != export.MaxResultColumns || head[4] != "score" || head[5] != "f000" {
		t.Errorf("%d result columns from %q; want %d, score first", n, head[4:6], export.MaxResultColumns)
	}
}

func TestLastLines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 5, "a\nb\nc"},
		{"", 3, ""},
		{"x", 0, ""},
		{strings.Repeat("é", 3000), 1, strings.Repeat("é", 2048)},
	} {
		if got := export.LastLines(tt.in, tt.n); got != tt.want {
			t.Errorf("LastLines(%.20q, %d) = %.20q (%d bytes), want %.20q", tt.in, tt.n, got, len(got), tt.want)
		}
	}
}
