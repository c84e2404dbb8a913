package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// bracketHeader is the header of the brackets table.
const bracketHeader = "SWEEP\tAXIS\tWHERE\tSUCCESS\tFAILURE\tWIDTH\tSTATUS"

// writeBrackets prints the failure-boundary brackets of sweeps' refined
// axes (see sweeps.Bracket), one row each: the refined axis, the other
// axes' values, the end that succeeds and the end that fails, and the
// bracket's status. It prints nothing when there are none.
func writeBrackets(w io.Writer, sweep []string, brackets [][]*pb.Bracket) error {
	n := 0
	for _, bs := range brackets {
		n += len(bs)
	}
	if n == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFailure boundaries of the refined axes:")
	fmt.Fprintln(tw, bracketHeader)
	for i, bs := range brackets {
		for _, b := range bs {
			where := "-"
			var others sweeps.Point
			if err := json.Unmarshal([]byte(b.GetOthersJson()), &others); err == nil && len(others) > 0 {
				where = others.String()
			}
			ok, bad := b.GetLower(), b.GetUpper()
			if b.GetLowerVerdict() != "success" {
				ok, bad = bad, ok
			}
			status := b.GetStatus()
			if d := b.GetDepth(); d > 0 {
				status += fmt.Sprintf(" (%d %s)", d, plural(int(d), "bisection", "bisections"))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sweep[i], b.GetAxis(), where,
				formatNumber(ok), formatNumber(bad), strconv.FormatFloat(b.GetUpper()-b.GetLower(), 'g', 6, 64), status)
		}
	}
	return tw.Flush()
}

// bracketJSON is a failure-boundary bracket in JSON output (status
// --json, run --json).
type bracketJSON struct {
	Axis string `json:"axis"`
	// Where holds the other axes' values, in axis order.
	Where json.RawMessage `json:"where"`
	// Success and Failure are the bracket's ends: the axis value that
	// passes and the one that fails.
	Success float64 `json:"success"`
	Failure float64 `json:"failure"`
	Width   float64 `json:"width"`
	Status  string  `json:"status"`
	// Bisections counts the bisections that gave the bracket.
	Bisections int32 `json:"bisections"`
}

// bracketOf converts a bracket for JSON output.
func bracketOf(b *pb.Bracket) bracketJSON {
	ok, bad := b.GetLower(), b.GetUpper()
	if b.GetLowerVerdict() != "success" {
		ok, bad = bad, ok
	}
	where := json.RawMessage(b.GetOthersJson())
	if !json.Valid(where) {
		where = json.RawMessage("{}")
	}
	return bracketJSON{Axis: b.GetAxis(), Where: where, Success: ok, Failure: bad,
		Width: b.GetUpper() - b.GetLower(), Status: b.GetStatus(), Bisections: b.GetDepth()}
}

// formatNumber formats an axis value in the shortest exact form.
func formatNumber(x float64) string {
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// plural returns one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
