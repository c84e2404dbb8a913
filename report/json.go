package report

import (
	"encoding/json"
	"io"
)

// aggregateJSON is the document WriteAggregateJSON writes.
type aggregateJSON struct {
	Sweep     string     `json:"sweep"`
	Threshold float64    `json:"threshold"`
	Axes      []Axis     `json:"axes"`
	Counts    Counts     `json:"counts"`
	Cells     []cellJSON `json:"cells"`
}

type cellJSON struct {
	*Cell
	Verdict Verdict `json:"verdict"`
}

// WriteAggregateJSON writes g as one indented JSON object: the sweep's
// name, the threshold, the axes, the counts by status and the cells, each
// with its verdict against threshold.
func WriteAggregateJSON(w io.Writer, sweep string, threshold float64, g *Grid) error {
	doc := aggregateJSON{Sweep: sweep, Threshold: threshold, Axes: g.Axes, Counts: g.Counts,
		Cells: make([]cellJSON, len(g.Cells))}
	for i := range g.Cells {
		doc.Cells[i] = cellJSON{Cell: &g.Cells[i], Verdict: g.Cells[i].Verdict(threshold)}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
