package refine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/scheduler"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Reader reads a sweep's trials with their points; a state.Store is one.
type Reader interface {
	Trials(ctx context.Context, sweep string) ([]state.TrialRecord, error)
}

// Refiner refines sweeps. It caches the decoded points of the trials of
// the sweeps it refines; a trial's point never changes, so the cache needs
// no undo when a batch is rolled back. It is not safe for concurrent use
// (the engine serialises its calls).
type Refiner struct {
	points map[trialRef]sweeps.Point
}

// trialRef names a trial.
type trialRef struct{ sweep, key string }

// New returns a Refiner with an empty cache.
func New() *Refiner { return &Refiner{points: map[trialRef]sweeps.Point{}} }

// Refine returns the change that adds the trials the refine rules of spec
// (the spec of the sweep spec.Name) call for, given the scheduler's
// current state, or nil. staged are the uncommitted changes of the batch
// in progress (the new trials' points are in them); trials whose point
// is in neither are read from r once. A sweep with a cancelled trial, or
// one being stopped, is not refined (requeueing its cancelled trials
// resumes refinement).
func (f *Refiner) Refine(ctx context.Context, s *scheduler.Scheduler, now time.Time, spec *sweeps.Spec, staged []*state.Change, r Reader) (*state.Change, error) {
	if spec == nil || len(spec.Refine) == 0 || s.Len(spec.Name) == 0 {
		return nil, nil
	}
	obs, cancelled, err := f.observations(ctx, s, spec.Name, staged, r, true)
	if err != nil || cancelled {
		return nil, err
	}
	add, err := spec.Refinements(obs)
	if err != nil || len(add) == 0 {
		return nil, err
	}
	inputs := make(state.InputList, 0, len(add))
	for _, t := range add {
		params, point, err := t.Inputs()
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, state.TrialInputs{Key: t.Key, Params: params, Point: point})
	}
	return s.AddTrials(now, spec.Name, inputs), nil
}

// Brackets returns the failure-boundary brackets of spec's refined axes
// (sweeps.Spec.Brackets) for the sweep's committed state; nil for a spec
// without refine rules.
func (f *Refiner) Brackets(ctx context.Context, s *scheduler.Scheduler, spec *sweeps.Spec, r Reader) ([]sweeps.Bracket, error) {
	if spec == nil || len(spec.Refine) == 0 {
		return nil, nil
	}
	obs, _, err := f.observations(ctx, s, spec.Name, nil, r, true)
	if err != nil {
		return nil, err
	}
	return spec.Brackets(obs), nil
}

// Verdicts returns the verdict of every grid point of the sweep as
// refinement judges it (sweeps.Spec.Verdicts), with or without refine
// rules. The points of a sweep without refine rules are read for the call
// and not cached.
func (f *Refiner) Verdicts(ctx context.Context, s *scheduler.Scheduler, spec *sweeps.Spec, r Reader) ([]sweeps.PointVerdict, error) {
	obs, _, err := f.observations(ctx, s, spec.Name, nil, r, len(spec.Refine) > 0)
	if err != nil {
		return nil, err
	}
	return spec.Verdicts(obs), nil
}

// observations returns a sweep's trials as refinement sees them, and
// whether the sweep was cancelled: a trial of it is cancelled or being
// stopped. With cache, the points read are kept.
func (f *Refiner) observations(ctx context.Context, s *scheduler.Scheduler, name string, staged []*state.Change, r Reader, cache bool) (obs []sweeps.Observation, cancelled bool, err error) {
	points := f.points
	if !cache {
		points = map[trialRef]sweeps.Point{}
	}
	if err := f.cachePoints(ctx, s, name, points, staged, r); err != nil {
		return nil, false, err
	}
	obs = make([]sweeps.Observation, 0, s.Len(name))
	for b := range s.Briefs(name) {
		cancelled = cancelled || b.Status == state.StatusCancelled || b.Stopping
		obs = append(obs, sweeps.Observation{
			Point:   points[trialRef{name, b.Key}],
			Outcome: verdict.Classify(b.Status, b.Value, b.HasValue),
		})
	}
	return obs, cancelled, nil
}

// cachePoints makes sure points holds the point of every trial of the
// sweep (see observations).
func (f *Refiner) cachePoints(ctx context.Context, s *scheduler.Scheduler, name string, points map[trialRef]sweeps.Point, staged []*state.Change, r Reader) error {
	missing := func() bool {
		for b := range s.Briefs(name) {
			if _, ok := points[trialRef{name, b.Key}]; !ok {
				return true
			}
		}
		return false
	}
	if !missing() {
		return nil
	}
	put := func(key string, point json.RawMessage) error {
		ref := trialRef{name, key}
		if _, ok := points[ref]; ok || point == nil {
			return nil
		}
		var p sweeps.Point
		if err := json.Unmarshal(point, &p); err != nil {
			return fmt.Errorf("%w: trial %s/%s: point: %w", state.ErrCorrupt, name, key, err)
		}
		points[ref] = p
		return nil
	}
	for _, ch := range staged {
		for _, nt := range ch.New {
			if nt.Sweep != name {
				continue
			}
			for j, key := range nt.Keys {
				if _, ok := points[trialRef{name, key}]; ok {
					continue
				}
				t, err := nt.Record(j)
				if err != nil {
					return err
				}
				if err := put(key, t.Point); err != nil {
					return err
				}
			}
		}
	}
	if !missing() {
		return nil
	}
	recs, err := r.Trials(ctx, name)
	if err != nil {
		return err
	}
	for i := range recs {
		if err := put(recs[i].Key, recs[i].Point); err != nil {
			return err
		}
	}
	for b := range s.Briefs(name) {
		if _, ok := points[trialRef{name, b.Key}]; !ok {
			return fmt.Errorf("%w: trial %s/%s has no point", state.ErrCorrupt, name, b.Key)
		}
	}
	return nil
}
