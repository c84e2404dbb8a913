package trainer

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/trainer/refsol"
)

// Snapshot size: every result keeps the prediction on at most
// SnapshotNX × SnapshotNT points of the evaluation grid (about 17 kB of
// JSON), enough to draw the trial's solution figure without retraining.
const (
	SnapshotNX = 64
	SnapshotNT = 51
)

// Snapshot is the predicted solution on a sub-grid of the NX × NT
// evaluation grid: U[k·len(XI) + j] is û at x = grid x of column XI[j] and
// t = grid t of row TI[k]. The sub-grid always holds t = 0 and t = 1.
type Snapshot struct {
	// GridNX and GridNT are the evaluation grid the indices refer to.
	GridNX int `json:"grid_nx"`
	GridNT int `json:"grid_nt"`
	// XI and TI are the grid column and row indices of the sub-grid.
	XI []int `json:"xi"`
	TI []int `json:"ti"`
	// U is the prediction, rounded to float32.
	U Float32s `json:"u"`
}

// X returns the x coordinates of the sub-grid's columns.
func (s *Snapshot) X() []float64 { return s.coords(s.XI, refsol.Grid.X) }

// T returns the t coordinates of the sub-grid's rows.
func (s *Snapshot) T() []float64 { return s.coords(s.TI, refsol.Grid.T) }

func (s *Snapshot) coords(idx []int, at func(refsol.Grid, int) float64) []float64 {
	g := refsol.Grid{NX: s.GridNX, NT: s.GridNT}
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = at(g, i)
	}
	return out
}

// Validate checks the snapshot's shape and indices. The grid may have at
// most refsol.MaxPoints points; its size is compared by division, so a
// snapshot from an untrusted result cannot overflow it.
func (s *Snapshot) Validate() error {
	switch {
	case s.GridNX < 1 || s.GridNT < 2:
		return fmt.Errorf("snapshot grid %d × %d: too small", s.GridNX, s.GridNT)
	case s.GridNX > refsol.MaxPoints/s.GridNT:
		return fmt.Errorf("snapshot grid %d × %d: more than %d points", s.GridNX, s.GridNT, refsol.MaxPoints)
	case len(s.U) != len(s.XI)*len(s.TI):
		return fmt.Errorf("snapshot has %d values for a %d × %d sub-grid", len(s.U), len(s.XI), len(s.TI))
	}
	for _, j := range s.XI {
		if j < 0 || j >= s.GridNX {
			return fmt.Errorf("snapshot x index %d outside the grid's %d columns", j, s.GridNX)
		}
	}
	for _, i := range s.TI {
		if i < 0 || i >= s.GridNT {
			return fmt.Errorf("snapshot t index %d outside the grid's %d rows", i, s.GridNT)
		}
	}
	return nil
}

// subIndices returns n indices spread evenly over 0..size-1, first and
// last included (all of them when size ≤ n).
func subIndices(size, n int) []int {
	if size <= n {
		n = size
	}
	out := make([]int, n)
	for k := range out {
		if n > 1 {
			out[k] = int(math.Round(float64(k) * float64(size-1) / float64(n-1)))
		}
	}
	return out
}

// newSnapshot samples the full-grid field f (row-major by t) on the sub-grid.
func newSnapshot(nx, nt int, f []float64) *Snapshot {
	s := &Snapshot{GridNX: nx, GridNT: nt, XI: subIndices(nx, SnapshotNX), TI: subIndices(nt, SnapshotNT)}
	s.U = make(Float32s, 0, len(s.XI)*len(s.TI))
	for _, i := range s.TI {
		for _, j := range s.XI {
			s.U = append(s.U, float32(f[i*nx+j]))
		}
	}
	return s
}

// Sample returns the full-grid field f (row-major by t, GridNX × GridNT)
// at the snapshot's points, in the order of U.
func (s *Snapshot) Sample(f []float64) ([]float64, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(f) != s.GridNX*s.GridNT {
		return nil, fmt.Errorf("field has %d values, want %d × %d", len(f), s.GridNX, s.GridNT)
	}
	out := make([]float64, 0, len(s.U))
	for _, i := range s.TI {
		for _, j := range s.XI {
			out = append(out, f[i*s.GridNX+j])
		}
	}
	return out, nil
}

// ExactAt returns the reference solution of cfg at the snapshot's points,
// in the order of U: what a trial's figures compare its prediction with.
// cfg is the trial's configuration as submitted (DecodeParams of its
// stored params), never the one a worker reports inside its result: it
// must pass Validate, which bounds its grid (MaxGridPoints) and so the
// work, and the snapshot must lie on its grid.
func (s *Snapshot) ExactAt(cfg Config) ([]float64, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.GridNX != cfg.NX || s.GridNT != cfg.NT {
		return nil, fmt.Errorf("the snapshot's grid %d × %d is not the trial's %d × %d", s.GridNX, s.GridNT, cfg.NX, cfg.NT)
	}
	full, err := Exact(cfg)
	if err != nil {
		return nil, err
	}
	return s.Sample(full)
}

// Exact returns the reference solution of cfg on its full NX × NT grid,
// row-major by t: what a result's metrics were measured against. Reports
// sample it with Snapshot.Sample.
func Exact(cfg Config) ([]float64, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config: %w", err)
	}
	u, err := refsol.Solve(cfg.refProblem(), cfg.grid())
	if err != nil {
		return nil, fmt.Errorf("reference solution: %w", err)
	}
	return u, nil
}

// Float32s is a float32 slice that marshals to JSON as the base64 of its
// little-endian IEEE 754 bytes (4 bytes a value instead of ~10 characters).
type Float32s []float32

// MarshalJSON encodes the values as a base64 string.
func (f Float32s) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON decodes a base64 string written by MarshalJSON.
func (f *Float32s) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("float32 values: want a base64 string: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("float32 values: %w", err)
	}
	if len(b)%4 != 0 {
		return fmt.Errorf("float32 values: %d bytes is not a multiple of 4", len(b))
	}
	out := make(Float32s, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	*f = out
	return nil
}
