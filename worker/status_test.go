package worker

import (
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// TestStatusesMapThroughTheTable: the trainer's outcomes are statuses of
// the coordinator's table by name, and a worker's statuses go on the wire
// as the table says (anything a worker may not report as FAILED).
func TestStatusesMapThroughTheTable(t *testing.T) {
	for _, name := range []string{trainer.StatusDone, trainer.StatusDiverged, trainer.StatusCancelled} {
		if s, ok := state.ParseStatus(name); !ok || !s.Reported() {
			t.Errorf("the trainer's %q is no status a worker reports (%q, %v)", name, s, ok)
		}
	}
	for _, s := range []Status{StatusDone, StatusDiverged, StatusTimeout, StatusFailed, StatusCancelled} {
		if got := wireStatus(s); got != pb.TrialStatus(s.Wire()) || got == pb.TrialStatus_TRIAL_STATUS_UNSPECIFIED {
			t.Errorf("wireStatus(%s) = %v", s, got)
		}
	}
	for _, s := range []Status{state.StatusPending, state.StatusRunning, "bogus"} {
		if got := wireStatus(s); got != pb.TrialStatus_TRIAL_STATUS_FAILED {
			t.Errorf("wireStatus(%q) = %v, want FAILED", s, got)
		}
	}
}
