package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Load implements state.Store.
func (s *Store) Load(ctx context.Context) (st *state.Snapshot, err error) {
	var trials []state.TrialRecord
	st, err = s.scan(ctx, true, func(t *state.TrialRecord) error {
		trials = append(trials, *t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.Trials = trials
	return st, nil
}

// Scan implements state.Store.
func (s *Store) Scan(ctx context.Context, fn func(*state.TrialRecord) error) (*state.Snapshot, error) {
	return s.scan(ctx, false, fn)
}

// scan reads the sweeps and token counter, and calls fn with every trial
// (with its params and point if inputs is set), skipping those of an
// interrupted submission.
func (s *Store) scan(ctx context.Context, inputs bool, fn func(*state.TrialRecord) error) (st *state.Snapshot, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	st = &state.Snapshot{}
	err = s.db.View(func(tx *bolt.Tx) error {
		if err := checkSchema(tx); err != nil {
			return err
		}
		partial, _ := readPartial(tx)
		st.NextToken, _ = getU64(tx.Bucket(bucketMeta).Get(keyNextToken))
		if err := tx.Bucket(bucketSweeps).ForEach(func(k, v []byte) error {
			var rec state.SweepRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%w: sweep %q: %w", state.ErrCorrupt, k, err)
			}
			st.Sweeps = append(st.Sweeps, rec)
			return nil
		}); err != nil {
			return err
		}
		var t state.TrialRecord
		return tx.Bucket(bucketTrials).ForEachBucket(func(sweep []byte) error {
			name := string(sweep)
			skip, hasSkip := partial[name]
			ib := inputsBucket(tx, name)
			return tx.Bucket(bucketTrials).Bucket(sweep).ForEach(func(k, v []byte) error {
				if err := decodeTrial(name, k, v, &t); err != nil {
					return err
				}
				if hasSkip && t.Index >= skip {
					return nil
				}
				if inputs {
					if err := readInputs(ib, &t); err != nil {
						return err
					}
				} else {
					t.Params, t.Point = nil, nil
				}
				return fn(&t)
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load database: %w", err)
	}
	st.NextToken = max(st.NextToken, 1)
	return st, nil
}

// inputsBucket returns the inputs bucket of a sweep, or nil if it has none
// (a schema 1 file, or a sweep whose records are all JSON).
func inputsBucket(tx *bolt.Tx, sweep string) *bolt.Bucket {
	if b := tx.Bucket(bucketInputs); b != nil {
		return b.Bucket([]byte(sweep))
	}
	return nil
}

// readInputs sets the params and point of a trial decoded from a binary
// record, from the sweep's inputs bucket ib. A JSON record has them.
func readInputs(ib *bolt.Bucket, t *state.TrialRecord) error {
	if t.Params != nil || t.Point != nil {
		return nil
	}
	var v []byte
	if ib != nil {
		v = ib.Get([]byte(t.Key))
	}
	if v == nil {
		return fmt.Errorf("%w: trial %s has no inputs record", state.ErrCorrupt, t.ID())
	}
	params, point, err := decodeInputs(v)
	if err != nil {
		return fmt.Errorf("%w: trial %s: inputs: %w", state.ErrCorrupt, t.ID(), err)
	}
	t.Params, t.Point = bytes.Clone(params), bytes.Clone(point)
	return nil
}

// Trials implements state.Store.
func (s *Store) Trials(ctx context.Context, sweep string) (out []state.TrialRecord, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSweeps).Get([]byte(sweep)) == nil {
			return fmt.Errorf("%w: %q", state.ErrNotFound, sweep)
		}
		tb := tx.Bucket(bucketTrials).Bucket([]byte(sweep))
		if tb == nil {
			return nil
		}
		partial, _ := readPartial(tx)
		skip, hasSkip := partial[sweep]
		ib := inputsBucket(tx, sweep)
		rb := tx.Bucket(bucketResults).Bucket([]byte(sweep))
		sb := tailBucket(tx, sweep)
		return tb.ForEach(func(k, v []byte) error {
			var rec state.TrialRecord
			if err := decodeTrial(sweep, k, v, &rec); err != nil {
				return err
			}
			if hasSkip && rec.Index >= skip {
				return nil
			}
			if err := readInputs(ib, &rec); err != nil {
				return err
			}
			if rb != nil {
				if r := rb.Get(k); r != nil {
					rec.Result = bytes.Clone(r)
				}
			}
			readTail(sb, &rec)
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read trials of %q: %w", sweep, err)
	}
	state.SortTrials(out)
	return out, nil
}

// Trial implements state.Store.
func (s *Store) Trial(ctx context.Context, sweep, key string) (rec state.TrialRecord, err error) {
	if err := ctx.Err(); err != nil {
		return rec, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		var v []byte
		if tb := tx.Bucket(bucketTrials).Bucket([]byte(sweep)); tb != nil {
			v = tb.Get([]byte(key))
		}
		if v == nil {
			return fmt.Errorf("%w: trial %s/%s", state.ErrNotFound, sweep, key)
		}
		if err := decodeTrial(sweep, []byte(key), v, &rec); err != nil {
			return err
		}
		if err := readInputs(inputsBucket(tx, sweep), &rec); err != nil {
			return err
		}
		if rb := tx.Bucket(bucketResults).Bucket([]byte(sweep)); rb != nil {
			if r := rb.Get([]byte(key)); r != nil {
				rec.Result = bytes.Clone(r)
			}
		}
		readTail(tailBucket(tx, sweep), &rec)
		return nil
	})
	if err != nil {
		return state.TrialRecord{}, fmt.Errorf("read trial %s/%s: %w", sweep, key, err)
	}
	return rec, nil
}

// decodeTrial decodes a stored trial record of either encoding into t.
func decodeTrial(sweep string, key, v []byte, t *state.TrialRecord) error {
	if err := decodeStoredTrial(sweep, string(key), v, t); err != nil {
		return fmt.Errorf("%w: trial %s/%s: %w", state.ErrCorrupt, sweep, key, err)
	}
	return nil
}

// recoverCorrupt turns a bbolt panic on a damaged page into state.ErrCorrupt.
func recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", state.ErrCorrupt, r)
	}
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getU64(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// Sweep returns one sweep's record; state.ErrNotFound if there is none.
func (s *Store) Sweep(ctx context.Context, name string) (rec state.SweepRecord, err error) {
	if err := ctx.Err(); err != nil {
		return rec, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSweeps).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: %q", state.ErrNotFound, name)
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("%w: sweep %q: %w", state.ErrCorrupt, name, err)
		}
		return nil
	})
	return rec, err
}

// ReadDatabase reads one sweep and its trials, results included, from the
// database file at path without a running coordinator: it opens the file
// read-only and fails with ErrLocked while a coordinator holds it.
func ReadDatabase(ctx context.Context, path, sweep string) (state.SweepRecord, []state.TrialRecord, error) {
	st, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		return state.SweepRecord{}, nil, err
	}
	defer st.Close()
	rec, err := st.Sweep(ctx, sweep)
	if err != nil {
		return state.SweepRecord{}, nil, err
	}
	trials, err := st.Trials(ctx, sweep)
	if err != nil {
		return state.SweepRecord{}, nil, err
	}
	return rec, trials, nil
}
