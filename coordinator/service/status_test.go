package service_test

import (
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestStatusTableMatchesProto: the status table's wire column is the API's
// TrialStatus enum, name for name, and every value of the enum but
// UNSPECIFIED is a status.
func TestStatusTableMatchesProto(t *testing.T) {
	for _, s := range state.Statuses() {
		name, ok := pb.TrialStatus_name[s.Wire()]
		if want := "TRIAL_STATUS_" + strings.ToUpper(string(s)); !ok || name != want {
			t.Errorf("%s has wire value %d, which is %q; want %s", s, s.Wire(), name, want)
		}
	}
	for v, name := range pb.TrialStatus_name {
		st := service.StatusFromProto(pb.TrialStatus(v))
		if v == 0 {
			if st != "" {
				t.Errorf("%s maps to %q", name, st)
			}
			continue
		}
		if !st.Valid() || service.TrialToProto(&state.TrialRecord{Status: st}).GetStatus() != pb.TrialStatus(v) {
			t.Errorf("%s maps to %q and back to something else", name, st)
		}
	}
}
