package coordinator_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		s := coordinator.NewMemoryStore()
		return func() coordinator.Store { return reopenable{s} }
	})
}

func TestBoltStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "sweeps.db")
		return func() coordinator.Store {
			s, err := coordinator.OpenBoltStore(path, coordinator.BoltOptions{})
			if err != nil {
				t.Fatalf("OpenBoltStore: %v", err)
			}
			return s
		}
	})
}

func TestBoltStoreNoSyncFreelistConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "sweeps.db")
		return func() coordinator.Store {
			s, err := coordinator.OpenBoltStore(path, coordinator.BoltOptions{NoSyncFreelist: true})
			if err != nil {
				t.Fatalf("OpenBoltStore: %v", err)
			}
			return s
		}
	})
}

// TestBoltStoreFreelistModes writes one file alternately with and without
// bbolt's synced freelist, and reads everything back each time.
func TestBoltStoreFreelistModes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	sweep := coordinator.SweepRecord{Name: "s", Axes: []string{"x"}, MaxAttempts: 1}
	for i, sync := range []bool{true, false, true, false} {
		s, err := coordinator.OpenBoltStore(path, coordinator.BoltOptions{NoSyncFreelist: !sync})
		if err != nil {
			t.Fatalf("open %d (sync freelist %v): %v", i, sync, err)
		}
		ch := &coordinator.Change{Sweeps: []coordinator.SweepRecord{sweep}, NextToken: uint64(10 + i)}
		for k := range 200 { // enough pages to free some
			ch.Trials = append(ch.Trials, coordinator.TrialRecord{Sweep: "s", Key: fmt.Sprintf("k%03d", k), Index: k,
				Status: coordinator.StatusPending, Params: []byte(fmt.Sprintf(`{"x":%d,"round":%d}`, k, i)), Point: []byte(`{}`)})
		}
		if err := s.Commit(ctx, ch); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = coordinator.OpenBoltStore(path, coordinator.BoltOptions{ReadOnly: true})
		if err != nil {
			t.Fatalf("read-only open after round %d: %v", i, err)
		}
		st, err := s.Load(ctx)
		if err != nil || st.NextToken != uint64(10+i) || len(st.Trials) != 200 || !strings.Contains(string(st.Trials[0].Params), fmt.Sprintf(`"round":%d`, i)) {
			t.Fatalf("round %d: %v, next token %d, %d trials", i, err, st.NextToken, len(st.Trials))
		}
		s.Close()
	}
}

// reopenable lets one memory store be "closed" and "reopened".
type reopenable struct{ coordinator.Store }

func (reopenable) Close() error { return nil }
