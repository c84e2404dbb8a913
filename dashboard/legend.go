package dashboard

import (
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// legendStops is the number of colours of the legend's colour bar.
const legendStops = 60

// Legend is the diagram's legend, the report's: the colour scale of the
// grid (report.Grid.Scale: log10, or linear for a metric with a median or
// threshold ≤ 0; white at the threshold, red on the failing side) with
// its ticks and the threshold, and the keys of the hatched and dashed
// cells.
type Legend struct {
	// Title names what the colours show ("median rel_l2").
	Title string `json:"title"`
	// Stops are the colour bar's colours, evenly spaced from the bottom
	// (the scale's minimum) to the top.
	Stops []string `json:"stops"`
	// Ticks mark the decades (round values on a linear scale, for a
	// metric that is not always positive); Threshold the threshold.
	Ticks     []Mark `json:"ticks"`
	Threshold Mark   `json:"threshold"`
	// Hatches are the hatch styles by name (HatchOpen, HatchFailed).
	Hatches map[string]Hatch `json:"hatches"`
	// Keys explain the hatches and the dashed outline, in order.
	Keys []Key `json:"keys"`
	// Classes key the failure classes' markers, in the order of
	// verdict.FailureClasses (report.StyleOf).
	Classes []ClassKey `json:"classes"`
}

// ClassKey is a failure class's entry of the legend: its marker, drawn
// in a cell's corner, and what it means.
type ClassKey struct {
	// Class is the class's name (Cell.Class, TrialRef.Class).
	Class string `json:"class"`
	// Label is the class and its short name ("collocation-overfit
	// (ovf)"); Description says what it means.
	Label       string `json:"label"`
	Description string `json:"description"`
	// Color is the class's colour in the report's classes' diagram.
	Color string `json:"color"`
	// Paths are the marker's polylines in the square [-1, 1]², y down
	// (SVG's direction), to be scaled to the marker's radius; Filled
	// closes and fills them, else they are stroked.
	Paths  [][][2]float64 `json:"paths"`
	Filled bool           `json:"filled"`
}

// Mark is a labelled position on the colour bar, from 0 (bottom) to 1
// (top).
type Mark struct {
	Position float64 `json:"position"`
	Label    string  `json:"label"`
}

// Hatch is a hatch style: diagonal lines of Line on Background.
type Hatch struct {
	Background string `json:"background"`
	Line       string `json:"line"`
}

// Key is one entry of the legend's keys: a hatch ("" for the dashed
// outline) and what it means.
type Key struct {
	Hatch  string `json:"hatch,omitempty"`
	Dashed bool   `json:"dashed,omitempty"`
	Label  string `json:"label"`
}

// legendOf returns the legend of a diagram judged by m and drawn on
// scale (report.Grid.Scale).
func legendOf(m verdict.Metric, scale report.Scale) Legend {
	title := "median " + m.Name
	if scale.Linear {
		title += " (linear scale)"
	}
	l := Legend{
		Title:     title,
		Threshold: Mark{Position: scale.ThresholdPosition(), Label: report.ThresholdLabel(m)},
		Hatches: map[string]Hatch{
			HatchOpen:   {Background: hex(report.MissingColor), Line: hex(report.HatchOf(verdict.Pending))},
			HatchFailed: {Background: hex(report.MissingColor), Line: hex(report.HatchOf(verdict.Fail))},
		},
		Keys: []Key{
			{Hatch: HatchOpen, Label: "no value yet, or void"},
			{Hatch: HatchFailed, Label: "all diverged or timed out"},
			{Dashed: true, Label: "replicates still to run"},
		},
	}
	for _, cl := range verdict.FailureClasses() {
		st := report.StyleOf(cl)
		k := ClassKey{Class: cl.String(), Label: cl.String() + " (" + st.Short + ")", Description: cl.Description(),
			Color: hex(st.Color), Filled: st.Marker.Filled}
		for _, path := range st.Marker.Paths {
			flipped := make([][2]float64, len(path))
			for i, p := range path {
				flipped[i] = [2]float64{p[0], -p[1]}
			}
			k.Paths = append(k.Paths, flipped)
		}
		l.Classes = append(l.Classes, k)
	}
	for i := range legendStops {
		l.Stops = append(l.Stops, hex(scale.ColorAt((float64(i)+0.5)/legendStops)))
	}
	for _, t := range scale.Ticks() {
		l.Ticks = append(l.Ticks, Mark{Position: t.Position, Label: t.Label})
	}
	return l
}
