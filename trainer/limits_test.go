package trainer

import (
	"context"
	"strings"
	"testing"
)

// TestResourceLimits: configurations whose grid or estimated memory is
// over the limits fail Validate (and so Train, before allocating) with a
// reason naming what is too large; the defaults and large but feasible
// ones pass.
func TestResourceLimits(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		want string // "" when valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"2048 × 2048 grid", func(c *Config) { c.NX, c.NT = 2048, 2048 }, ""},
		{"four layers of 512", func(c *Config) { c.Layers = []int{512, 512, 512, 512} }, ""},
		// Accepted by every earlier check (nx, nt ≤ 65536, NX·NT ≤
		// refsol's 2^27): workers were killed for memory.
		{"65536 × 2048 grid", func(c *Config) { c.NX, c.NT = 65536, 2048 }, "nx × nt = 65536 × 2048 = 134217728 grid points: the limit is 4194304"},
		{"4096 × 4096 grid", func(c *Config) { c.NX, c.NT = 4096, 4096 }, "16777216 grid points: the limit is 4194304"},
		{"four layers of 4096", func(c *Config) { c.Layers = []int{4096, 4096, 4096, 4096} },
			"the trial needs an estimated 55.44 GiB of memory (network and optimizer 40.90 GiB"},
		{"many points", func(c *Config) { c.NX, c.NT, c.NF = 2048, 2048, 4_000_000 }, "training points"},
		{"hessian, 1000 steps", func(c *Config) { c.Diagnostics, c.HessianSteps = []string{DiagnosticHessian}, 1000 }, ""},
		{"landscape, four layers of 512", func(c *Config) { c.Diagnostics, c.Layers = []string{DiagnosticLandscape}, []int{512, 512, 512, 512} }, ""},
		// Four layers of 512 pass without diagnostics (above), but a
		// Lanczos basis of up to 3000 steps holds 3000 vectors of 790,017
		// parameters: 17.7 GiB.
		{"four layers of 512, hessian, 1000 steps", func(c *Config) {
			c.Layers, c.Diagnostics, c.HessianSteps = []int{512, 512, 512, 512}, []string{DiagnosticHessian}, 1000
		}, "Hessian diagnostics 17.77 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.set(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if est := c.MemoryEstimate(); est > MaxMemory {
					t.Fatalf("estimate %d over the limit", est)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate: %v; want an error containing %q", err, tt.want)
			}
			if _, err := Train(context.Background(), c, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Train: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestMemoryEstimateGrows: the estimate grows with every dimension it
// covers.
func TestMemoryEstimateGrows(t *testing.T) {
	base := DefaultConfig()
	b := base.MemoryEstimate()
	for name, set := range map[string]func(*Config){
		"grid":    func(c *Config) { c.NX *= 2 },
		"points":  func(c *Config) { c.NF *= 2 },
		"width":   func(c *Config) { c.Layers = []int{100, 50, 50, 50} },
		"depth":   func(c *Config) { c.Layers = append(c.Layers, 50) },
		"history": func(c *Config) { c.History *= 2 },
		"threads": func(c *Config) { c.Threads = 4 },
		"streams": func(c *Config) { c.PDE, c.IC, c.Nu, c.Rho = "rd", "gauss", 3, 5 },
		"hessian": func(c *Config) { c.Diagnostics = []string{DiagnosticHessian} },
	} {
		c := DefaultConfig()
		set(&c)
		if e := c.MemoryEstimate(); e <= b {
			t.Errorf("%s: estimate %d, not above the default's %d", name, e, b)
		}
	}
}

// TestSnapshotOverflow: a result's snapshot whose grid size overflows an
// int (grid_nx = 2^62 + 1, grid_nt = 4: the product wraps to 4) is
// refused, and sampling it returns an error instead of panicking.
func TestSnapshotOverflow(t *testing.T) {
	s := &Snapshot{GridNX: 1<<62 + 1, GridNT: 4, XI: []int{0, 1 << 62}, TI: []int{0, 3}, U: Float32s{1, 2, 3, 4}}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "more than 134217728 points") {
		t.Fatalf("Validate: %v; want the grid refused", err)
	}
	if _, err := s.Sample(make([]float64, 4)); err == nil {
		t.Fatal("Sample of an overflowing snapshot: no error")
	}
	c := DefaultConfig()
	if _, err := s.ExactAt(c); err == nil {
		t.Fatal("ExactAt of an overflowing snapshot: no error")
	}
}

// TestExactAt: the reference solution at a snapshot's points is the full
// reference sampled there; a snapshot off the configuration's grid is
// refused.
func TestExactAt(t *testing.T) {
	c := DefaultConfig()
	full, err := Exact(c)
	if err != nil {
		t.Fatal(err)
	}
	s := newSnapshot(c.NX, c.NT, full)
	got, err := s.ExactAt(c)
	if err != nil {
		t.Fatal(err)
	}
	for k, u := range s.U {
		if float32(got[k]) != u {
			t.Fatalf("ExactAt[%d] = %v, the field there %v", k, got[k], u)
		}
	}
	other := c
	other.NX = 512
	if _, err := s.ExactAt(other); err == nil || !strings.Contains(err.Error(), "the snapshot's grid 256 × 100 is not the trial's 512 × 100") {
		t.Fatalf("ExactAt on another grid: %v", err)
	}
}
