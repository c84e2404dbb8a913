package scheduler

import (
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Scheduling by resources
//
// Every trial of a sweep has the sweep's needs (state.Needs: GPUs, and a
// worker that runs commands), so a sweep's pending set is a queue of one
// resource class. LeaseOffer takes a trial only from the queues whose
// class the request's offer fits (state.Offer.Fits, the one matching
// rule): a CPU slot never sees GPU trials, a worker without --allow-exec
// never sees command trials, and a queue whose trials no request fits
// holds up no other queue, however long it is.
//
// Among the queues a GPU offer fits, the one whose trials need the most
// GPUs goes first (round-robin among equals). A GPU slot offers every
// device free when it asks, so this hands whole sets of free devices to
// the trials that need them, rather than letting a stream of one-GPU
// trials keep a many-GPU trial waiting for its devices to be free at the
// same time. A CPU offer fits only the queues that need no GPU, all
// equal: plain round-robin, as Lease always did.

// LeaseOffer hands the next pending trial that offer takes to worker: the
// first pending trial, in index order, of the next sweep in round-robin
// order whose class the offer fits (state.Offer.Takes), preferring the
// sweeps whose trials need the most GPUs. The grant says how many GPUs the
// trial needs. It returns nil when no such trial is pending.
func (s *Scheduler) LeaseOffer(now time.Time, worker string, offer state.Offer) (*state.Change, *state.Grant) {
	now = now.UTC()
	var best *sweepState
	var bestIndex int32
	for i := range s.order {
		sw := s.sweeps[s.order[(s.rr+i)%len(s.order)]]
		if best != nil && sw.rec.Needs.GPUs <= best.rec.Needs.GPUs {
			continue // not better than the one found; skip the peek
		}
		if !offer.Takes(sw.rec.Name, sw.rec.Needs) {
			continue
		}
		if idx, ok := sw.pending.peek(); ok {
			best, bestIndex = sw, idx
			if offer.GPUs == 0 {
				break // CPU offers: every fitting queue needs no GPU
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	return s.grant(now, worker, best, bestIndex)
}

// grant leases trial i of sw, which is pending, to worker.
func (s *Scheduler) grant(now time.Time, worker string, sw *sweepState, i int32) (*state.Change, *state.Grant) {
	t := s.record(sw, i)
	enqueued := t.Updated
	token := s.nextToken
	t.Status = state.StatusRunning
	t.Attempts++
	t.Worker = worker
	t.Token = token
	t.LeaseID = state.LeaseID(t.Sweep, t.Key, token)
	t.LeaseState = state.LeaseActive
	t.LeaseSecret = s.secrets()
	t.LeaseExpiry = now.Add(s.ttl)
	t.StopRequested = false
	t.Updated = now
	ch := &state.Change{Trials: []state.TrialRecord{t}, NextToken: token + 1}
	return ch, &state.Grant{
		Trial:         t,
		LeaseID:       t.LeaseID,
		Token:         token,
		Secret:        t.LeaseSecret,
		TTL:           s.ttl,
		BudgetSeconds: sw.rec.BudgetSeconds,
		Enqueued:      enqueued,
		GPUs:          sw.rec.Needs.GPUs,
	}
}

// SetNeeds returns the change that records n as the needs of the named
// sweep's trials, or nil when the sweep has them already (or does not
// exist). The engine derives needs from a sweep's spec; it calls SetNeeds
// when it restores a sweep whose record predates them, or was written by
// a version that did not store them.
func (s *Scheduler) SetNeeds(sweep string, n state.Needs) *state.Change {
	sw := s.sweeps[sweep]
	if sw == nil || sw.rec.Needs == n {
		return nil
	}
	rec := sw.rec.Clone()
	rec.Needs = n
	return &state.Change{Sweeps: []state.SweepRecord{rec}}
}
