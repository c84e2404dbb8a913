package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// specCache holds the parsed spec of every sweep, by name, with the
// source it was parsed from, so that a spec is parsed once: when it is
// submitted (the parsed spec is carried from the request) or, for a
// stored sweep, the first time the engine needs it (refinement, a growth
// check, the sweep's metric). Specs are immutable, so the cache needs no
// undo when a batch is rolled back: an entry is used only while its
// source is the sweep record's. The engine serialises its use.
type specCache struct {
	opts   sweeps.Options // for stored specs: without Validate
	byName map[string]cachedSpec
}

// cachedSpec is a sweep's parsed spec and the source it was parsed from.
type cachedSpec struct {
	source string
	spec   *sweeps.Spec
}

func newSpecCache(opts sweeps.Options) *specCache {
	// Stored specs were validated when they were accepted; the trainer's
	// validator may have changed since, and plays no part in refinement,
	// growth checks or metrics.
	opts.Validate = nil
	return &specCache{opts: opts, byName: map[string]cachedSpec{}}
}

// of returns the parsed spec of a sweep record.
func (sc *specCache) of(rec state.SweepRecord) (*sweeps.Spec, error) {
	if c, ok := sc.byName[rec.Name]; ok && c.source == rec.Source {
		return c.spec, nil
	}
	spec, err := sweeps.Parse(rec.Filename, []byte(rec.Source), sc.opts)
	if err != nil {
		return nil, fmt.Errorf("%w: stored spec of sweep %q no longer parses: %w", state.ErrInvalidSpec, rec.Name, err)
	}
	sc.put(spec)
	return spec, nil
}

// put caches a spec parsed from its source.
func (sc *specCache) put(spec *sweeps.Spec) {
	sc.byName[spec.Name] = cachedSpec{source: string(spec.Source), spec: spec}
}

// specOf returns the parsed spec of a sweep the scheduler holds. c.mu is
// held.
func (c *Coordinator) specOf(sweep string) (*sweeps.Spec, error) {
	rec, ok := c.sched.Sweep(sweep)
	if !ok {
		return nil, fmt.Errorf("%w: %q", state.ErrNotFound, sweep)
	}
	return c.specs.of(rec)
}

// metricOf returns the metric a sweep's trials are judged by; the default
// metric when the sweep is unknown or its stored spec no longer parses
// (with the spec's threshold lost). c.mu is held.
func (c *Coordinator) metricOf(sweep string) verdict.Metric {
	spec, err := c.specOf(sweep)
	if err != nil {
		return verdict.Default()
	}
	return spec.VerdictMetric()
}

// sweepRecord returns the spec-derived fields of a submitted spec's sweep
// record (its file name is spec.File).
func sweepRecord(spec *sweeps.Spec) state.SweepRecord {
	rec := state.SweepRecord{
		Name:          spec.Name,
		Filename:      spec.File,
		Source:        string(spec.Source),
		BudgetSeconds: spec.Budget.Seconds,
		MaxAttempts:   spec.MaxAttempts(),
		Needs:         needsOf(spec),
	}
	for _, a := range spec.Axes {
		rec.Axes = append(rec.Axes, a.Name)
	}
	rec.Axes = append(rec.Axes, sweeps.SeedKey)
	return rec
}

// checkGrowth checks that spec is a growth of the stored sweep old.
func (c *Coordinator) checkGrowth(old state.SweepRecord, spec *sweeps.Spec) error {
	prev, err := c.specs.of(old)
	if err != nil {
		return err
	}
	if err := spec.Compatible(prev); err != nil {
		if errors.Is(err, sweeps.ErrIncompatible) {
			return fmt.Errorf("%w %q: %w", state.ErrIncompatible, old.Name, err)
		}
		return fmt.Errorf("%w: sweep %q: %w", state.ErrInvalidSpec, old.Name, err)
	}
	return nil
}

// refinedTrials records the trials refinement added to a sweep.
type refinedTrials struct {
	sweep string
	added *state.NewTrials
}

// refineSweep stages in b the trials that the refine rules of the named
// sweep call for. It runs in the commit loop.
func (c *Coordinator) refineSweep(b *batch, now time.Time, name string) error {
	spec, err := c.specOf(name)
	if err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		return err
	}
	ch, err := c.refiner.Refine(context.Background(), c.sched, now, spec, b.changes, c.store)
	if err != nil {
		return err
	}
	if ch != nil {
		b.stage(ch)
		b.refined = append(b.refined, refinedTrials{sweep: name, added: ch.New[0]})
	}
	return nil
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
	for _, name := range c.sched.Sweeps() {
		c.refineLogged(b, now, name)
	}
}

// logRefined logs and counts the trials refinement added in a committed
// batch.
func (c *Coordinator) logRefined(refined []refinedTrials) {
	for _, r := range refined {
		c.metrics.refined.Add(float64(len(r.added.Keys)))
		first, _ := r.added.Record(0)
		c.log.Info("refinement added trials", "sweep", r.sweep, "trials", len(r.added.Keys), "first_point", string(first.Point))
	}
}
