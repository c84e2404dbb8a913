package dashboard

import (
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

func TestSweepCacheFresh(t *testing.T) {
	old := state.Progress{Sweep: "s", Total: 4, Pending: 4}
	moved := state.Progress{Sweep: "s", Total: 4, Pending: 3, Done: 1}
	tests := []struct {
		name     string
		age      time.Duration
		took     time.Duration
		progress state.Progress
		fresh    bool
	}{
		{"same progress, young", time.Second, time.Millisecond, old, true},
		{"same progress, older than MaxAge", time.Minute, time.Millisecond, old, false},
		{"progress moved", time.Second, time.Millisecond, moved, false},
		{"progress moved, too soon after a slow fetch", time.Second, 200 * time.Millisecond, moved, true},
		{"progress moved, long enough after a slow fetch", 3 * time.Second, 200 * time.Millisecond, moved, false},
	}
	for _, tt := range tests {
		c := &sweepCache{progress: old, fetched: time.Now().Add(-tt.age), took: tt.took}
		if got := c.fresh(tt.progress, 30*time.Second); got != tt.fresh {
			t.Errorf("%s: fresh = %v, want %v", tt.name, got, tt.fresh)
		}
	}
}
