package trainer

import (
	"context"
	"encoding/json"
	"math"
	"testing"
)

func TestSnapshotSamplesThePrediction(t *testing.T) {
	for _, pde := range []string{"convection", "rd"} {
		t.Run(pde, func(t *testing.T) {
			c := smallConfig()
			c.PDE = pde
			if pde == "rd" {
				c.IC, c.Nu, c.Rho = "gauss", 3, 5
			}
			c.MaxIters = 3
			res, f, err := TrainFields(context.Background(), c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := res.Solution
			if s == nil {
				t.Fatal("result has no solution snapshot")
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if len(s.XI) != min(c.NX, SnapshotNX) || len(s.TI) != min(c.NT, SnapshotNT) {
				t.Errorf("sub-grid %d × %d, want %d × %d", len(s.XI), len(s.TI), min(c.NX, SnapshotNX), min(c.NT, SnapshotNT))
			}
			if ts := s.T(); ts[0] != 0 || ts[len(ts)-1] != 1 {
				t.Errorf("t from %v to %v, want 0 to 1", ts[0], ts[len(ts)-1])
			}

			// The snapshot survives JSON and matches the full-grid prediction to float32 rounding.
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var back Result
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			pred, err := back.Solution.Sample(f.Pred)
			if err != nil {
				t.Fatal(err)
			}
			for k, u := range back.Solution.U {
				if d := math.Abs(float64(u) - pred[k]); d > 1e-6*math.Max(1, math.Abs(pred[k])) {
					t.Fatalf("U[%d] = %v, prediction %v", k, u, pred[k])
				}
			}

			// Exact is what the metrics were measured against.
			exact, err := Exact(c)
			if err != nil {
				t.Fatal(err)
			}
			for i := range exact {
				if exact[i] != f.Exact[i] {
					t.Fatalf("Exact[%d] = %v, fields %v", i, exact[i], f.Exact[i])
				}
			}
		})
	}
}

func TestSubIndices(t *testing.T) {
	tests := []struct {
		size, n int
		want    []int
	}{
		{1, 5, []int{0}},
		{3, 5, []int{0, 1, 2}},
		{100, 51, nil},
		{256, 64, nil},
	}
	for _, tt := range tests {
		got := subIndices(tt.size, tt.n)
		if tt.want != nil && len(got) != len(tt.want) {
			t.Errorf("subIndices(%d, %d) = %v, want %v", tt.size, tt.n, got, tt.want)
		}
		if got[0] != 0 || got[len(got)-1] != tt.size-1 {
			t.Errorf("subIndices(%d, %d) = %v: want first 0 and last %d", tt.size, tt.n, got, tt.size-1)
		}
		for k := 1; k < len(got); k++ {
			if got[k] <= got[k-1] {
				t.Errorf("subIndices(%d, %d) not increasing: %v", tt.size, tt.n, got)
			}
		}
	}
}

func TestFloat32sRejectsBadInput(t *testing.T) {
	for _, in := range []string{`[1,2]`, `"!!"`, `"AAA="`} {
		var f Float32s
		if err := json.Unmarshal([]byte(in), &f); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, f)
		}
	}
}
