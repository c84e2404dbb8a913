package boltstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// commitChunk is the most new trials (state.NewTrials) the bbolt store writes in
// one transaction: a larger submission is written in several, see
// Commit. (A variable for tests.)
var commitChunk = 1 << 16

// Commit implements Store: one read-write transaction, fsynced.
//
// A change that adds more than commitChunk trials in New (a large
// submission) is written in several transactions, so that bbolt's dirty
// pages do not hold the whole submission: the first records the
// submission in the meta bucket (partial_submit: each sweep's number of
// trials before it), the next ones write the new trials in key order, and
// the last writes the rest of the change and removes the record. Until
// then readers skip the trials the record names (Load, Scan, Trials,
// Trial, CheckDatabase); a failed commit deletes them again, and so does
// the next read-write open after a crash. So the change is still all or
// nothing for every reader, and durable once Commit returns nil.
//
// A commit that fails in bbolt wraps state.ErrDiskFull or state.ErrStorage
// when the file's committed state is as before, and state.ErrCommitUnknown
// when its outcome is unknown; the store then commits nothing more (see
// update, and DESIGN.md, "Failed commits").
func (s *Store) Commit(ctx context.Context, ch *state.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ch.Empty() {
		return nil
	}
	var runs []newRun
	big := 0
	for _, nt := range ch.New {
		big += len(nt.Keys)
	}
	if big > commitChunk {
		var err error
		if runs, err = s.commitNew(ch); err != nil {
			s.discardPartial(err)
			return fmt.Errorf("commit: %w", err)
		}
	}
	err := s.update(func(tx *bolt.Tx) error {
		if ch.NextToken != 0 {
			if err := tx.Bucket(bucketMeta).Put(keyNextToken, u64(ch.NextToken)); err != nil {
				return err
			}
		}
		sb := tx.Bucket(bucketSweeps)
		for i := range ch.Sweeps {
			v, err := json.Marshal(&ch.Sweeps[i])
			if err != nil {
				return err
			}
			if err := sb.Put([]byte(ch.Sweeps[i].Name), v); err != nil {
				return fmt.Errorf("sweep %q: %w", ch.Sweeps[i].Name, err)
			}
		}
		var puts []trialPut
		if runs == nil {
			for _, nt := range ch.New {
				for i := range nt.Keys {
					t, err := nt.Record(i)
					if err != nil {
						return err
					}
					puts = append(puts, trialPut{t: t, create: true})
				}
			}
		}
		for _, t := range ch.Trials { // after New: a trial in both is created, then updated
			puts = append(puts, trialPut{t: t})
		}
		// Put in key order: bbolt inserts into an unsplit node in memory,
		// so a large transaction of keys in random (hash) order costs
		// quadratic copying, and one in order costs none.
		slices.SortStableFunc(puts, func(x, y trialPut) int {
			return cmp.Or(cmp.Compare(x.t.Sweep, y.t.Sweep), cmp.Compare(x.t.Key, y.t.Key))
		})
		w := trialWriter{tx: tx}
		for i := range puts {
			if err := w.put(&puts[i].t, puts[i].create); err != nil {
				return err
			}
		}
		results := slices.Clone(ch.Results)
		slices.SortStableFunc(results, func(x, y state.ResultPut) int {
			return cmp.Or(cmp.Compare(x.Sweep, y.Sweep), cmp.Compare(x.Key, y.Key))
		})
		for _, r := range results {
			if r.JSON == nil {
				if b := tx.Bucket(bucketResults).Bucket([]byte(r.Sweep)); b != nil {
					if err := b.Delete([]byte(r.Key)); err != nil {
						return err
					}
				}
				continue
			}
			b, err := tx.Bucket(bucketResults).CreateBucketIfNotExists([]byte(r.Sweep))
			if err != nil {
				return fmt.Errorf("results bucket of %q: %w", r.Sweep, err)
			}
			if err := b.Put([]byte(r.Key), r.JSON); err != nil {
				return fmt.Errorf("result %s/%s: %w", r.Sweep, r.Key, err)
			}
		}
		if err := putTails(tx, ch.Tails); err != nil {
			return err
		}
		if runs != nil {
			return tx.Bucket(bucketMeta).Delete(keyPartial)
		}
		return nil
	})
	if err != nil {
		if runs != nil {
			s.discardPartial(err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// discardPartial deletes the trials of a chunked submission that failed
// with err, unless the store's state is unknown (state.ErrCommitUnknown):
// it commits nothing more then, and the next open discards them.
func (s *Store) discardPartial(err error) {
	if errors.Is(err, state.ErrCommitUnknown) {
		return
	}
	if derr := s.update(func(tx *bolt.Tx) error { return discardPartial(tx, s.log) }); derr != nil {
		s.log.Error("discarding an interrupted submission failed; the next open discards it", "error", derr)
	}
}

// newRun is one sweep's run of new trials in a chunked commit.
type newRun struct {
	sweep string
	base  int
}

// commitNew writes the new trials of ch (its New runs) in transactions of
// at most commitChunk trials, after recording the submission in the meta
// bucket (see Commit).
func (s *Store) commitNew(ch *state.Change) ([]newRun, error) {
	partial := map[string]int{}
	var runs []newRun
	for _, nt := range ch.New {
		if b, ok := partial[nt.Sweep]; !ok || nt.Base < b {
			partial[nt.Sweep] = nt.Base
		}
		runs = append(runs, newRun{nt.Sweep, nt.Base})
	}
	marker, err := json.Marshal(partial)
	if err != nil {
		return nil, err
	}
	if err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyPartial, marker)
	}); err != nil {
		return nil, err
	}
	for _, nt := range ch.New {
		// Key order (see Commit): each transaction then fills a run of
		// adjacent pages instead of touching every page of the bucket.
		order := make([]int32, len(nt.Keys))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(nt.Keys[a], nt.Keys[b]) })
		for len(order) > 0 {
			n := min(len(order), commitChunk)
			err := s.update(func(tx *bolt.Tx) error {
				w := trialWriter{tx: tx, fill: 0.95}
				for _, i := range order[:n] {
					t, err := nt.Record(int(i))
					if err != nil {
						return err
					}
					if err := w.put(&t, true); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			order = order[n:]
		}
	}
	return runs, nil
}

// trialPut is a trial record to put: a new trial with its inputs, or an
// existing trial's new state.
type trialPut struct {
	t      state.TrialRecord
	create bool
}

// trialWriter puts trial records in a transaction, with the buckets of
// the current sweep at hand.
type trialWriter struct {
	tx     *bolt.Tx
	fill   float64 // bbolt FillPercent of the buckets written (0: bbolt's default)
	sweep  string
	tb, ib *bolt.Bucket
}

// put writes t's binary state record and, if create is set, its inputs
// record (t's params and point). Without create, t must exist: only its
// state is written (a change never rewrites a trial's inputs), except
// that a JSON record of schema version 1, which holds the inputs, has
// them moved to the inputs bucket when it is replaced.
func (w *trialWriter) put(t *state.TrialRecord, create bool) error {
	if w.tb == nil || w.sweep != t.Sweep {
		tb, err := w.tx.Bucket(bucketTrials).CreateBucketIfNotExists([]byte(t.Sweep))
		if err != nil {
			return fmt.Errorf("trials bucket of %q: %w", t.Sweep, err)
		}
		ib, err := w.tx.Bucket(bucketInputs).CreateBucketIfNotExists([]byte(t.Sweep))
		if err != nil {
			return fmt.Errorf("inputs bucket of %q: %w", t.Sweep, err)
		}
		if w.fill > 0 {
			tb.FillPercent, ib.FillPercent = w.fill, w.fill
		}
		w.sweep, w.tb, w.ib = t.Sweep, tb, ib
	}
	key := []byte(t.Key)
	v, err := appendTrialState(nil, t)
	if err != nil {
		return err
	}
	var inputs []byte
	if create {
		inputs = appendInputs(nil, t.Params, t.Point)
	} else {
		switch old := w.tb.Get(key); {
		case old == nil:
			return fmt.Errorf("%w: trial %s does not exist (new trials come in Change.New)", state.ErrInvalidArgument, t.ID())
		case isJSONRecord(old):
			var o state.TrialRecord
			if err := json.Unmarshal(old, &o); err != nil {
				return fmt.Errorf("%w: trial %s: %w", state.ErrCorrupt, t.ID(), err)
			}
			inputs = appendInputs(nil, o.Params, o.Point)
		}
	}
	if inputs != nil {
		if err := w.ib.Put(key, inputs); err != nil {
			return fmt.Errorf("inputs of trial %s: %w", t.ID(), err)
		}
	}
	if err := w.tb.Put(key, v); err != nil {
		return fmt.Errorf("trial %s: %w", t.ID(), err)
	}
	return nil
}
