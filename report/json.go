package report

import (
	"encoding/json"
	"io"
)

// aggregateJSON is the document WriteAggregateJSON writes.
type aggregateJSON struct {
	Sweep     string  `json:"sweep"`
	Metric    string  `json:"metric"`
	Goal      string  `json:"goal"`
	Threshold float64 `json:"threshold"`
	Axes      []Axis  `json:"axes"`
	Counts    Counts  `json:"counts"`
	Cells     []Cell  `json:"cells"`
}

// WriteAggregateJSON writes g as one indented JSON object: the sweep's
// name, the metric the trials are judged by (its name, goal and
// threshold), the axes, the counts by status and the cells, each with its
// statistics and verdict.
func WriteAggregateJSON(w io.Writer, sweep string, g *Grid) error {
	doc := aggregateJSON{Sweep: sweep, Metric: g.Metric.Name, Goal: g.Metric.Goal.String(),
		Threshold: g.Metric.Threshold, Axes: g.Axes, Counts: g.Counts, Cells: g.Cells}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
