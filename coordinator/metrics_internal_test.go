package coordinator

import (
	"fmt"
	"testing"
	"time"
)

// TestWorkersSeenPrunedWithoutScrape: the per-worker map behind
// pinnsweep_connected_workers forgets workers gone for a TTL as new ones
// call, with no scrape (connected is never called), and never holds more
// than maxWorkersSeen ids however many a flood sends within one TTL.
func TestWorkersSeenPrunedWithoutScrape(t *testing.T) {
	const ttl = 30 * time.Second
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := newWorkersSeen(ttl)
	size := func() int { w.mu.Lock(); defer w.mu.Unlock(); return len(w.seen) }

	// Rounds of 5000 new ids, each round a TTL after the last: the map
	// holds about the live round, not every id ever seen.
	for round := range 10 {
		now := t0.Add(time.Duration(round) * 2 * ttl)
		for i := range 5000 {
			w.saw(fmt.Sprintf("r%d-w%d", round, i), now)
		}
		if n := size(); n > 2*5000+minPruneAt {
			t.Fatalf("round %d: %d workers remembered; want the old rounds forgotten", round, n)
		}
	}
	now := t0.Add(20 * ttl)
	if n := w.connected(now.Add(-2 * ttl)); n != 5000 {
		t.Errorf("connected = %d, want the last round's 5000", n)
	}

	// A flood of new ids within one TTL stops at the cap; a known worker
	// is still recorded, and after a TTL new ones are counted again.
	w = newWorkersSeen(ttl)
	for i := range maxWorkersSeen + 5000 {
		w.saw(fmt.Sprintf("flood-%d", i), t0)
	}
	if n := size(); n != maxWorkersSeen {
		t.Fatalf("%d workers remembered after a flood; want the cap %d", n, maxWorkersSeen)
	}
	w.saw("flood-1", t0.Add(ttl/2))
	w.saw("late", t0.Add(2*ttl))
	if n := w.connected(t0.Add(2 * ttl)); n != 1 {
		t.Errorf("connected a TTL after the flood = %d, want 1 (late)", n)
	}
	w.mu.Lock()
	_, late := w.seen["late"]
	w.mu.Unlock()
	if !late {
		t.Error("a new worker after the flood's TTL was not recorded")
	}
}
