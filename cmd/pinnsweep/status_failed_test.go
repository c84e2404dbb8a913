package main

import (
	"strings"
	"testing"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestWriteFailed: a failed trial's line names its point, status,
// attempts and reason; the last lines of its tail follow, with a
// program's terminal escapes made harmless; beyond the first ones, a
// pointer to the export.
func TestWriteFailed(t *testing.T) {
	tr := failedOf(&pb.Trial{Key: "k1", Status: pb.TrialStatus_TRIAL_STATUS_FAILED, Attempts: 3,
		PointJson: `{"lr":0.1,"seed":0}`, Reason: "exit status 1: ValueError: boom",
		StderrTail: "1\n2\n3\n4\nTraceback\n\x1b[31mValueError: boom\x1b[0m\n"})
	var b strings.Builder
	writeFailed(&b, "s", []failedTrial{tr}, 12)
	want := `
12 failed trials of s:
  k1 lr=0.1 seed=0: failed after 3 attempts: exit status 1: ValueError: boom
      | 2
      | 3
      | 4
      | Traceback
      | ` + "\uFFFD[31mValueError: boom\uFFFD[0m" + `
  ... and 11 more: pinnsweep export s --format json
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
