package worker

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
)

// MaxGPUs is the most GPU devices a worker may be given.
const MaxGPUs = 64

// gpuIDPattern matches a device id: an index, or a UUID such as
// GPU-8f0c… or MIG-….
var gpuIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._/-]{0,127}$`)

// checkGPUs checks the device ids of Options.GPUs.
func checkGPUs(ids []string) error {
	if len(ids) > MaxGPUs {
		return fmt.Errorf("worker: %d GPUs; at most %d", len(ids), MaxGPUs)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		switch {
		case !gpuIDPattern.MatchString(id):
			return fmt.Errorf("worker: invalid GPU id %q (want an index such as 0, or a UUID)", id)
		case seen[id]:
			return fmt.Errorf("worker: GPU %s is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// gpuPool hands a worker's GPU devices to its GPU slots.
//
// A GPU slot offers the coordinator every device that is free when it
// calls Lease, and keeps as many as the granted trial needs. Only one slot
// polls at a time, holding all the free devices meanwhile, so that two
// offers never count the same device and a trial that needs several
// devices can be granted once they are all free. (An offer made while
// other trials run covers the devices free then; devices freed during the
// long-poll are offered by the next one.)
type gpuPool struct {
	mu      sync.Mutex
	order   map[string]int // device → position in Options.GPUs
	free    []string       // in Options.GPUs order
	polling bool
	changed chan struct{} // closed and replaced on every change
}

func newGPUPool(ids []string) *gpuPool {
	p := &gpuPool{order: make(map[string]int, len(ids)), free: slices.Clone(ids), changed: make(chan struct{})}
	for i, id := range ids {
		p.order[id] = i
	}
	return p
}

// notify wakes the slots waiting for a change. p.mu is held.
func (p *gpuPool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// acquire waits until no other slot polls and a device is free, and takes
// every free device for the caller's offer. It returns false when ctx is
// done.
func (p *gpuPool) acquire(ctx context.Context) ([]string, bool) {
	for {
		p.mu.Lock()
		if !p.polling && len(p.free) > 0 {
			offer := p.free
			p.free = nil
			p.polling = true
			p.mu.Unlock()
			return offer, true
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-changed:
		}
	}
}

// grant ends the caller's poll: it keeps need of the offered devices for
// the granted trial and gives the rest back. A need larger than the offer
// keeps nothing and returns a reason to fail the trial.
func (p *gpuPool) grant(offer []string, need int) ([]string, string) {
	if need > len(offer) {
		p.put(offer, true)
		return nil, fmt.Sprintf("the trial needs %d GPUs; this worker slot offered %d", need, len(offer))
	}
	p.put(offer[need:], true)
	return offer[:need], ""
}

// put gives devices back; endPoll also ends the caller's poll.
func (p *gpuPool) put(devs []string, endPoll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, devs...)
	slices.SortFunc(p.free, func(a, b string) int { return p.order[a] - p.order[b] })
	if endPoll {
		p.polling = false
	}
	p.notify()
}

// giveBack ends a poll that brought no trial. A nil pool does nothing.
func (p *gpuPool) giveBack(offer []string) {
	if p != nil {
		p.put(offer, true)
	}
}
