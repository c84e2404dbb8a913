package coordinator

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// needsOf returns what each trial of a spec's sweep needs of a worker
// slot: its resources and whether it runs a command. It is stored with
// the sweep record (state.SweepRecord.Needs), which the scheduler leases
// by.
func needsOf(spec *sweeps.Spec) state.Needs {
	return state.Needs{GPUs: spec.Resources.GPUs, Command: !spec.Runner.Builtin()}
}

// commandOf returns how a worker runs a command spec's trials: its runner
// and the metric the worker judges the outcome by.
func commandOf(spec *sweeps.Spec) *state.Command {
	return &state.Command{
		Argv:    slices.Clone(spec.Runner.Command),
		Workdir: spec.Runner.Workdir,
		Env:     maps.Clone(spec.Runner.Env),
		Metric:  spec.MetricName(),
	}
}

// describe sets the command of a grant (nil: no grant) whose sweep runs
// commands, from the sweep's spec. It fails when that spec no longer
// parses: the trial cannot be run, and is not leased. c.mu is held.
func (c *Coordinator) describe(g *state.Grant) error {
	if g == nil {
		return nil
	}
	rec, ok := c.sched.Sweep(g.Trial.Sweep)
	if !ok || !rec.Needs.Command {
		return nil
	}
	spec, err := c.specs.of(rec)
	if err != nil {
		return fmt.Errorf("lease of trial %s: %w", g.Trial.ID(), err)
	}
	if spec.Runner.Builtin() {
		return fmt.Errorf("%w: lease of trial %s: sweep %q needs a command, its spec has none", state.ErrCorrupt, g.Trial.ID(), rec.Name)
	}
	g.Command = commandOf(spec)
	return nil
}

// restoreNeeds stages the needs of every sweep whose record lacks its
// spec's (written by a version that did not store them): at Open, so
// that the scheduler never leases a command or GPU trial to a slot it
// does not fit. A sweep whose stored spec does not parse is logged and
// left as it is.
func (c *Coordinator) restoreNeeds(b *batch) {
	for _, name := range c.sched.Sweeps() {
		spec, err := c.specOf(name)
		if err != nil {
			c.log.Error("stored spec does not parse; its trials' needs are not checked", "sweep", name, "error", err)
			continue
		}
		if ch := c.sched.SetNeeds(name, needsOf(spec)); ch != nil {
			c.log.Info("recorded the needs of a sweep's trials", "sweep", name, "gpus", spec.Resources.GPUs, "command", !spec.Runner.Builtin())
			b.stage(ch)
		}
	}
}
