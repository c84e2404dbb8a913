// Package eta estimates how long the rest of a sweep will take from the
// durations of its finished trials, grid point by grid point, and says so
// when it cannot.
//
// A sweep's trials differ in cost by orders of magnitude (a regular PINN at
// β = 1 stops in seconds; curriculum at β = 40 runs for minutes), so a mean
// rate over the trials finished so far misleads. The estimator instead
// gives every open trial the duration of trials like it:
//
//  1. measured: the median duration of the finished trials of its own
//     grid point (the same values on every axis but the seed);
//  2. bracketed: for a point between two measured points along one numeric
//     axis (all other values equal), as refinement's midpoints are, the
//     larger of the two neighbours' medians;
//  3. extrapolated: the largest grid-point median measured for its
//     training strategy;
//  4. none: nothing like it has finished, and the ETA is unknown.
//
// The ETA is the time a list schedule of the open trials over the slots
// takes: running trials first, for what is left of their estimate, then
// the pending trials in the order the coordinator leases them (index
// order), each on the slot that frees first. The package does no I/O and
// reads no clock: callers pass durations and elapsed times.
package eta

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Coord is one axis value of a grid point.
type Coord struct {
	// Axis is the axis name.
	Axis string
	// Label is the value as displayed; equal labels are equal values.
	Label string
	// Num is the value of a numeric value, and Numeric says it is one.
	Num     float64
	Numeric bool
}

// Point is a trial's grid point: its axis values without the seed, and its
// training strategy (the trainer's strategy setting, which a bundle axis
// may set under another label).
type Point struct {
	Coords   []Coord
	Strategy string
}

// key identifies p among points of the same axes.
func (p Point) key() string {
	var b strings.Builder
	for _, c := range p.Coords {
		b.WriteString(c.Axis)
		b.WriteByte('=')
		b.WriteString(c.Label)
		b.WriteByte(0)
	}
	return b.String()
}

// keyWithout identifies p's values on every axis but k.
func (p Point) keyWithout(k int) string {
	var b strings.Builder
	for i, c := range p.Coords {
		if i == k {
			continue
		}
		b.WriteString(c.Axis)
		b.WriteByte('=')
		b.WriteString(c.Label)
		b.WriteByte(0)
	}
	return fmt.Sprintf("%d\x01%s", k, b.String())
}

// Basis says how an estimate was made; higher is weaker.
type Basis int

// Bases of an estimate.
const (
	Measured Basis = iota
	Bracketed
	Extrapolated
	None
)

// String returns the basis's name.
func (b Basis) String() string {
	return [...]string{"measured", "bracketed", "extrapolated", "none"}[b]
}

// Estimator holds the durations of finished trials. The zero value is
// empty and ready to use.
type Estimator struct {
	points map[string]*measured
	// index, built on demand, finds a point's neighbours along an axis.
	index map[string][]neighbour
	// byStrategy holds the largest grid-point median per strategy.
	byStrategy map[string]float64
}

// measured is a grid point's finished durations.
type measured struct {
	point   Point
	seconds []float64
}

func (m *measured) median() float64 {
	xs := append([]float64(nil), m.seconds...)
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// neighbour is a measured point's value on one axis and its median.
type neighbour struct {
	num, median float64
}

// Observe records that a trial of point p took seconds. Negative or NaN
// durations are ignored.
func (e *Estimator) Observe(p Point, seconds float64) {
	if !(seconds >= 0) {
		return
	}
	if e.points == nil {
		e.points = map[string]*measured{}
	}
	k := p.key()
	m := e.points[k]
	if m == nil {
		m = &measured{point: p}
		e.points[k] = m
	}
	m.seconds = append(m.seconds, seconds)
	e.index, e.byStrategy = nil, nil
}

// build indexes the measured points.
func (e *Estimator) build() {
	if e.index != nil {
		return
	}
	e.index, e.byStrategy = map[string][]neighbour{}, map[string]float64{}
	for _, m := range e.points {
		med := m.median()
		if cur, ok := e.byStrategy[m.point.Strategy]; !ok || med > cur {
			e.byStrategy[m.point.Strategy] = med
		}
		for k, c := range m.point.Coords {
			if c.Numeric {
				key := m.point.keyWithout(k)
				e.index[key] = append(e.index[key], neighbour{c.Num, med})
			}
		}
	}
	for _, ns := range e.index {
		sort.Slice(ns, func(i, j int) bool { return ns[i].num < ns[j].num })
	}
}

// Estimate returns the expected duration of a trial of point p, in
// seconds, and how it was made (None: no estimate).
func (e *Estimator) Estimate(p Point) (float64, Basis) {
	if m := e.points[p.key()]; m != nil {
		return m.median(), Measured
	}
	e.build()
	best, found := 0.0, false
	for k, c := range p.Coords {
		if !c.Numeric {
			continue
		}
		ns := e.index[p.keyWithout(k)]
		i := sort.Search(len(ns), func(i int) bool { return ns[i].num > c.Num })
		if i == 0 || i == len(ns) {
			continue // not between two measured values
		}
		found = true
		best = max(best, ns[i-1].median, ns[i].median)
	}
	if found {
		return best, Bracketed
	}
	if s, ok := e.byStrategy[p.Strategy]; ok {
		return s, Extrapolated
	}
	return 0, None
}

// Open is a trial that has not ended.
type Open struct {
	// Point is the trial's grid point.
	Point Point
	// Running is set for a trial that runs now, which has run for Elapsed.
	Running bool
	Elapsed time.Duration
}

// ETA is an estimate of the time left.
type ETA struct {
	// Left is the time left; meaningful only when Known.
	Left time.Duration
	// Known is false when some open trial has no estimate.
	Known bool
	// Basis is the weakest basis among the open trials' estimates.
	Basis Basis
	// MayGrow is set when trials not counted yet may be added (a sweep
	// that refines its failure boundary).
	MayGrow bool
}

// String formats the ETA: "unknown yet", a duration, "~" before it when
// some estimate is extrapolated from other grid points, "+" after it when
// the sweep may still grow; "0s" when nothing is open.
func (a ETA) String() string {
	if !a.Known {
		return "unknown yet"
	}
	s := a.Left.Round(time.Second).String()
	if a.Basis >= Extrapolated {
		s = "~" + s
	}
	if a.MayGrow {
		s += "+"
	}
	return s
}

// ETA returns the time the open trials take on slots slots (at least 1):
// open lists the running trials and then the pending ones in lease order.
func (e *Estimator) ETA(open []Open, slots int, mayGrow bool) ETA {
	out := ETA{Known: true, Basis: Measured, MayGrow: mayGrow}
	var free slotHeap // when each slot becomes free, in seconds from now
	var pending []float64
	for _, o := range open {
		d, basis := e.Estimate(o.Point)
		if basis == None {
			return ETA{Basis: None, MayGrow: mayGrow}
		}
		out.Basis = max(out.Basis, basis)
		if o.Running {
			// A running trial holds its slot for what is left of its
			// estimate (nothing, once it has run longer).
			free = append(free, max(d-o.Elapsed.Seconds(), 0))
		} else {
			pending = append(pending, d)
		}
	}
	for len(free) < max(slots, 1) {
		free = append(free, 0)
	}
	heap.Init(&free)
	for _, d := range pending {
		t := heap.Pop(&free).(float64)
		heap.Push(&free, t+d)
	}
	end := 0.0
	for _, t := range free {
		end = max(end, t)
	}
	out.Left = time.Duration(end * float64(time.Second))
	return out
}

// slotHeap is a min-heap of the times slots become free, in seconds.
type slotHeap []float64

func (h slotHeap) Len() int           { return len(h) }
func (h slotHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h slotHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
