package worker

import (
	"context"
	"strings"
	"testing"
)

// TestTrainerRunnerResourceLimits: a trial whose grid or estimated memory
// is over the trainer's limits fails at once with the reason, before
// anything is allocated (workers leasing such a trial were killed for
// memory on every retry).
func TestTrainerRunnerResourceLimits(t *testing.T) {
	for params, want := range map[string]string{
		`{"nx": 65536, "nt": 2048}`:            "65536 × 2048 = 134217728 grid points: the limit is 4194304",
		`{"layers": [4096, 4096, 4096, 4096]}`: "the trial needs an estimated",
	} {
		out, err := TrainerRunner{}.Run(context.Background(), params, func(int64, float64) {})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != StatusFailed || !strings.Contains(out.Reason, want) {
			t.Errorf("%s: %s %q; want failed with a reason containing %q", params, out.Status, out.Reason, want)
		}
	}
}
