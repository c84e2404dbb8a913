package scheduler

import (
	"bytes"
	"fmt"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// A submitted spec's grid is the InputSource of its new trials.
var _ state.InputSource = (*sweeps.Grid)(nil)

// Submit adds a sweep, or grows an existing one by the trials whose keys
// are new. rec carries the spec-derived fields (Name, Filename, Source,
// Axes, BudgetSeconds, MaxAttempts); grid is the spec's grid (a
// sweeps.Grid). The caller has checked that the spec is compatible with
// the stored one. The new trials come as one state.NewTrials over grid,
// whose params and point the store computes (again) when it writes them.
// A key that grid gives twice is taken once if both trials have the same
// inputs, and is a key collision (state.ErrInvalidSpec) otherwise.
func (s *Scheduler) Submit(now time.Time, rec state.SweepRecord, grid state.InputSource) (*state.Change, state.SubmitResult, error) {
	now = now.UTC()
	res := state.SubmitResult{Sweep: rec.Name}
	old := s.sweeps[rec.Name]
	base := 0
	if old == nil {
		rec.Created, rec.Submissions = now, 1
		res.Created = true
	} else {
		rec.Created, rec.Submissions = old.rec.Created, old.rec.Submissions+1
		base = len(old.trials)
	}
	rec.Updated = now
	n := grid.Len()
	nt := &state.NewTrials{Sweep: rec.Name, Base: base, Updated: now, Keys: make([]string, 0, n), Inputs: grid}
	from := make([]int32, 0, n) // grid position of each new trial
	identity := true
	index := make(map[string]int32, n)
	for i := range n {
		key := grid.Key(i)
		if old != nil {
			if _, ok := old.byKey[key]; ok {
				continue
			}
		}
		if j, dup := index[key]; dup {
			if err := sameInputs(grid, int(from[int(j)-base]), i, key); err != nil {
				return nil, state.SubmitResult{}, err
			}
			continue
		}
		index[key] = int32(base + len(nt.Keys))
		identity = identity && i == len(nt.Keys)
		nt.Keys = append(nt.Keys, key)
		from = append(from, int32(i))
	}
	if !identity {
		nt.From = from
	}
	ch := &state.Change{Sweeps: []state.SweepRecord{rec}}
	if len(nt.Keys) > 0 {
		ch.New = []*state.NewTrials{nt}
		if old == nil {
			s.submitted = &submittedIndex{nt: nt, index: index}
		}
	}
	res.Added = len(nt.Keys)
	res.Total = base + res.Added
	return ch, res, nil
}

// sameInputs checks that trials i and j of src, which have the same key,
// have the same params.
func sameInputs(src state.InputSource, i, j int, key string) error {
	a, _, err := src.Inputs(i)
	if err != nil {
		return fmt.Errorf("%w: %w", state.ErrInvalidSpec, err)
	}
	b, _, err := src.Inputs(j)
	if err != nil {
		return fmt.Errorf("%w: %w", state.ErrInvalidSpec, err)
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("%w: %w: trials %d and %d both have key %s", state.ErrInvalidSpec, sweeps.ErrKeyCollision, i, j, key)
	}
	return nil
}

// AddTrials returns the change that adds to a sweep the given trials
// whose keys it does not hold yet, each once, pending and indexed after
// its trials in the order given (refinement's new points), or nil when
// there are none (or no such sweep).
func (s *Scheduler) AddTrials(now time.Time, sweep string, trials state.InputList) *state.Change {
	sw := s.sweeps[sweep]
	if sw == nil {
		return nil
	}
	var keep state.InputList
	seen := map[string]bool{}
	for _, t := range trials {
		if seen[t.Key] {
			continue
		}
		if _, ok := sw.byKey[t.Key]; ok {
			continue
		}
		seen[t.Key] = true
		keep = append(keep, t)
	}
	if len(keep) == 0 {
		return nil
	}
	nt := &state.NewTrials{Sweep: sweep, Base: len(sw.trials), Keys: make([]string, len(keep)),
		Inputs: keep, Updated: now.UTC()}
	for j, t := range keep {
		nt.Keys[j] = t.Key
	}
	return &state.Change{New: []*state.NewTrials{nt}}
}
