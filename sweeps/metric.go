package sweeps

import (
	"slices"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// VerdictMetric returns what the spec's trials are judged by, in refinement and
// in every report of the sweep: rel_l2, minimised, failing above the
// spec's failure threshold (Threshold).
func (s *Spec) VerdictMetric() verdict.Metric {
	return verdict.Metric{Name: verdict.DefaultName, Goal: verdict.Minimize, Threshold: s.Threshold()}
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
