package boltstore

import (
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// bucketStderr holds the standard-error tails of trials' latest completed
// attempts (state.TailPut): stderr/<sweep>/<key> = the tail's bytes. It is
// optional within schema version 2: it is created with the first tail, so
// a file without command trials has none, and a file written before it
// existed opens as it did (see "Standard-error tails" in DESIGN.md).
var bucketStderr = []byte("stderr")

// putTails writes (or, for an empty text, deletes) the tails of a change,
// in key order (see Commit).
func putTails(tx *bolt.Tx, tails []state.TailPut) error {
	if len(tails) == 0 {
		return nil
	}
	tails = slices.Clone(tails)
	slices.SortStableFunc(tails, func(x, y state.TailPut) int {
		return cmp.Or(cmp.Compare(x.Sweep, y.Sweep), cmp.Compare(x.Key, y.Key))
	})
	for _, tp := range tails {
		if tp.Text == "" {
			if b := tailBucket(tx, tp.Sweep); b != nil {
				if err := b.Delete([]byte(tp.Key)); err != nil {
					return fmt.Errorf("stderr tail %s/%s: %w", tp.Sweep, tp.Key, err)
				}
			}
			continue
		}
		top, err := tx.CreateBucketIfNotExists(bucketStderr)
		if err != nil {
			return fmt.Errorf("stderr bucket: %w", err)
		}
		b, err := top.CreateBucketIfNotExists([]byte(tp.Sweep))
		if err != nil {
			return fmt.Errorf("stderr bucket of %q: %w", tp.Sweep, err)
		}
		if err := b.Put([]byte(tp.Key), []byte(tp.Text)); err != nil {
			return fmt.Errorf("stderr tail %s/%s: %w", tp.Sweep, tp.Key, err)
		}
	}
	return nil
}

// tailBucket returns a sweep's bucket of tails, or nil when it has none.
func tailBucket(tx *bolt.Tx, sweep string) *bolt.Bucket {
	top := tx.Bucket(bucketStderr)
	if top == nil {
		return nil
	}
	return top.Bucket([]byte(sweep))
}

// readTail sets t.StderrTail from b, a sweep's bucket of tails (or nil).
func readTail(b *bolt.Bucket, t *state.TrialRecord) {
	if b == nil {
		return
	}
	if v := b.Get([]byte(t.Key)); v != nil {
		t.StderrTail = string(v) // string copies: v lives only in the transaction
	}
}

// checkTails checks the stored tails: each belongs to a stored trial of a
// stored sweep, is at most state.MaxStderrTail bytes and valid UTF-8.
func checkTails(tx *bolt.Tx, sweeps map[string]bool, trials map[string]map[string]*state.TrialRecord, rep *Report) {
	top := tx.Bucket(bucketStderr)
	if top == nil {
		return
	}
	_ = top.ForEach(func(sweep, v []byte) error {
		if v != nil {
			rep.problem("stderr: unexpected key %q outside a sweep's bucket", sweep)
			return nil
		}
		if !sweeps[string(sweep)] {
			rep.problem("stderr: bucket %q belongs to no stored sweep", sweep)
		}
		_ = top.Bucket(sweep).ForEach(func(k, v []byte) error {
			id := string(sweep) + "/" + string(k)
			switch {
			case v == nil:
				rep.problem("stderr tail %s: a nested bucket, not a tail", id)
				return nil
			case trials[string(sweep)][string(k)] == nil:
				rep.problem("stderr tail %s: no such trial", id)
			case len(v) > state.MaxStderrTail:
				rep.problem("stderr tail %s: %d bytes, more than %d", id, len(v), state.MaxStderrTail)
			case !utf8.Valid(v):
				rep.problem("stderr tail %s: not valid UTF-8", id)
			}
			rep.StderrTails++
			return nil
		})
		return nil
	})
}
