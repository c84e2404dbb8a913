package state

import (
	"encoding/json"
	"fmt"
	"time"
)

// Change is one atomic state change: sweeps to put, trials to create,
// trial states to put, results and standard-error tails to put or delete,
// and the token counter.
// It is plain data: a store applies it without calling back into the
// scheduler or the sweeps package, except through New's InputSource (an
// interface, implemented by sweeps.Grid and InputList).
type Change struct {
	// Sweeps are sweep records to put, keyed by Name.
	Sweeps []SweepRecord
	// New are new pending trials, each run with its inputs; a store
	// writes them before Trials, so that Trials may update a trial that
	// New creates (a merged change whose later part leases a trial its
	// earlier part added).
	New []*NewTrials
	// Trials are the new states of existing trials (stored, or created by
	// New), keyed by (Sweep, Key). Only the state is written: Params,
	// Point and Result are ignored, since a trial's inputs never change
	// once New wrote them and results travel in Results. A trial that
	// does not exist is an error.
	Trials []TrialRecord
	// Results are trial results to put or delete.
	Results []ResultPut
	// Tails are standard-error tails of trials' latest completed attempts
	// to put or delete.
	Tails []TailPut
	// NextToken, if not zero, is the new value of the token counter.
	NextToken uint64
}

// Len returns the number of trials ch puts: len(Trials) plus those of New.
func (ch *Change) Len() int {
	n := len(ch.Trials)
	for _, nt := range ch.New {
		n += len(nt.Keys)
	}
	return n
}

// Empty reports whether ch changes nothing.
func (ch *Change) Empty() bool {
	return ch == nil || (len(ch.Sweeps) == 0 && ch.Len() == 0 &&
		len(ch.Results) == 0 && len(ch.Tails) == 0 && ch.NextToken == 0)
}

// ResultPut stores (or with nil JSON deletes) one trial's result.
type ResultPut struct {
	// Sweep and Key name the trial.
	Sweep, Key string
	// JSON is the result object, or nil to delete the stored result.
	JSON json.RawMessage
}

// NewTrials is a run of new pending trials of one sweep. Trial j (0 ≤ j <
// len(Keys)) is the record {Sweep, Key: Keys[j], Index: Base+j, Status:
// pending, Updated} with the params and point of trial From[j] of Inputs
// (trial j of Inputs when From is nil). A submission's run computes its
// inputs only when the store writes them (Inputs is the spec's
// sweeps.Grid), so that a large grid is never in memory at once;
// refinement's run holds them (an InputList).
type NewTrials struct {
	// Sweep names the trials' sweep.
	Sweep string
	// Base is the Index of the first trial.
	Base int
	// Keys are the trials' keys, in index order.
	Keys []string
	// From maps each trial to its position in Inputs; nil means the
	// identity.
	From []int32
	// Inputs gives the trials' params and point.
	Inputs InputSource
	// Updated is the trials' Updated time.
	Updated time.Time
}

// InputSource gives the inputs of trials by position. sweeps.Grid
// implements it over a spec's grid, computing each trial when asked;
// InputList over inputs computed already. Its methods must be safe to call
// again for the same position and from any goroutine while a change is
// being committed.
type InputSource interface {
	// Len returns the number of trials.
	Len() int
	// Key returns the key of trial i.
	Key(i int) string
	// Inputs returns the canonical params and the point of trial i.
	Inputs(i int) (params, point json.RawMessage, err error)
}

// TrialInputs is one trial's key and inputs.
type TrialInputs struct {
	// Key is the trial's key (sweeps.Key of Params).
	Key string
	// Params is the canonical JSON object of the trial's settings.
	Params json.RawMessage
	// Point is the trial's grid position as a JSON object.
	Point json.RawMessage
}

// InputList is an InputSource over inputs computed already.
type InputList []TrialInputs

var _ InputSource = InputList(nil)

// Len implements InputSource.
func (l InputList) Len() int { return len(l) }

// Key implements InputSource.
func (l InputList) Key(i int) string { return l[i].Key }

// Inputs implements InputSource.
func (l InputList) Inputs(i int) (json.RawMessage, json.RawMessage, error) {
	return l[i].Params, l[i].Point, nil
}

// Position returns the position in Inputs of trial j.
func (n *NewTrials) Position(j int) int {
	if n.From == nil {
		return j
	}
	return int(n.From[j])
}

// Record returns trial j as a record with its inputs.
func (n *NewTrials) Record(j int) (TrialRecord, error) {
	params, point, err := n.Inputs.Inputs(n.Position(j))
	if err != nil {
		return TrialRecord{}, fmt.Errorf("trial %s/%s: %w", n.Sweep, n.Keys[j], err)
	}
	return TrialRecord{Sweep: n.Sweep, Key: n.Keys[j], Index: n.Base + j, Status: StatusPending,
		Params: params, Point: point, Updated: n.Updated}, nil
}

// trialRef names a trial.
type trialRef struct{ sweep, key string }

// Merge returns one change equivalent to committing changes in order:
// every record is put as the last change that puts it has it (puts of
// different keys commute), the new trials of every change are created in
// order, and the token counter takes the last value set. Records that
// several changes put (a lease expired and leased again in one batch)
// appear once, so that a store may put a change's records in any order.
func Merge(changes []*Change) *Change {
	if len(changes) == 1 {
		return changes[0]
	}
	out := &Change{}
	sweepAt := map[string]int{}
	trialAt := map[trialRef]int{}
	resultAt := map[trialRef]int{}
	tailAt := map[trialRef]int{}
	for _, ch := range changes {
		if ch == nil {
			continue
		}
		if ch.NextToken != 0 {
			out.NextToken = ch.NextToken
		}
		for _, s := range ch.Sweeps {
			out.Sweeps = putLast(out.Sweeps, sweepAt, s.Name, s)
		}
		out.New = append(out.New, ch.New...)
		for _, t := range ch.Trials {
			out.Trials = putLast(out.Trials, trialAt, trialRef{t.Sweep, t.Key}, t)
		}
		for _, r := range ch.Results {
			out.Results = putLast(out.Results, resultAt, trialRef{r.Sweep, r.Key}, r)
		}
		for _, r := range ch.Tails {
			out.Tails = putLast(out.Tails, tailAt, trialRef{r.Sweep, r.Key}, r)
		}
	}
	return out
}

// putLast puts v into list under key: in place of the value put under key
// before (its index in at), else appended.
func putLast[K comparable, V any](list []V, at map[K]int, key K, v V) []V {
	if i, ok := at[key]; ok {
		list[i] = v
		return list
	}
	at[key] = len(list)
	return append(list, v)
}
