package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// maxProblems bounds the problems a Report lists; the count goes on.
const maxProblems = 100

// Report is the outcome of a consistency check (CheckDatabase).
type Report struct {
	// Path is the checked file.
	Path string `json:"path"`
	// Sweeps, Trials and Results count the records found.
	Sweeps  int `json:"sweeps"`
	Trials  int `json:"trials"`
	Results int `json:"results"`
	// StderrTails counts the stored standard-error tails.
	StderrTails int `json:"stderr_tails,omitempty"`
	// ByStatus counts the trials in each status.
	ByStatus map[state.Status]int `json:"by_status"`
	// NextToken is the stored token counter.
	NextToken uint64 `json:"next_token"`
	// SchemaVersion is the file's schema version (1: JSON trial records
	// only; 2: binary records and an inputs bucket, JSON ones possibly
	// left from version 1).
	SchemaVersion uint64 `json:"schema_version"`
	// JSONTrials counts the trial records in the JSON encoding of schema
	// version 1 (the others are binary).
	JSONTrials int `json:"json_trials"`
	// Interrupted counts the trials of an interrupted submission, which
	// the checks skip and the next read-write open discards (see
	// Store.Commit).
	Interrupted int `json:"interrupted,omitempty"`
	// Problems lists the violations found (at most 100; NProblems counts
	// them all). Empty means the database is consistent.
	Problems []string `json:"problems"`
	// NProblems is the number of violations.
	NProblems int `json:"n_problems"`
}

// OK reports whether the check found no violation.
func (r *Report) OK() bool { return r.NProblems == 0 }

func (r *Report) problem(format string, args ...any) {
	r.NProblems++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// CheckDatabase checks the pinnsweep database at path, which no
// coordinator may hold (it opens it read-only: ErrLocked otherwise). It
// runs bbolt's own check (every page reachable or free, none twice, keys
// in order) and the store's invariants:
//
//   - the meta bucket holds pinnsweep's marker, schema version and token
//     counter, and the sweeps, trials and results buckets exist; the top
//     level holds nothing else;
//   - every sweep record decodes, is stored under its own name and allows
//     at least one attempt;
//   - the trials bucket holds one nested bucket per stored sweep and
//     nothing else; every trial record (binary, or JSON as schema version
//     1 wrote it) decodes, is stored under its own sweep and key, and is
//     in exactly one valid status; the Index values of a sweep are
//     0..n-1, each once (the queue order);
//   - inputs: every binary trial record has an inputs record (params, a
//     JSON object, and point, a JSON value) in the inputs bucket, and
//     every inputs record belongs to a stored trial;
//   - leases: a trial is running if and only if its latest lease is
//     active; an active lease has its id ("sweep/key/token"), a worker and
//     an expiry; every token is below the counter and no two trials hold
//     the same token (each lease takes a fresh one); done, diverged and
//     timeout trials ended with a completed lease; attempts count at least
//     the expiries, and a running or done trial made at least one;
//   - results: every result belongs to a stored trial and is a JSON
//     object; every done trial has one, and no pending or running trial
//     has one.
//
// It returns the report and, when the check found violations, an error
// wrapping ErrInconsistent; other errors (the file cannot be opened) come
// without a report's findings.
func CheckDatabase(ctx context.Context, path string) (Report, error) {
	st, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		return Report{Path: path}, err
	}
	defer st.Close()
	return st.Check(ctx)
}

// Check runs CheckDatabase's checks on the store's file in one read
// transaction.
func (s *Store) Check(ctx context.Context) (rep Report, err error) {
	rep = Report{Path: s.Path(), ByStatus: map[state.Status]int{}}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			rep.problem("bbolt: %v", e)
		}
		checkLayout(tx, &rep)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("check database %s: %w", rep.Path, err)
	}
	if !rep.OK() {
		return rep, fmt.Errorf("%w: %s: %d problems, the first: %s", ErrInconsistent, rep.Path, rep.NProblems, rep.Problems[0])
	}
	return rep, nil
}

// checkLayout checks the buckets and records of a pinnsweep database.
func checkLayout(tx *bolt.Tx, rep *Report) {
	if err := checkSchema(tx); err != nil {
		rep.problem("schema: %v", err)
		return
	}
	rep.NextToken, _ = getU64(tx.Bucket(bucketMeta).Get(keyNextToken))
	rep.SchemaVersion, _ = getU64(tx.Bucket(bucketMeta).Get(keySchemaVersion))
	known := map[string]bool{string(bucketMeta): true, string(bucketSweeps): true, string(bucketTrials): true,
		string(bucketResults): true, string(bucketInputs): true, string(bucketStderr): true}
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			rep.problem("unexpected top-level bucket %q", name)
		}
		return nil
	})

	partial, _ := readPartial(tx) // checkSchema decoded it
	sweeps := checkSweeps(tx.Bucket(bucketSweeps), rep)
	for name, base := range partial {
		if base == 0 && !sweeps[name] {
			sweeps[name] = true // the submission that creates it was interrupted
		}
	}
	trials, skipped := checkTrials(tx, sweeps, partial, rep)
	checkResults(tx.Bucket(bucketResults), sweeps, trials, rep)
	checkInputs(tx.Bucket(bucketInputs), trials, skipped, rep)
	checkTails(tx, sweeps, trials, rep)
}

// checkInputs checks that every inputs record belongs to a stored trial
// or to one of the skipped trials of an interrupted submission (the
// trials' own inputs were checked with them).
func checkInputs(b *bolt.Bucket, trials map[string]map[string]*state.TrialRecord, skipped map[string]bool, rep *Report) {
	if b == nil {
		return // schema version 1
	}
	_ = b.ForEach(func(sweep, v []byte) error {
		if v != nil {
			rep.problem("inputs: unexpected key %q outside a sweep's bucket", sweep)
			return nil
		}
		_ = b.Bucket(sweep).ForEach(func(k, v []byte) error {
			id := string(sweep) + "/" + string(k)
			if v == nil {
				rep.problem("inputs %s: a nested bucket, not a record", id)
			} else if trials[string(sweep)][string(k)] == nil && !skipped[id] {
				rep.problem("inputs %s: no such trial", id)
			}
			return nil
		})
		return nil
	})
}

// checkTrialInputs checks a binary trial record's inputs record.
func checkTrialInputs(ib *bolt.Bucket, id string, key []byte, rep *Report) {
	var v []byte
	if ib != nil {
		v = ib.Get(key)
	}
	if v == nil {
		rep.problem("trial %s: no inputs record (params and point)", id)
		return
	}
	params, point, err := decodeInputs(v)
	switch {
	case err != nil:
		rep.problem("trial %s: undecodable inputs record: %v", id, err)
	case len(params) == 0 || params[0] != '{' || !json.Valid(params):
		rep.problem("trial %s: params are not a JSON object", id)
	case !json.Valid(point):
		rep.problem("trial %s: point is not JSON", id)
	}
}

// checkSweeps checks the sweep records and returns their names.
func checkSweeps(b *bolt.Bucket, rep *Report) map[string]bool {
	names := map[string]bool{}
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			rep.problem("sweeps: unexpected nested bucket %q", k)
			return nil
		}
		rep.Sweeps++
		names[string(k)] = true
		var rec state.SweepRecord
		switch err := json.Unmarshal(v, &rec); {
		case err != nil:
			rep.problem("sweep %q: undecodable record: %v", k, err)
		case rec.Name != string(k):
			rep.problem("sweep %q: record names sweep %q", k, rec.Name)
		case rec.MaxAttempts < 1:
			rep.problem("sweep %q: max_attempts %d, want at least 1", k, rec.MaxAttempts)
		}
		return nil
	})
	return names
}

// checkTrials checks the trial records and the leases, and returns the
// trials by sweep and key, and the ids ("sweep/key") of the trials of an
// interrupted submission, which it skips.
func checkTrials(tx *bolt.Tx, sweeps map[string]bool, partial map[string]int, rep *Report) (map[string]map[string]*state.TrialRecord, map[string]bool) {
	b := tx.Bucket(bucketTrials)
	all := map[string]map[string]*state.TrialRecord{}
	skipped := map[string]bool{}
	tokens := map[uint64]string{}
	_ = b.ForEach(func(sweep, v []byte) error {
		if v != nil {
			rep.problem("trials: unexpected key %q outside a sweep's bucket", sweep)
			return nil
		}
		if !sweeps[string(sweep)] {
			rep.problem("trials: bucket %q belongs to no stored sweep", sweep)
		}
		byKey := map[string]*state.TrialRecord{}
		all[string(sweep)] = byKey
		skip, hasSkip := partial[string(sweep)]
		ib := inputsBucket(tx, string(sweep))
		var indexes []int
		_ = b.Bucket(sweep).ForEach(func(k, v []byte) error {
			id := string(sweep) + "/" + string(k)
			if v == nil {
				rep.problem("trial %s: a nested bucket, not a record", id)
				return nil
			}
			var t state.TrialRecord
			var err error
			if isJSONRecord(v) {
				err = json.Unmarshal(v, &t)
			} else {
				t = state.TrialRecord{Sweep: string(sweep), Key: string(k)}
				err = decodeTrialState(v, &t)
			}
			if err == nil && hasSkip && t.Index >= skip {
				rep.Interrupted++
				skipped[id] = true
				return nil
			}
			rep.Trials++
			if err != nil {
				rep.problem("trial %s: undecodable record: %v", id, err)
				return nil
			}
			if isJSONRecord(v) {
				rep.JSONTrials++
			} else {
				checkTrialInputs(ib, id, k, rep)
			}
			byKey[string(k)] = &t
			indexes = append(indexes, t.Index)
			if t.Sweep != string(sweep) || t.Key != string(k) {
				rep.problem("trial %s: record names trial %s", id, t.ID())
			}
			if !t.Status.Valid() {
				rep.problem("trial %s: invalid status %q", id, t.Status)
				return nil
			}
			rep.ByStatus[t.Status]++
			checkTrialLease(id, &t, rep.NextToken, rep)
			if t.Token != 0 {
				if other, dup := tokens[t.Token]; dup {
					rep.problem("trials %s and %s hold the same token %d", other, id, t.Token)
				}
				tokens[t.Token] = id
			}
			return nil
		})
		sort.Ints(indexes)
		for i, idx := range indexes {
			if idx != i {
				rep.problem("sweep %q: trial indexes are not 0..%d, each once (sorted, position %d holds %d)", sweep, len(indexes)-1, i, idx)
				break
			}
		}
		return nil
	})
	return all, skipped
}

// checkTrialLease checks one trial's status against its lease fields.
func checkTrialLease(id string, t *state.TrialRecord, nextToken uint64, rep *Report) {
	active := t.LeaseState == state.LeaseActive
	switch {
	case t.Status == state.StatusRunning && !active:
		rep.problem("trial %s: running with lease state %q", id, t.LeaseState)
	case t.Status != state.StatusRunning && active:
		rep.problem("trial %s: %s with an active lease", id, t.Status)
	}
	switch t.LeaseState {
	case state.LeaseNone, state.LeaseActive, state.LeaseCompleted, state.LeaseReleased, state.LeaseExpired:
	default:
		rep.problem("trial %s: invalid lease state %q", id, t.LeaseState)
	}
	if active {
		if want := state.LeaseID(t.Sweep, t.Key, t.Token); t.LeaseID != want {
			rep.problem("trial %s: active lease id %q, want %q", id, t.LeaseID, want)
		}
		if t.Worker == "" || t.LeaseExpiry.IsZero() {
			rep.problem("trial %s: active lease without a worker or an expiry", id)
		}
	}
	if t.LeaseState != state.LeaseNone && t.Token == 0 {
		rep.problem("trial %s: lease state %q without a token", id, t.LeaseState)
	}
	if t.Token >= nextToken {
		rep.problem("trial %s: token %d, but the next token is %d", id, t.Token, nextToken)
	}
	switch t.Status {
	case state.StatusDone, state.StatusDiverged, state.StatusTimeout:
		if t.LeaseState != state.LeaseCompleted {
			rep.problem("trial %s: %s without a completed lease (lease state %q)", id, t.Status, t.LeaseState)
		}
	}
	if (t.Status == state.StatusRunning || t.Status == state.StatusDone) && t.Attempts < 1 {
		rep.problem("trial %s: %s after %d attempts", id, t.Status, t.Attempts)
	}
	if t.Attempts < 0 || t.Expiries < 0 || t.Expiries > t.Attempts {
		rep.problem("trial %s: %d attempts, %d expiries", id, t.Attempts, t.Expiries)
	}
}

// checkResults checks the results against the trials.
func checkResults(b *bolt.Bucket, sweeps map[string]bool, trials map[string]map[string]*state.TrialRecord, rep *Report) {
	has := map[string]bool{}
	_ = b.ForEach(func(sweep, v []byte) error {
		if v != nil {
			rep.problem("results: unexpected key %q outside a sweep's bucket", sweep)
			return nil
		}
		if !sweeps[string(sweep)] {
			rep.problem("results: bucket %q belongs to no stored sweep", sweep)
		}
		_ = b.Bucket(sweep).ForEach(func(k, v []byte) error {
			id := string(sweep) + "/" + string(k)
			if v == nil {
				rep.problem("result %s: a nested bucket, not a result", id)
				return nil
			}
			rep.Results++
			has[id] = true
			t := trials[string(sweep)][string(k)]
			switch {
			case t == nil:
				rep.problem("result %s: no such trial", id)
			case t.Status == state.StatusPending || t.Status == state.StatusRunning:
				rep.problem("result %s: the trial is %s", id, t.Status)
			}
			if v = bytes.TrimSpace(v); len(v) == 0 || v[0] != '{' || !json.Valid(v) {
				rep.problem("result %s: not a JSON object", id)
			}
			return nil
		})
		return nil
	})
	for sweep, byKey := range trials {
		for key, t := range byKey {
			if t.Status == state.StatusDone && !has[sweep+"/"+key] {
				rep.problem("trial %s/%s: done without a result", sweep, key)
			}
		}
	}
}
