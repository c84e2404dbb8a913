package sweeps

import (
	"bytes"
	"fmt"
	"slices"
)

// Trial is one point of a sweep's grid with one replicate seed.
//
// Its JSON form follows the convention of reports and exports, where a
// trial's "params" are its Point: {"index": 0, "key": "…", "params":
// {"beta": 1, "seed": 0}, "settings": {…all trainer settings…}, "seed": 0}.
type Trial struct {
	// Index is the trial's position in the expansion, from 0.
	Index int `json:"index"`

	// Key identifies the trial by its params: Key(Params). Trials with
	// equal params have equal keys in every process and every spec, which
	// is how a grown spec's new trials are told from those already run.
	Key string `json:"key"`

	// Params are the flattened trainer settings of the trial: the fixed
	// settings, the settings of the trial's axis values, "max_iters" and
	// "max_evals" from the budget when set, and "seed". Values are int64,
	// float64, string, bool or []any; each trial has its own map and
	// lists. In JSON they are the trial's "settings".
	Params map[string]any `json:"settings"`

	// Point is the trial's coordinates: its axis values (bundle labels
	// for bundles) in axis order, then the seed. Points share their
	// values with the Spec and must not be modified. In JSON it is the
	// trial's "params".
	Point Point `json:"params"`

	// Seed is the trial's replicate seed, also in Params and Point.
	Seed int64 `json:"seed"`
}

// Expand returns the trials of the grid in a deterministic order: axes in
// spec order with the last axis varying fastest, and the seeds innermost.
// Indices run from 0 to len-1.
//
// A given set of params is never generated twice: should two grid points
// have the same params (impossible for a parsed spec, whose axes hold no
// duplicates, but possible for one built by hand), only the first is kept.
//
// Expand fails with ErrTooManyTrials, before allocating the trials, if the
// grid exceeds the spec's limit (see Size), and with ErrKeyCollision in
// the (astronomically unlikely) event that two different trials have the
// same key.
func (s *Spec) Expand() ([]Trial, error) {
	n, err := s.Size()
	if err != nil {
		return nil, err
	}
	trials := make([]Trial, 0, n)
	if n == 0 {
		return trials, nil
	}
	seeds := s.seeds()
	nparams := s.paramCount()
	seen := make(map[string]int, n)
	odometer := make([]int, len(s.Axes)) // the current value of each axis
	values := make([]*AxisValue, len(s.Axes))
	for {
		for i, a := range s.Axes {
			values[i] = &a.Values[odometer[i]]
		}
		for _, seed := range seeds {
			params, point := s.trialOf(values, seed, nparams)
			canonical := CanonicalJSON(params)
			key := keyOf(canonical)
			if j, dup := seen[key]; dup {
				if bytes.Equal(canonical, CanonicalJSON(trials[j].Params)) {
					continue // the same params again
				}
				return nil, fmt.Errorf("%w: trials %s and %s both have key %s", ErrKeyCollision, trials[j].Point, point, key)
			}
			seen[key] = len(trials)
			trials = append(trials, Trial{
				Index:  len(trials),
				Key:    key,
				Params: params,
				Point:  point,
				Seed:   seed,
			})
		}
		// Advance the odometer, last axis fastest.
		i := len(odometer) - 1
		for ; i >= 0; i-- {
			odometer[i]++
			if odometer[i] < len(s.Axes[i].Values) {
				break
			}
			odometer[i] = 0
		}
		if i < 0 {
			return trials, nil
		}
	}
}

// paramCount estimates the number of params of a trial, for allocation.
func (s *Spec) paramCount() int {
	n := len(s.Fixed) + 3
	for _, a := range s.Axes {
		n += len(a.Values[0].Settings)
	}
	return n
}

// trialOf returns the params and point of the trial with the given axis
// values (one per axis, in axis order) and seed.
func (s *Spec) trialOf(values []*AxisValue, seed int64, nparams int) (map[string]any, Point) {
	params := make(map[string]any, nparams)
	for _, f := range s.Fixed {
		params[f.Key] = cloneValue(f.Value)
	}
	if s.Budget.Iterations > 0 {
		params[MaxItersKey] = int64(s.Budget.Iterations)
	}
	if s.Budget.Evaluations > 0 {
		params[MaxEvalsKey] = int64(s.Budget.Evaluations)
	}
	point := make(Point, len(s.Axes)+1)
	for i, a := range s.Axes {
		v := values[i]
		for _, st := range v.Settings {
			params[st.Key] = cloneValue(st.Value)
		}
		point[i] = Coord{Axis: a.Name, Value: v.Value}
	}
	params[SeedKey] = seed
	point[len(s.Axes)] = Coord{Axis: SeedKey, Value: seed}
	return params, point
}

// cloneValue copies list values, so that trials do not share them.
func cloneValue(v any) any {
	if l, ok := v.([]any); ok {
		return slices.Clone(l)
	}
	return v
}

// Trial returns the trial at position i (0 ≤ i < Size()) of the grid in
// Expand's order, without expanding the grid: a submission of a large grid
// computes its trials one at a time, as it needs them. For a parsed spec,
// whose grid has no duplicate params, it is Expand()[i]. It panics if i is
// out of range.
func (s *Spec) Trial(i int) Trial {
	n, err := s.Size()
	if err != nil || i < 0 || i >= n {
		panic(fmt.Sprintf("sweeps: trial %d of a grid of %d (%v)", i, n, err))
	}
	seeds := s.seeds()
	seed := seeds[i%len(seeds)]
	rest := i / len(seeds)
	values := make([]*AxisValue, len(s.Axes))
	for a := len(s.Axes) - 1; a >= 0; a-- { // the last axis varies fastest
		l := len(s.Axes[a].Values)
		values[a] = &s.Axes[a].Values[rest%l]
		rest /= l
	}
	params, point := s.trialOf(values, seed, s.paramCount())
	return Trial{Index: i, Key: Key(params), Params: params, Point: point, Seed: seed}
}
