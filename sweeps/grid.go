package sweeps

import (
	"encoding/json"
	"fmt"
)

// Grid is a spec's grid as trials by position, computed when asked: the
// coordinator submits a spec as its Grid and its store computes each new
// trial's params and point only when it writes the trial, so that a grid
// of a million trials is never expanded in memory (the Grid is the
// coordinator's state.InputSource of a submission). A Grid is safe for
// concurrent use.
type Grid struct {
	spec *Spec
	n    int
}

// Grid returns the spec's grid; an error when its size is not
// representable or exceeds the trial limit (see Size).
func (s *Spec) Grid() (*Grid, error) {
	n, err := s.Size()
	if err != nil {
		return nil, err
	}
	return &Grid{spec: s, n: n}, nil
}

// Len returns the number of trials.
func (g *Grid) Len() int { return g.n }

// Key returns the key of trial i (Spec.Trial(i).Key).
func (g *Grid) Key(i int) string { return g.spec.Trial(i).Key }

// Inputs returns the canonical params and the point of trial i.
func (g *Grid) Inputs(i int) (params, point json.RawMessage, err error) {
	return g.spec.Trial(i).Inputs()
}

// Inputs returns the trial's params as canonical JSON (CanonicalJSON) and
// its point as a JSON object in axis order, as the coordinator stores
// them.
func (t Trial) Inputs() (params, point json.RawMessage, err error) {
	pt, err := json.Marshal(t.Point)
	if err != nil {
		return nil, nil, fmt.Errorf("trial %s: encoding point: %w", t.Point, err)
	}
	return CanonicalJSON(t.Params), pt, nil
}
