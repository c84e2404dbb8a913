package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Slice is a two-axis plane of a Grid: the cells whose other axes hold
// fixed values. A grid with one axis gives one slice with a single row;
// a grid with none gives one slice of one cell.
type Slice struct {
	grid *Grid
	// X and Y are the positions in Grid.Axes of the horizontal and
	// vertical axes, or -1 for a missing axis (one column or row).
	X, Y int
	// Fixed holds the value index of every axis (those of X and Y are
	// ignored).
	Fixed []int
}

// Slices cuts g into planes over axes x and y: one slice per combination of
// the values of the other axes, in grid order. An empty x or y picks the
// first axis, in spec order, that the other does not name, preferring axes
// with more than one value (so that a one-value axis such as the
// reaction-diffusion example's ρ does not make a one-row diagram); y stays
// unset when g has a single axis.
func (g *Grid) Slices(x, y string) ([]Slice, error) {
	xi, yi, err := g.pickAxes(x, y)
	if err != nil {
		return nil, err
	}
	var out []Slice
	seen := map[string]bool{}
	for i := range g.Cells {
		fixed := append([]int(nil), g.Cells[i].Index...)
		if xi >= 0 {
			fixed[xi] = 0
		}
		if yi >= 0 {
			fixed[yi] = 0
		}
		id := fmt.Sprint(fixed)
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, Slice{grid: g, X: xi, Y: yi, Fixed: fixed})
	}
	return out, nil
}

func (g *Grid) pickAxes(x, y string) (xi, yi int, err error) {
	xi, yi = -1, -1
	if x != "" {
		if xi, err = g.AxisIndex(x); err != nil {
			return 0, 0, fmt.Errorf("--x: %w", err)
		}
	}
	if y != "" {
		if yi, err = g.AxisIndex(y); err != nil {
			return 0, 0, fmt.Errorf("--y: %w", err)
		}
	}
	if xi >= 0 && xi == yi {
		return 0, 0, fmt.Errorf("%w: x and y are both %q", ErrUnknownAxis, x)
	}
	// Defaults: the first free axes with several values, then any.
	for _, several := range []bool{true, false} {
		for k, a := range g.Axes {
			switch {
			case k == xi || k == yi || (several && len(a.Values) < 2):
			case xi < 0:
				xi = k
			case yi < 0:
				yi = k
			}
		}
	}
	return xi, yi, nil
}

// Grid returns the slice's grid.
func (s *Slice) Grid() *Grid { return s.grid }

// Dims returns the number of columns (x values) and rows (y values).
func (s *Slice) Dims() (cols, rows int) {
	return s.axisLen(s.X), s.axisLen(s.Y)
}

func (s *Slice) axisLen(k int) int {
	if k < 0 {
		return 1
	}
	return len(s.grid.Axes[k].Values)
}

// XAxis and YAxis return the slice's axes, or nil for a missing one.
func (s *Slice) XAxis() *Axis { return s.axis(s.X) }

// YAxis returns the vertical axis, or nil when the slice has one row.
func (s *Slice) YAxis() *Axis { return s.axis(s.Y) }

func (s *Slice) axis(k int) *Axis {
	if k < 0 {
		return nil
	}
	return &s.grid.Axes[k]
}

// Cell returns the cell at column i and row j.
func (s *Slice) Cell(i, j int) *Cell {
	idx := append([]int(nil), s.Fixed...)
	if s.X >= 0 {
		idx[s.X] = i
	}
	if s.Y >= 0 {
		idx[s.Y] = j
	}
	return &s.grid.Cells[s.grid.Index(idx)]
}

// Others returns the fixed axis values as "axis=value" pairs, in axis
// order ("" when the grid has at most two axes).
func (s *Slice) Others() []string {
	var out []string
	for k, a := range s.grid.Axes {
		if k != s.X && k != s.Y {
			out = append(out, a.Name+"="+a.Values[s.Fixed[k]].Label)
		}
	}
	return out
}

// PrecisionLabel says in which precision the trials of the slice were
// trained, for a figure's title: "float64", "float32", or both joined by
// " and "; "" when precision is an axis of the grid (its value is then
// in the axes or Others) or the grid has no trials.
func (s *Slice) PrecisionLabel() string {
	for _, a := range s.grid.Axes {
		if a.Name == "precision" {
			return ""
		}
	}
	var names []string
	for _, p := range s.grid.Precisions {
		switch p {
		case trainer.PrecisionF64:
			names = append(names, "float64")
		case trainer.PrecisionF32:
			names = append(names, "float32")
		default:
			names = append(names, p)
		}
	}
	return strings.Join(names, " and ")
}

// Name returns a file-name stem for the slice's phase diagram: "phase-X-Y"
// followed by the fixed values ("phase-nu-strategy-rho=5"), made of
// letters, digits and ".=_-" only.
func (s *Slice) Name() string { return s.stem("phase") }

// ClassesName returns the file-name stem of the slice's classes' diagram:
// "classes-X-Y" followed by the fixed values.
func (s *Slice) ClassesName() string { return s.stem("classes") }

// FieldName returns the file-name stem of the slice's diagram of a result
// field: "metric-FIELD-X-Y" followed by the fixed values
// ("metric-hessian_max-beta-strategy"), a FileName.
func (s *Slice) FieldName(field string) string { return s.stem("metric-" + field) }

func (s *Slice) stem(prefix string) string {
	parts := []string{prefix}
	if a := s.XAxis(); a != nil {
		parts = append(parts, a.Name)
	}
	if a := s.YAxis(); a != nil {
		parts = append(parts, a.Name)
	}
	parts = append(parts, s.Others()...)
	return FileName(strings.Join(parts, "-"))
}

// MaxFileStem bounds the length of a FileName: with the longest suffix a
// report adds ("-solution.png") it stays far below the 255 bytes a file
// name may have.
const MaxFileStem = 120

// FileName returns a file-name stem for s, made of [A-Za-z0-9.=_-] only,
// unique and stable: s itself when it is made of those and at most
// MaxFileStem bytes long; otherwise s with every other character replaced
// by '_', cut to fit, and followed by '-' and the first 12 hex digits of
// the SHA-256 of s, so that two names that differ only in replaced or cut
// characters stay apart.
func FileName(s string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '=', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
	if safe == s && len(s) <= MaxFileStem {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "-" + hex.EncodeToString(sum[:6])
	if n := MaxFileStem - len(suffix); len(safe) > n {
		safe = safe[:n] // safe is ASCII: any cut is a character boundary
	}
	return safe + suffix
}

// Bracket is the critical value along a numeric axis for one row of a
// slice: the last passing value before the first failing one.
type Bracket struct {
	// Row labels the row (the other axis's value; "" for a single row).
	Row string
	// LastPass is the label of the last passing value before the first
	// failure ("" when the first value already fails).
	LastPass string
	// FirstFail is the label of the first failing value ("" when none
	// fails).
	FirstFail string
	// PassesAfter is true when a value beyond FirstFail passes again (the
	// failure is not monotone).
	PassesAfter bool
}

// Brackets returns, for each row of s, the critical bracket along the
// numeric axis (X when it is numeric, else Y, then per column), from the
// cells' verdicts. It returns nil when neither axis is numeric.
func (s *Slice) Brackets() []Bracket {
	along, across := s.X, s.Y
	if a := s.XAxis(); a == nil || !a.Numeric {
		if b := s.YAxis(); b == nil || !b.Numeric {
			return nil
		}
		along, across = s.Y, s.X
	}
	var out []Bracket
	for r := range s.axisLen(across) {
		b := Bracket{}
		if across >= 0 {
			b.Row = s.grid.Axes[across].Values[r].Label
		}
		failed := false
		for v := range s.axisLen(along) {
			var c *Cell
			if along == s.X {
				c = s.Cell(v, r)
			} else {
				c = s.Cell(r, v)
			}
			lbl := s.grid.Axes[along].Values[v].Label
			switch c.Verdict {
			case verdict.Pass:
				if failed {
					b.PassesAfter = true
				} else {
					b.LastPass = lbl
				}
			case verdict.Fail:
				if !failed {
					b.FirstFail = lbl
					failed = true
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// AlongAxis returns the axis that Brackets scans, or nil.
func (s *Slice) AlongAxis() *Axis {
	if a := s.XAxis(); a != nil && a.Numeric {
		return a
	}
	if b := s.YAxis(); b != nil && b.Numeric {
		return b
	}
	return nil
}
