package main

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/eta"
	rpt "github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/worker"
)

// etaEvery bounds how often the ETA is recomputed.
const etaEvery = time.Second

// sweepClock feeds the ETA estimator of `pinnsweep run` (internal/eta):
// the stored durations of the trials that ended before (their results'
// seconds), the wall time of each trial this process runs, and which
// trials are running or pending. It is safe for concurrent use.
type sweepClock struct {
	mu      sync.Mutex
	est     eta.Estimator
	slots   int
	mayGrow bool
	trials  map[string]*clockTrial // by params JSON, as the worker gets them
	now     func() time.Time

	cached   eta.ETA
	cachedAt time.Time
}

// clockTrial is one trial of the sweep as the clock sees it.
type clockTrial struct {
	index   int
	point   eta.Point
	open    bool // pending or running
	running bool
	started time.Time
}

// newSweepClock returns a clock for a sweep run on slots slots; mayGrow
// says that refinement may add trials.
func newSweepClock(slots int, mayGrow bool) *sweepClock {
	return &sweepClock{slots: slots, mayGrow: mayGrow, trials: map[string]*clockTrial{}, now: time.Now}
}

// size returns the number of trials known.
func (c *sweepClock) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.trials)
}

// load adds the trials the clock does not know yet: an open one as
// pending, an ended one with the duration its result records.
func (c *sweepClock) load(trials []state.TrialRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range trials {
		t := &trials[i]
		params := string(t.Params)
		if _, known := c.trials[params]; known {
			continue
		}
		ct := &clockTrial{index: t.Index, point: etaPoint(t)}
		ct.open = t.Status == state.StatusPending || t.Status == state.StatusRunning
		c.trials[params] = ct
		if !ct.open && t.Status != state.StatusCancelled {
			var res struct {
				Seconds *float64 `json:"seconds"`
			}
			if json.Unmarshal(t.Result, &res) == nil && res.Seconds != nil {
				c.est.Observe(ct.point, *res.Seconds)
			}
		}
	}
	c.cachedAt = time.Time{}
}

// etaPoint returns a trial's grid point: its axis values without the seed,
// and the strategy its params set.
func etaPoint(t *state.TrialRecord) eta.Point {
	var p eta.Point
	var pt sweeps.Point
	if json.Unmarshal(t.Point, &pt) == nil {
		for _, co := range pt {
			if co.Axis == sweeps.SeedKey {
				continue
			}
			num, ok := sweeps.Number(co.Value)
			p.Coords = append(p.Coords, eta.Coord{Axis: co.Axis, Label: rpt.ValueLabel(co.Value), Num: num, Numeric: ok})
		}
	}
	var params struct {
		Strategy string `json:"strategy"`
	}
	_ = json.Unmarshal(t.Params, &params)
	p.Strategy = params.Strategy
	if p.Strategy == "" {
		p.Strategy = "regular" // the trainer's default
	}
	return p
}

// started notes that this process started the trial with these params.
func (c *sweepClock) started(params string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.trials[params]; t != nil {
		t.open, t.running, t.started = true, true, c.now()
		c.cachedAt = time.Time{}
	}
}

// ended notes the outcome of a trial this process ran: a cancelled run
// (the worker stopping, or the sweep cancelled) leaves it open; any other
// outcome records its wall time. A failed trial that the coordinator
// retries starts again, and is open again then.
func (c *sweepClock) ended(params string, status worker.Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trials[params]
	if t == nil || !t.running {
		return
	}
	t.running = false
	if status != worker.StatusCancelled {
		t.open = false
		c.est.Observe(t.point, c.now().Sub(t.started).Seconds())
	}
	c.cachedAt = time.Time{}
}

// eta returns the estimate of the time left, recomputed at most every
// etaEvery unless a trial started or ended since.
func (c *sweepClock) eta() eta.ETA {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.cachedAt.IsZero() && now.Sub(c.cachedAt) < etaEvery {
		return c.cached
	}
	var running, pending []*clockTrial
	for _, t := range c.trials {
		switch {
		case t.running:
			running = append(running, t)
		case t.open:
			pending = append(pending, t)
		}
	}
	// The coordinator leases pending trials in index order.
	sort.Slice(pending, func(i, j int) bool { return pending[i].index < pending[j].index })
	open := make([]eta.Open, 0, len(running)+len(pending))
	for _, t := range running {
		open = append(open, eta.Open{Point: t.point, Running: true, Elapsed: now.Sub(t.started)})
	}
	for _, t := range pending {
		open = append(open, eta.Open{Point: t.point})
	}
	c.cached, c.cachedAt = c.est.ETA(open, c.slots, c.mayGrow), now
	return c.cached
}

// timedRunner is a worker.Runner that tells a sweepClock when each trial
// starts and ends.
type timedRunner struct {
	worker.Runner
	clock *sweepClock
}

// Run implements worker.Runner.
func (r timedRunner) Run(ctx context.Context, params string, progress func(int64, float64)) (worker.Outcome, error) {
	r.clock.started(params)
	out, err := r.Runner.Run(ctx, params, progress)
	status := out.Status
	if err != nil {
		status = worker.StatusFailed
	}
	r.clock.ended(params, status)
	return out, err
}
