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
	rec    SweepRecord   // spec-derived fields only
	trials []TrialRecord // Key, Params and Point set
}

// parseSpec parses and expands a spec source.
func parseSpec(filename string, source []byte, opts sweeps.Options) (*parsedSpec, error) {
	spec, err := sweeps.Parse(filename, source, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	trials, err := spec.Expand()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	p := &parsedSpec{
		spec: spec,
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
	if p.trials, err = trialRecords(trials); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	return p, nil
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
