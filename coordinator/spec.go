package coordinator

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// parsedSpec is a submitted spec with what the scheduler needs from it.
type parsedSpec struct {
	spec   *sweeps.Spec
	rec    SweepRecord // spec-derived fields only
	trials trialSource // the grid, computed trial by trial
}

// parseSpec parses a spec source and checks its grid's size. The grid is
// not expanded: the scheduler and the store compute its trials one at a
// time (gridSource).
func parseSpec(filename string, source []byte, opts sweeps.Options) (*parsedSpec, error) {
	spec, err := sweeps.Parse(filename, source, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	n, err := spec.Size()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	p := &parsedSpec{
		spec:   spec,
		trials: gridSource{spec: spec, n: n},
		rec: SweepRecord{
			Name:          spec.Name,
			Filename:      filename,
			Source:        string(source),
			BudgetSeconds: spec.Budget.Seconds,
			MaxAttempts:   spec.MaxAttempts(),
		},
	}
	for _, a := range spec.Axes {
		p.rec.Axes = append(p.rec.Axes, a.Name)
	}
	p.rec.Axes = append(p.rec.Axes, sweeps.SeedKey)
	return p, nil
}

// gridSource is a spec's grid as a trialSource: trial i is
// spec.Trial(i), computed on each call.
type gridSource struct {
	spec *sweeps.Spec
	n    int
}

func (g gridSource) Len() int         { return g.n }
func (g gridSource) Key(i int) string { return g.spec.Trial(i).Key }
func (g gridSource) Inputs(i int) (json.RawMessage, json.RawMessage, error) {
	t := g.spec.Trial(i)
	point, err := json.Marshal(t.Point)
	if err != nil {
		return nil, nil, fmt.Errorf("trial %s: encoding point: %w", t.Point, err)
	}
	return sweeps.CanonicalJSON(t.Params), point, nil
}

// trialRecords converts expanded trials to records with Key, Params and
// Point set.
func trialRecords(trials []sweeps.Trial) ([]TrialRecord, error) {
	out := make([]TrialRecord, 0, len(trials))
	for _, t := range trials {
		point, err := json.Marshal(t.Point)
		if err != nil {
			return nil, fmt.Errorf("trial %s: encoding point: %w", t.Point, err)
		}
		out = append(out, TrialRecord{
			Key:    t.Key,
			Params: sweeps.CanonicalJSON(t.Params),
			Point:  point,
		})
	}
	return out, nil
}

// checkGrowth checks that the new spec is a growth of the stored sweep's.
func checkGrowth(old SweepRecord, cur *parsedSpec, opts sweeps.Options) error {
	// The stored spec was validated when it was accepted; the trainer's
	// validator may have changed since, and does not matter for comparing.
	opts.Validate = nil
	prev, err := sweeps.Parse(old.Filename, []byte(old.Source), opts)
	if err != nil {
		return fmt.Errorf("stored spec of sweep %q no longer parses: %w", old.Name, err)
	}
	if err := cur.spec.Compatible(prev); err != nil {
		if errors.Is(err, sweeps.ErrIncompatible) {
			return fmt.Errorf("%w %q: %w", ErrIncompatible, old.Name, err)
		}
		return fmt.Errorf("%w: sweep %q: %w", ErrInvalidSpec, old.Name, err)
	}
	return nil
}
