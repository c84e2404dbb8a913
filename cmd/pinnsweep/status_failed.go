package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/pinnsweep/pinnsweep/coordinator/export"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// Limits of what `status SWEEP` shows of failed trials: the full list is
// `pinnsweep export SWEEP --format json`.
const (
	// maxFailedShown is how many failed trials are listed.
	maxFailedShown = 10
	// tailLinesShown is how many last lines of a stderr tail are shown.
	tailLinesShown = 5
)

// failedTrial is a failed or timed-out trial as `status SWEEP` shows it.
type failedTrial struct {
	Key      string `json:"key"`
	Point    string `json:"point"`
	Status   string `json:"status"`
	Attempts int32  `json:"attempts"`
	Reason   string `json:"reason"`
	// StderrTail is the last lines of the stderr tail.
	StderrTail string `json:"stderr_tail,omitempty"`
}

// failedTrials returns the failed and timed-out trials of a sweep (at
// most maxFailedShown of them) and their number, asking the coordinator
// for them only when its progress p counts some.
func failedTrials(ctx context.Context, client *coordinatorClient, p *pb.SweepProgress) ([]failedTrial, int, error) {
	n := int(p.GetFailed() + p.GetTimeout())
	if n == 0 {
		return nil, 0, nil
	}
	resp, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: p.GetSweep(), IncludeTrials: true,
		Statuses: []pb.TrialStatus{pb.TrialStatus_TRIAL_STATUS_FAILED, pb.TrialStatus_TRIAL_STATUS_TIMEOUT}})
	if err != nil {
		return nil, 0, err
	}
	var out []failedTrial
	for _, t := range resp.GetTrials() {
		if t.GetStatus() != pb.TrialStatus_TRIAL_STATUS_FAILED && t.GetStatus() != pb.TrialStatus_TRIAL_STATUS_TIMEOUT {
			continue // a coordinator that predates statuses sends every trial
		}
		if len(out) < maxFailedShown {
			out = append(out, failedOf(t))
		}
	}
	return out, n, nil
}

// failedOf converts a trial for failedTrials.
func failedOf(t *pb.Trial) failedTrial {
	point := t.GetPointJson()
	var p sweeps.Point
	if json.Unmarshal([]byte(point), &p) == nil {
		point = p.String()
	}
	st := strings.TrimPrefix(strings.ToLower(t.GetStatus().String()), "trial_status_")
	return failedTrial{Key: t.GetKey(), Point: point, Status: st, Attempts: t.GetAttempts(), Reason: t.GetReason(),
		StderrTail: export.LastLines(t.GetStderrTail(), tailLinesShown)}
}

// writeFailed prints a sweep's failed trials: one line each with its
// reason, and the last lines of its stderr tail indented below.
func writeFailed(w io.Writer, sweep string, failed []failedTrial, n int) {
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d failed %s of %s:\n", n, plural(n, "trial", "trials"), sweep)
	for _, f := range failed {
		fmt.Fprintf(w, "  %s %s: %s after %d %s: %s\n", f.Key, printable(f.Point), f.Status, f.Attempts,
			plural(int(f.Attempts), "attempt", "attempts"), printable(strings.ReplaceAll(f.Reason, "\n", "; ")))
		if f.StderrTail == "" {
			continue
		}
		for line := range strings.SplitSeq(f.StderrTail, "\n") {
			fmt.Fprintf(w, "      | %s\n", printable(line))
		}
	}
	if n > len(failed) {
		fmt.Fprintf(w, "  ... and %d more: pinnsweep export %s --format json\n", n-len(failed), sweep)
	}
}

// printable replaces the control characters of a program's output (a
// terminal's escape sequences among them) but tabs with U+FFFD, so that
// printing it cannot drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\t' && unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}
