package scheduler

import (
	"fmt"
	"iter"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Sweep returns a sweep's record.
func (s *Scheduler) Sweep(name string) (state.SweepRecord, bool) {
	sw := s.sweeps[name]
	if sw == nil {
		return state.SweepRecord{}, false
	}
	return sw.rec.Clone(), true
}

// Sweeps returns the sweeps' names in creation order.
func (s *Scheduler) Sweeps() []string {
	return append([]string(nil), s.order...)
}

// Progress returns a sweep's counts; state.ErrNotFound for an unknown
// sweep.
func (s *Scheduler) Progress(name string) (state.Progress, error) {
	sw := s.sweeps[name]
	if sw == nil {
		return state.Progress{}, fmt.Errorf("%w: %q", state.ErrNotFound, name)
	}
	p := sw.counts
	p.Finished = p.Pending == 0 && p.Running == 0
	return p, nil
}

// List returns every sweep's counts in creation order.
func (s *Scheduler) List() []state.Progress {
	out := make([]state.Progress, 0, len(s.order))
	for _, name := range s.order {
		p, _ := s.Progress(name)
		out = append(out, p)
	}
	return out
}

// Trial returns one trial's record, without params, point and result.
func (s *Scheduler) Trial(sweep, key string) (state.TrialRecord, bool) {
	sw, i, ok := s.lookup(sweep, key)
	if !ok {
		return state.TrialRecord{}, false
	}
	return s.record(sw, i), true
}

// ActiveLeases returns the number of leases held now.
func (s *Scheduler) ActiveLeases() int { return len(s.running) }

// NextToken returns the next fencing token to hand out.
func (s *Scheduler) NextToken() uint64 { return s.nextToken }

// Brief is a trial's state as refinement reads it.
type Brief struct {
	// Key is the trial's key.
	Key string
	// Status is the trial's status.
	Status state.Status
	// Value is the trial's metric value when HasValue is set
	// (state.TrialRecord.Value).
	Value    float64
	HasValue bool
	// Stopping is set on a running trial of a cancelled sweep.
	Stopping bool
}

// Briefs returns the trials of a sweep, in index order, in brief (none for
// an unknown sweep), without building their records.
func (s *Scheduler) Briefs(sweep string) iter.Seq[Brief] {
	return func(yield func(Brief) bool) {
		sw := s.sweeps[sweep]
		if sw == nil {
			return
		}
		for i := range sw.trials {
			ts := &sw.trials[i]
			b := Brief{Key: sw.keys[i], Status: ts.Status(), Value: ts.value, HasValue: ts.flags&flagValue != 0,
				Stopping: ts.status == ordRunning && ts.flags&flagStop != 0}
			if !yield(b) {
				return
			}
		}
	}
}

// Len returns the number of trials of a sweep (0 for an unknown one).
func (s *Scheduler) Len(sweep string) int {
	if sw := s.sweeps[sweep]; sw != nil {
		return len(sw.trials)
	}
	return 0
}
