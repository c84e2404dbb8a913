package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/worker"
)

// runSlots are the worker slots of `pinnsweep run` for a spec, and how
// they run command trials.
type runSlots struct {
	cpu     int
	gpus    []string
	command *worker.CommandRunner // nil for a built-in sweep
}

// total returns the number of slots, CPU and GPU.
func (s runSlots) total() int { return s.cpu + len(s.gpus) }

// commandSlots checks run's slot flags against the spec and, for a
// command spec, makes the in-process worker's command runner. It allows
// exactly the spec's program (its argv[0], resolved as a worker resolves
// it): `run` runs a spec the user gives it on their own machine, so the
// spec's program is the one the user chose. A sweep that needs GPUs
// needs enough --gpus (and has no CPU slot unless --slots is given); one
// that needs none gets no GPU slot, so that its trials do not wait for
// slots that never take them.
func commandSlots(spec *sweeps.Spec, f runFlags, slotsGiven bool) (runSlots, error) {
	s := runSlots{cpu: f.slots, gpus: splitList(f.gpus)}
	need := spec.Resources.GPUs
	switch {
	case len(s.gpus) > 0 && spec.Runner.Builtin():
		return s, usageErrorf("--gpus: the built-in trainer runs on CPUs; GPU slots are for command trials")
	case len(s.gpus) > 0 && need == 0:
		return s, usageErrorf("--gpus: the trials of sweep %s need no GPU (add resources: {gpus: 1} to the spec to run them on GPUs)", spec.Name)
	case need > 0 && len(s.gpus) < need:
		return s, usageErrorf("the trials of sweep %s need %d GPUs each: give --gpus with at least %d devices (e.g. --gpus 0)", spec.Name, need, need)
	case need > 0 && !slotsGiven:
		s.cpu = 0 // CPU slots would take nothing
	}
	if spec.Runner.Builtin() {
		return s, nil
	}
	r, err := worker.NewCommandRunner(worker.CommandOptions{Allow: spec.Runner.Command[:1], Dir: f.workDir, KillGrace: f.killGrace})
	if err != nil {
		return s, fmt.Errorf("the spec's program %q: %w", spec.Runner.Command[0], err)
	}
	s.command = r
	return s, nil
}

// describeCommand says what a command sweep's trials run, and where their
// logs go.
func describeCommand(w io.Writer, s runSlots, f runFlags) {
	if s.command == nil {
		return
	}
	fmt.Fprintf(w, "  running %s for each trial; logs and outputs in %s/\n", s.command.Allowed()[0], f.workDir)
	if len(s.gpus) > 0 {
		fmt.Fprintf(w, "  %d GPU slots (devices %v), %d CPU slots\n", len(s.gpus), s.gpus, s.cpu)
	}
}

// sync updates the clock from the sweep's trials as the coordinator has
// them: `run` calls it for command trials, which the in-process worker
// runs without telling the clock (timedRunner wraps the built-in runner
// only). A trial that is running now and was not started; one that has
// ended now and was open ended, after the seconds its result records or
// else the wall time since it was seen to start; one that is pending
// again (a failed attempt, to be retried) is open and not running.
func (c *sweepClock) sync(trials []state.TrialRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for i := range trials {
		t := &trials[i]
		ct := c.trials[string(t.Params)]
		if ct == nil {
			continue
		}
		switch {
		case t.Status == state.StatusRunning && !ct.running:
			ct.open, ct.running, ct.started = true, true, now
		case t.Status == state.StatusPending && ct.running:
			ct.running = false
		case t.Status.Final() && ct.open:
			var res struct {
				Seconds *float64 `json:"seconds"`
			}
			switch {
			case t.Status == state.StatusCancelled:
			case json.Unmarshal(t.Result, &res) == nil && res.Seconds != nil:
				c.est.Observe(ct.point, *res.Seconds)
			case ct.running:
				c.est.Observe(ct.point, now.Sub(ct.started).Seconds())
			}
			ct.open, ct.running = false, false
		default:
			continue
		}
		c.cachedAt = time.Time{}
	}
}
