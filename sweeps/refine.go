package sweeps

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// Observation is one existing trial of a sweep as refinement sees it.
type Observation struct {
	// Point is the trial's point, seed last (as Expand made it or as
	// decoded from JSON).
	Point Point
	// Outcome is what the trial says (verdict.Classify).
	Outcome verdict.Outcome
}

// Bracket states.
const (
	// BracketConverged: the bracket is at most the rule's tolerance wide.
	BracketConverged = "converged"
	// BracketMaxDepth: the bracket is wider than the tolerance but its
	// interval of the grid has been bisected max_depth times (or cannot be
	// split further in floating point).
	BracketMaxDepth = "max-depth"
	// BracketRefining: a point inside the bracket is pending or is about
	// to be added.
	BracketRefining = "refining"
	// BracketBlocked: a point inside the bracket ended void (failed or
	// cancelled); requeueing it lets refinement go on.
	BracketBlocked = "blocked"
)

// Bracket is a transition of a refined axis: two values, neighbours among
// the values whose verdict is known, one a success and the other a failure,
// with every other axis equal. For a PINN sweep over β the upper end of
// the regular strategy's bracket is the smallest β found to fail, and the
// critical coefficient β* lies between Lower and Upper.
type Bracket struct {
	// Axis is the refined axis.
	Axis string
	// Others are the coordinates of the other axes, in axis order.
	Others Point
	// Lower and Upper are the bracket's ends, Lower < Upper.
	Lower, Upper float64
	// LowerVerdict and UpperVerdict are the verdicts at Lower and Upper
	// (one verdict.Pass, the other verdict.Fail).
	LowerVerdict, UpperVerdict verdict.Verdict
	// LowerMedian and UpperMedian are the medians the verdicts rest on
	// at each end (verdict.Judgement.Score: ±Inf when diverged or
	// timed-out replicates make up the median).
	LowerMedian, UpperMedian float64
	// Depth is the number of bisections of the grid interval that gave
	// this bracket (0: two grid values).
	Depth int
	// Status is BracketConverged, BracketMaxDepth, BracketRefining or
	// BracketBlocked.
	Status string
}

// Width returns Upper - Lower.
func (b Bracket) Width() float64 { return b.Upper - b.Lower }

// String returns the bracket as "beta in [20, 25] strategy=regular: converged".
func (b Bracket) String() string {
	others := ""
	if len(b.Others) > 0 {
		others = " " + b.Others.String()
	}
	return fmt.Sprintf("%s in [%s, %s]%s: %s", b.Axis, canonicalString(b.Lower), canonicalString(b.Upper), others, b.Status)
}

// Refinements returns the trials that the spec's refine rules add, given
// the sweep's existing trials (obs, in any order). It is a pure function
// of its arguments: the same observations give the same trials, in the
// same order, in every process, so that a coordinator may call it after
// every change, or again after a restart, and add only the trials whose
// keys it does not hold yet.
//
// For each rule, and for each combination of the other axes' values found
// in obs, the values of the rule's axis (the grid's and those added by
// earlier refinement) are sorted and each point gets a verdict from its
// replicates, the spec's seeds (verdict.Metric.Judge with the spec's
// Metric: the median against the threshold). Where two neighbouring values both have a known verdict and
// the verdicts differ, the midpoint is added, with every seed, unless the
// bracket is at most the rule's Tolerance wide, or the grid interval it
// lies in has already been bisected MaxDepth times, or the midpoint does
// not differ from both ends in floating point. A pending or void
// neighbour stops refinement there until it is known (and is the reason
// Brackets reports a bracket as refining or blocked).
//
// Midpoints are (a+b)/2 rounded to 15 significant digits (as range values
// are), so repeated bisection of the same bracket always yields the same
// value and key. A refined point keeps the other axes' values, so its
// trials have the params of a grid trial with the axis value replaced.
//
// Refinements also returns the trials of refined points that lack a seed
// of the spec (after a spec grew its replicates). It adds whole points
// only, and none once the sweep would exceed its trial limit (max_trials)
// counting the observed trials.
func (s *Spec) Refinements(obs []Observation) ([]Trial, error) {
	if len(s.Refine) == 0 {
		return nil, nil
	}
	pts := s.observe(obs)
	room := s.limit() - len(obs)
	seeds := s.seeds()
	nparams := s.paramCount()
	var out []Trial
	addPoint := func(values []*AxisValue, missing []int64) {
		if len(missing) > room {
			return
		}
		room -= len(missing)
		for _, seed := range missing {
			params, point := s.trialOf(values, seed, nparams)
			out = append(out, Trial{Index: len(out), Key: Key(params), Params: params, Point: point, Seed: seed})
		}
	}
	for _, r := range s.Refine {
		ai := s.axisIndex(r.Axis)
		if ai < 0 {
			return nil, fmt.Errorf("%w: refine axis %q is not an axis", ErrValue, r.Axis)
		}
		for _, g := range s.groups(pts, ai) {
			// Refined points that lack seeds.
			for _, p := range g.line {
				if p.grid || len(p.seeds) == len(seeds) {
					continue
				}
				var missing []int64
				for _, seed := range seeds {
					if _, ok := p.seeds[seed]; !ok {
						missing = append(missing, seed)
					}
				}
				addPoint(g.values(ai, p.x), missing)
			}
			for i := 0; i+1 < len(g.line); i++ {
				a, b := g.line[i], g.line[i+1]
				if !verdict.Opposite(a.verdict, b.verdict) {
					continue
				}
				if b.x-a.x <= r.Tolerance || g.depth(a.x, b.x) >= r.MaxDepth {
					continue
				}
				mid := midpoint(a.x, b.x)
				if mid <= a.x || mid >= b.x {
					continue
				}
				addPoint(g.values(ai, mid), seeds)
			}
		}
	}
	return out, nil
}

// Brackets returns the transitions of every refined axis found in obs
// (see Bracket), by rule, then by the other axes' coordinates in the order
// of their values in the spec, then by Lower. A combination of the other
// axes without a transition (all successes, all failures, or too few known
// points) has no bracket.
func (s *Spec) Brackets(obs []Observation) []Bracket {
	if len(s.Refine) == 0 {
		return nil
	}
	pts := s.observe(obs)
	var out []Bracket
	for _, r := range s.Refine {
		ai := s.axisIndex(r.Axis)
		if ai < 0 {
			continue
		}
		for _, g := range s.groups(pts, ai) {
			var known []*refPoint
			for _, p := range g.line {
				if p.verdict.Known() {
					known = append(known, p)
				}
			}
			for i := 0; i+1 < len(known); i++ {
				a, b := known[i], known[i+1]
				if a.verdict == b.verdict {
					continue
				}
				br := Bracket{
					Axis: r.Axis, Others: g.others,
					Lower: a.x, Upper: b.x,
					LowerVerdict: a.verdict, UpperVerdict: b.verdict,
					LowerMedian: a.median, UpperMedian: b.median,
					Depth: g.depth(a.x, b.x),
				}
				mid := midpoint(a.x, b.x)
				switch {
				case b.x-a.x <= r.Tolerance:
					br.Status = BracketConverged
				case g.between(a.x, b.x, verdict.Void):
					br.Status = BracketBlocked
				case g.between(a.x, b.x, verdict.Pending):
					br.Status = BracketRefining
				case br.Depth >= r.MaxDepth || mid <= a.x || mid >= b.x:
					br.Status = BracketMaxDepth
				default:
					br.Status = BracketRefining // its midpoint is due
				}
				out = append(out, br)
			}
		}
	}
	return out
}

// midpoint returns (a+b)/2 rounded to 15 significant digits.
func midpoint(a, b float64) float64 {
	return round15(a + (b-a)/2)
}

// refPoint is one grid point (seed aside) with its replicates' verdict.
type refPoint struct {
	coords    []any // the axis values (bundle labels), in axis order
	x         float64
	grid      bool // the refined axis's value is one of the spec's
	seeds     map[int64]verdict.Outcome
	verdict   verdict.Verdict
	median    float64 // the Judgement's Score
	judgement verdict.Judgement
}

// observe groups obs by point (seed aside) and gives each point its
// verdict. Points whose coordinates do not match the spec's axes are
// dropped.
func (s *Spec) observe(obs []Observation) map[string]*refPoint {
	pts := map[string]*refPoint{}
	for _, o := range obs {
		if len(o.Point) != len(s.Axes)+1 {
			continue
		}
		seed, ok := o.Point[len(s.Axes)].Value.(int64)
		if !ok || o.Point[len(s.Axes)].Axis != SeedKey {
			continue
		}
		coords := make([]any, len(s.Axes))
		for i, a := range s.Axes {
			if o.Point[i].Axis != a.Name {
				coords = nil
				break
			}
			coords[i] = o.Point[i].Value
		}
		if coords == nil {
			continue
		}
		id := canonicalString(coords)
		p := pts[id]
		if p == nil {
			p = &refPoint{coords: coords, seeds: map[int64]verdict.Outcome{}}
			pts[id] = p
		}
		p.seeds[seed] = o.Outcome
	}
	metric := s.VerdictMetric()
	outcomes := make([]verdict.Outcome, 0, len(s.seeds()))
	for _, p := range pts {
		// A seed of the spec that the point lacks is still to run.
		outcomes = outcomes[:0]
		for _, seed := range s.seeds() {
			o, ok := p.seeds[seed]
			if !ok {
				o = verdict.Open()
			}
			outcomes = append(outcomes, o)
		}
		j := metric.Judge(outcomes)
		p.verdict, p.median, p.judgement = j.Verdict, j.Score, j
	}
	return pts
}

// refGroup is the points of one combination of the other axes' values,
// sorted by the refined axis's value.
type refGroup struct {
	s      *Spec
	others Point        // the other axes' coordinates
	base   []*AxisValue // the axis values of the other axes (the refined axis's slot unset)
	line   []*refPoint
	grid   []float64 // the refined axis's grid values, sorted
}

// groups splits pts by the values of every axis but ai, in the order of
// the other axes' values in the spec. Points with a coordinate that is not
// a value of its axis, or a non-numeric value of axis ai, are dropped.
func (s *Spec) groups(pts map[string]*refPoint, ai int) []*refGroup {
	grid := make([]float64, 0, len(s.Axes[ai].Values))
	for _, v := range s.Axes[ai].Values {
		if x, ok := Number(v.Value); ok {
			grid = append(grid, x)
		}
	}
	slices.Sort(grid)
	// The index of each axis value by its canonical form.
	valueIndex := make([]map[string]int, len(s.Axes))
	for i, a := range s.Axes {
		valueIndex[i] = make(map[string]int, len(a.Values))
		for j, v := range a.Values {
			valueIndex[i][canonicalString(v.Value)] = j
		}
	}
	byID := map[string]*refGroup{}
	keys := map[string][]int{}
	for _, p := range pts {
		x, ok := Number(p.coords[ai])
		if !ok {
			continue
		}
		p.x = x
		_, p.grid = slices.BinarySearch(grid, x)
		base := make([]*AxisValue, len(s.Axes))
		idx := make([]int, 0, len(s.Axes)-1)
		others := make(Point, 0, len(s.Axes)-1)
		for i, a := range s.Axes {
			if i == ai {
				continue
			}
			j, ok := valueIndex[i][canonicalString(p.coords[i])]
			if !ok {
				base = nil
				break
			}
			base[i] = &a.Values[j]
			idx = append(idx, j)
			others = append(others, Coord{Axis: a.Name, Value: a.Values[j].Value})
		}
		if base == nil {
			continue
		}
		id := canonicalString(idx)
		g := byID[id]
		if g == nil {
			g = &refGroup{s: s, others: others, base: base, grid: grid}
			byID[id] = g
			keys[id] = idx
		}
		g.line = append(g.line, p)
	}
	out := make([]*refGroup, 0, len(byID))
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return slices.Compare(keys[a], keys[b]) })
	for _, id := range ids {
		g := byID[id]
		slices.SortFunc(g.line, func(a, b *refPoint) int { return cmp.Compare(a.x, b.x) })
		out = append(out, g)
	}
	return out
}

// values returns the axis values of the group's point at x on axis ai.
func (g *refGroup) values(ai int, x float64) []*AxisValue {
	values := slices.Clone(g.base)
	name := g.s.Axes[ai].Name
	values[ai] = &AxisValue{Value: x, Settings: []Setting{{Key: name, Value: x}}}
	return values
}

// depth returns how many bisections of the grid interval that holds
// [a, b] give a bracket of b-a: round(log2(W/(b-a))) for the interval's
// width W, or 0 when [a, b] lies in no interval of the grid.
func (g *refGroup) depth(a, b float64) int {
	i, _ := slices.BinarySearch(g.grid, b) // the first grid value ≥ b
	if i == 0 || i == len(g.grid) || g.grid[i-1] > a || b <= a {
		return 0
	}
	return int(math.Round(math.Log2((g.grid[i] - g.grid[i-1]) / (b - a))))
}

// between reports whether a point strictly between a and b has verdict v.
func (g *refGroup) between(a, b float64, v verdict.Verdict) bool {
	for _, p := range g.line {
		if p.x > a && p.x < b && p.verdict == v {
			return true
		}
	}
	return false
}

// axisIndex returns the index of the named axis, or -1.
func (s *Spec) axisIndex(name string) int {
	return slices.IndexFunc(s.Axes, func(a Axis) bool { return a.Name == name })
}
