package sweeps

import (
	"slices"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// VerdictMetric returns what the spec's trials are judged by, in
// refinement and in every report of the sweep (the report, the dashboard,
// run's summary): the result field named by the spec's metric key
// (MetricName, rel_l2 by default), its goal (Direction: minimised unless
// goal: max) and the spec's failure threshold (Threshold). It is the one
// place where a spec's metric, goal and failure_threshold become a
// verdict.Metric.
func (s *Spec) VerdictMetric() verdict.Metric {
	goal := verdict.Minimize
	if s.Direction() == GoalMax {
		goal = verdict.Maximize
	}
	return verdict.Metric{Name: s.MetricName(), Goal: goal, Threshold: s.Threshold()}
}

// PointVerdict is one grid point of a sweep, its seed aside, and what its
// replicates say as refinement reads them.
type PointVerdict struct {
	// Point is the point's coordinates in axis order, without the seed.
	Point Point
	// Judgement is the verdict of the point's replicates (the spec's
	// seeds; a missing one is open).
	Judgement verdict.Judgement
}

// Verdicts returns the verdict of every grid point found in obs, as
// Refinements and Brackets judge it, in the canonical order of the
// points' coordinates. Observations whose point does not match the spec's
// axes are left out.
func (s *Spec) Verdicts(obs []Observation) []PointVerdict {
	pts := s.observe(obs)
	ids := make([]string, 0, len(pts))
	for id := range pts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]PointVerdict, 0, len(ids))
	for _, id := range ids {
		p := pts[id]
		pt := make(Point, len(s.Axes))
		for i, a := range s.Axes {
			pt[i] = Coord{Axis: a.Name, Value: p.coords[i]}
		}
		out = append(out, PointVerdict{Point: pt, Judgement: p.judgement})
	}
	return out
}
