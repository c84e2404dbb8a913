package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/coordinator/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		s := state.NewMemoryStore()
		return func() state.Store { return reopenable{s} }
	})
}

func TestBoltStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "sweeps.db")
		return func() state.Store {
			s, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

func TestBoltStoreNoSyncFreelistConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "sweeps.db")
		return func() state.Store {
			s, err := boltstore.Open(path, boltstore.Options{NoSyncFreelist: true})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

// TestBoltStoreFreelistModes writes one file alternately with and without
// bbolt's synced freelist, and reads everything back each time: the
// trials are created in the first round and rewritten (their state) in
// every round.
func TestBoltStoreFreelistModes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	sweep := state.SweepRecord{Name: "s", Axes: []string{"x"}, MaxAttempts: 1}
	for i, sync := range []bool{true, false, true, false} {
		s, err := boltstore.Open(path, boltstore.Options{NoSyncFreelist: !sync})
		if err != nil {
			t.Fatalf("open %d (sync freelist %v): %v", i, sync, err)
		}
		ch := &state.Change{Sweeps: []state.SweepRecord{sweep}, NextToken: uint64(10 + i)}
		var inputs state.InputList
		for k := range 200 { // enough pages to free some
			key := fmt.Sprintf("k%03d", k)
			inputs = append(inputs, state.TrialInputs{Key: key, Params: []byte(fmt.Sprintf(`{"x":%d}`, k)), Point: []byte(`{}`)})
			ch.Trials = append(ch.Trials, state.TrialRecord{Sweep: "s", Key: key, Index: k,
				Status: state.StatusPending, Reason: fmt.Sprintf("round %d of trial %d", i, k)})
		}
		if i == 0 {
			nt := &state.NewTrials{Sweep: "s", Inputs: inputs}
			for _, in := range inputs {
				nt.Keys = append(nt.Keys, in.Key)
			}
			ch.New = []*state.NewTrials{nt}
		}
		if err := s.Commit(ctx, ch); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = boltstore.Open(path, boltstore.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("read-only open after round %d: %v", i, err)
		}
		st, err := s.Load(ctx)
		if err != nil || st.NextToken != uint64(10+i) || len(st.Trials) != 200 || !strings.HasPrefix(st.Trials[0].Reason, fmt.Sprintf("round %d", i)) ||
			!strings.HasPrefix(string(st.Trials[0].Params), `{"x":`) {
			t.Fatalf("round %d: %v, next token %d, %d trials", i, err, st.NextToken, len(st.Trials))
		}
		s.Close()
	}
}

// reopenable lets one memory store be "closed" and "reopened".
type reopenable struct{ state.Store }

func (reopenable) Close() error { return nil }
