package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// refiner holds what the engine needs to refine sweeps (see "Refinement"
// in the package documentation): the parsed specs of the sweeps, by name
// and source, and the decoded points of their trials. Both are derived from
// immutable data (a trial's point never changes), so the cache needs no
// undo when a batch is rolled back. The engine serialises its use.
type refiner struct {
	opts   sweeps.Options
	specs  map[string]cachedSpec
	points map[trialRef]sweeps.Point
}

// cachedSpec is a sweep's parsed spec and the source it was parsed from.
type cachedSpec struct {
	source string
	spec   *sweeps.Spec
}

func newRefiner(opts sweeps.Options) *refiner {
	// Stored specs were validated when accepted; the trainer's validator
	// may have changed since, and plays no part in refinement.
	opts.Validate = nil
	return &refiner{opts: opts, specs: map[string]cachedSpec{}, points: map[trialRef]sweeps.Point{}}
}

// spec returns the parsed spec of a sweep record, or nil when the sweep
// has no refine rules.
func (r *refiner) spec(rec SweepRecord) (*sweeps.Spec, error) {
	if c, ok := r.specs[rec.Name]; ok && c.source == rec.Source {
		return c.spec, nil
	}
	spec, err := sweeps.Parse(rec.Filename, []byte(rec.Source), r.opts)
	if err != nil {
		return nil, fmt.Errorf("%w: stored spec of sweep %q no longer parses: %w", ErrInvalidSpec, rec.Name, err)
	}
	if len(spec.Refine) == 0 {
		spec = nil
	}
	r.specs[rec.Name] = cachedSpec{source: rec.Source, spec: spec}
	return spec, nil
}

// observations returns a sweep's trials as refinement sees them, and
// whether the sweep was cancelled: a trial of it is cancelled or being
// stopped. A cancelled sweep is not refined further (requeueing its
// cancelled trials resumes refinement).
//
// The scheduler does not keep the trials' points: the refiner caches them
// decoded, and fills the cache from staged (the uncommitted changes of the
// batch in progress, which hold the new trials' points) and, for trials
// still missing, from load (the store's records of the sweep).
func (r *refiner) observations(s *scheduler, sw *sweepState, staged []*Change, load func() ([]TrialRecord, error)) (obs []sweeps.Observation, cancelled bool, err error) {
	name := sw.rec.Name
	if err := r.cachePoints(sw, staged, load); err != nil {
		return nil, false, err
	}
	obs = make([]sweeps.Observation, 0, len(sw.trials))
	for i := range sw.trials {
		ts := &sw.trials[i]
		status := ts.Status()
		cancelled = cancelled || status == StatusCancelled || status == StatusRunning && ts.flags&flagStop != 0
		o := sweeps.Observation{Point: r.points[trialRef{name, sw.keys[i]}]}
		switch status {
		case StatusDone:
			o.Outcome = sweeps.OutcomeVoid
			if ts.flags&flagRelL2 != 0 {
				o.Outcome, o.RelL2 = sweeps.OutcomeMeasured, ts.relL2
			}
		case StatusDiverged, StatusTimeout:
			o.Outcome = sweeps.OutcomeFailed
		case StatusFailed, StatusCancelled:
			o.Outcome = sweeps.OutcomeVoid
		}
		obs = append(obs, o)
	}
	return obs, cancelled, nil
}

// cachePoints makes sure the refiner's cache holds the point of every
// trial of sw (see observations).
func (r *refiner) cachePoints(sw *sweepState, staged []*Change, load func() ([]TrialRecord, error)) error {
	name := sw.rec.Name
	missing := func() bool {
		for _, key := range sw.keys {
			if _, ok := r.points[trialRef{name, key}]; !ok {
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
		if _, ok := r.points[ref]; ok || point == nil {
			return nil
		}
		var p sweeps.Point
		if err := json.Unmarshal(point, &p); err != nil {
			return fmt.Errorf("%w: trial %s/%s: point: %w", ErrCorrupt, name, key, err)
		}
		r.points[ref] = p
		return nil
	}
	for _, ch := range staged {
		for i := range ch.Trials {
			if t := &ch.Trials[i]; t.Sweep == name {
				if err := put(t.Key, t.Point); err != nil {
					return err
				}
			}
		}
		for _, nt := range ch.New {
			if nt.Sweep != name {
				continue
			}
			for i, key := range nt.Keys {
				if _, ok := r.points[trialRef{name, key}]; ok {
					continue
				}
				_, point, err := nt.Inputs(i)
				if err != nil {
					return err
				}
				if err := put(key, point); err != nil {
					return err
				}
			}
		}
	}
	if !missing() {
		return nil
	}
	recs, err := load()
	if err != nil {
		return err
	}
	for i := range recs {
		if err := put(recs[i].Key, recs[i].Point); err != nil {
			return err
		}
	}
	for _, key := range sw.keys {
		if _, ok := r.points[trialRef{name, key}]; !ok {
			return fmt.Errorf("%w: trial %s/%s has no point", ErrCorrupt, name, key)
		}
	}
	return nil
}

// refine returns the change that adds the trials the refine rules of a
// sweep call for, given the scheduler's current state, or nil. spec is the
// sweep's parsed spec (nil: no refine rules).
func (r *refiner) refine(s *scheduler, now time.Time, name string, spec *sweeps.Spec, staged []*Change, load func() ([]TrialRecord, error)) (*Change, error) {
	sw := s.sweeps[name]
	if spec == nil || sw == nil {
		return nil, nil
	}
	obs, cancelled, err := r.observations(s, sw, staged, load)
	if err != nil || cancelled {
		return nil, err
	}
	add, err := spec.Refinements(obs)
	if err != nil || len(add) == 0 {
		return nil, err
	}
	recs, err := trialRecords(add)
	if err != nil {
		return nil, err
	}
	trials := newTrials(now.UTC(), name, sw, recs)
	if len(trials) == 0 {
		return nil, nil
	}
	return &Change{Trials: trials}, nil
}

// refineSweep stages in b the trials that the refine rules of the named
// sweep call for. It runs in the commit loop.
func (c *Coordinator) refineSweep(b *batch, now time.Time, name string) error {
	rec, ok := c.sched.sweep(name)
	if !ok {
		return nil
	}
	spec, err := c.refine.spec(rec)
	if err != nil {
		return err
	}
	ch, err := c.refine.refine(c.sched, now, name, spec, b.changes, c.storedTrials(name))
	if err != nil {
		return err
	}
	if ch != nil {
		b.stage(ch)
		b.refined = append(b.refined, refinedTrials{sweep: name, added: ch.Trials})
	}
	return nil
}

// storedTrials returns a function that reads a sweep's trials from the
// store, for the refiner's cache of points.
func (c *Coordinator) storedTrials(sweep string) func() ([]TrialRecord, error) {
	return func() ([]TrialRecord, error) { return c.store.Trials(context.Background(), sweep) }
}

// refineLogged is refineSweep for operations whose outcome must not
// depend on refinement (a completion, a submission): an error is logged,
// and refinement is tried again at the next trial's end and at Open.
func (c *Coordinator) refineLogged(b *batch, now time.Time, name string) {
	if err := c.refineSweep(b, now, name); err != nil {
		c.log.Error("refinement failed", "sweep", name, "error", err)
	}
}

// refineAll stages the refinement of every sweep: at Open, so that trials
// a crash kept from being added (or a rule that changed) are added now. A
// sweep that cannot be refined is logged and skipped.
func (c *Coordinator) refineAll(b *batch, now time.Time) {
	for _, name := range slices.Clone(c.sched.order) {
		c.refineLogged(b, now, name)
	}
}

// Brackets returns the failure-boundary brackets of a sweep's refined
// axes (see sweeps.Bracket): for each combination of the other axes'
// values, the neighbouring values of the refined axis between which the
// median rel_l2 crosses the spec's failure threshold, and whether the
// bracket has converged. It returns nil for a sweep without refine rules,
// ErrNotFound for an unknown sweep, and ErrInvalidSpec when the stored
// spec no longer parses (with the current Options.SpecOptions.MaxTrials).
func (c *Coordinator) Brackets(ctx context.Context, sweep string) ([]sweeps.Bracket, error) {
	if err := c.lockQuery(ctx); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	sw := c.sched.sweeps[sweep]
	if sw == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, sweep)
	}
	spec, err := c.refine.spec(sw.rec)
	if err != nil || spec == nil {
		return nil, err
	}
	obs, _, err := c.refine.observations(c.sched, sw, nil, c.storedTrials(sweep))
	if err != nil {
		return nil, err
	}
	return spec.Brackets(obs), nil
}
