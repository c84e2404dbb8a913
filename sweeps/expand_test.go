package sweeps

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"testing"
)

// mustParse parses a spec or fails the test.
func mustParse(t testing.TB, src string) *Spec {
	t.Helper()
	s, err := Parse("spec.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustExpand expands a spec or fails the test.
func mustExpand(t testing.TB, s *Spec) []Trial {
	t.Helper()
	trials, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	return trials
}

func TestExpandOrder(t *testing.T) {
	s := mustParse(t, "name: x\naxes:\n  a: [1, 2]\n  b: [x, y, z]\nreplicates: [5, 3]\n")
	trials := mustExpand(t, s)
	var got []string
	for i, tr := range trials {
		if tr.Index != i {
			t.Errorf("trial %d has Index %d", i, tr.Index)
		}
		got = append(got, tr.Point.String())
	}
	// Axes in file order, last axis fastest, seeds innermost.
	want := []string{
		"a=1 b=x seed=5", "a=1 b=x seed=3", "a=1 b=y seed=5", "a=1 b=y seed=3", "a=1 b=z seed=5", "a=1 b=z seed=3",
		"a=2 b=x seed=5", "a=2 b=x seed=3", "a=2 b=y seed=5", "a=2 b=y seed=3", "a=2 b=z seed=5", "a=2 b=z seed=3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("points:\n got %q\nwant %q", got, want)
	}
	again := mustExpand(t, mustParse(t, string(s.Source)))
	if !reflect.DeepEqual(trials, again) {
		t.Errorf("expansion is not deterministic")
	}
}

func TestExpandParams(t *testing.T) {
	s := mustParse(t, `name: x
fixed: {pde: convection, layers: [20, 20]}
axes:
  beta: [5]
  strategy:
    - {label: c5, strategy: curriculum, curriculum_start: 1}
budget: {iterations: 50, evaluations: 60, seconds: 10}
replicates: [4]
`)
	trials := mustExpand(t, s)
	if len(trials) != 1 {
		t.Fatalf("got %d trials", len(trials))
	}
	tr := trials[0]
	wantParams := map[string]any{
		"pde":              "convection",
		"layers":           []any{int64(20), int64(20)},
		"beta":             int64(5),
		"strategy":         "curriculum",
		"curriculum_start": int64(1),
		"max_iters":        int64(50),
		"max_evals":        int64(60),
		"seed":             int64(4),
	}
	if !reflect.DeepEqual(tr.Params, wantParams) {
		t.Errorf("Params = %#v,\nwant %#v", tr.Params, wantParams)
	}
	wantPoint := Point{{"beta", int64(5)}, {"strategy", "c5"}, {"seed", int64(4)}}
	if !reflect.DeepEqual(tr.Point, wantPoint) {
		t.Errorf("Point = %#v, want %#v", tr.Point, wantPoint)
	}
	if tr.Seed != 4 || tr.Key != Key(tr.Params) || len(tr.Key) != KeyLen {
		t.Errorf("Seed, Key = %d, %q (Key(Params) = %q)", tr.Seed, tr.Key, Key(tr.Params))
	}
}

// TestExpandOwnParams checks that trials do not share params or lists.
func TestExpandOwnParams(t *testing.T) {
	trials := mustExpand(t, mustParse(t, "name: x\nfixed: {layers: [20, 20]}\nreplicates: 2\n"))
	trials[0].Params["layers"].([]any)[0] = int64(99)
	trials[0].Params["nf"] = int64(1)
	if got := trials[1].Params["layers"].([]any)[0]; got != int64(20) {
		t.Errorf("trial 1 layers changed to %v", got)
	}
	if _, ok := trials[1].Params["nf"]; ok {
		t.Errorf("trial 1 shares its params map")
	}
}

func TestExpandRanges(t *testing.T) {
	tests := []struct {
		axis string
		want []any
	}{
		{"{linspace: [0, 1, 11]}", []any{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}},
		{"{linspace: [0.1, 0.2, 3]}", []any{0.1, 0.15, 0.2}},
		{"{linspace: [5, 1, 3]}", []any{5.0, 3.0, 1.0}},
		{"{linspace: [-1, 1, 3]}", []any{-1.0, 0.0, 1.0}},
		{"{linspace: [2, 7, 1]}", []any{2.0}},
		{"{linspace: [3, 3, 4]}", []any{3.0}}, // duplicates dropped
		{"{logspace: [-3, 0, 4]}", []any{0.001, 0.01, 0.1, 1.0}},
		{"{logspace: [0, 2, 5]}", []any{1.0, 3.16227766016838, 10.0, 31.6227766016838, 100.0}},
		// 10^0 and 10^(1e-15) are equal to 15 digits: one value.
		{"{logspace: [0, 1e-15, 3]}", []any{1.0}},
	}
	for _, tt := range tests {
		s := mustParse(t, "name: x\naxes:\n  v: "+tt.axis+"\n")
		trials := mustExpand(t, s)
		var got []any
		for _, tr := range trials {
			got = append(got, tr.Params["v"])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.axis, got, tt.want)
		}
		if n, err := s.Size(); n != len(tt.want) || err != nil {
			t.Errorf("%s: Size() = %d, %v; want %d", tt.axis, n, err, len(tt.want))
		}
	}
}

// TestExpandDuplicates checks that a hand-built spec with a repeated
// value yields each params once.
func TestExpandDuplicates(t *testing.T) {
	s := &Spec{
		Name: "x",
		Axes: []Axis{{Name: "beta", Values: []AxisValue{
			{Value: int64(1), Settings: []Setting{{Key: "beta", Value: int64(1)}}},
			{Value: 1.0, Settings: []Setting{{Key: "beta", Value: 1.0}}},
			{Value: int64(2), Settings: []Setting{{Key: "beta", Value: int64(2)}}},
		}}},
		Seeds: []int64{0, 1},
	}
	trials := mustExpand(t, s)
	var got []string
	for i, tr := range trials {
		if tr.Index != i {
			t.Errorf("trial %d has Index %d", i, tr.Index)
		}
		got = append(got, tr.Point.String())
	}
	want := []string{"beta=1 seed=0", "beta=1 seed=1", "beta=2 seed=0", "beta=2 seed=1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExpandEmptyAxis(t *testing.T) {
	s := &Spec{Name: "x", Axes: []Axis{{Name: "beta"}}}
	if n, err := s.Size(); n != 0 || err != nil {
		t.Errorf("Size() = %d, %v", n, err)
	}
	if trials := mustExpand(t, s); len(trials) != 0 {
		t.Errorf("got %d trials", len(trials))
	}
}

// bigSpec returns a hand-built spec of the given number of axes of 1000
// values each: a grid of 1000^axes trials.
func bigSpec(axes int) *Spec {
	s := &Spec{Name: "big"}
	for i := range axes {
		a := Axis{Name: string(rune('a' + i))}
		for j := range 1000 {
			a.Values = append(a.Values, AxisValue{Value: int64(j), Settings: []Setting{{Key: a.Name, Value: int64(j)}}})
		}
		s.Axes = append(s.Axes, a)
	}
	return s
}

func TestSizeDoesNotAllocate(t *testing.T) {
	s := mustParse(t, "name: x\naxes:\n  a: {linspace: [0, 1, 100]}\n  b: [1, 2, 3]\nreplicates: 10\n")
	var n int
	if allocs := testing.AllocsPerRun(100, func() { n, _ = s.Size() }); allocs != 0 || n != 3000 {
		t.Errorf("Size() = %d with %v allocations; want 3000 with none", n, allocs)
	}

	// A rejected grid costs a few dozen allocations for the message,
	// whatever its size.
	allocs := func(s *Spec) float64 {
		return testing.AllocsPerRun(10, func() {
			if _, err := s.Size(); !errors.Is(err, ErrTooManyTrials) {
				t.Fatalf("Size() error = %v", err)
			}
			if _, err := s.Expand(); !errors.Is(err, ErrTooManyTrials) {
				t.Fatalf("Expand() error = %v", err)
			}
		})
	}
	small, large := bigSpec(3), bigSpec(3)
	small.Seeds = make([]int64, 10)        // 10^7 trials
	large.Seeds = make([]int64, 1_000_000) // 10^15 trials
	// The count must not grow with the grid (the race detector adds a few).
	if a, b := allocs(small), allocs(large); a > 100 || b > 100 || b > a+16 {
		t.Errorf("rejecting 10^7 trials took %v allocations, 10^15 took %v", a, b)
	}
}

// TestParseHugeGrid checks that Parse rejects a huge grid without
// allocating in proportion to it.
func TestParseHugeGrid(t *testing.T) {
	for _, n := range []string{"10000000", "1000000000000", "9223372036854775807"} {
		src := []byte("name: x\naxes:\n  beta: {linspace: [0, 1, " + n + "]}\n")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Parse("s.yaml", src, Options{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooManyTrials) {
			t.Errorf("n=%s: error = %v", n, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("n=%s: Parse allocated %d bytes", n, alloc)
		}
	}
}

func BenchmarkExpand(b *testing.B) {
	s := mustParse(b, `name: bench
fixed: {pde: convection, nf: 1000, layers: [50, 50, 50, 50]}
axes:
  beta: {linspace: [1, 40, 40]}
  lambda: {logspace: [-2, 2, 5]}
  strategy: [regular, {label: c5, strategy: curriculum, curriculum_start: 5}]
replicates: 5
budget: {iterations: 5000}
`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Expand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	params := map[string]any{"pde": "convection", "beta": 30.0, "nf": int64(1000), "layers": []any{int64(50), int64(50)}, "seed": int64(2)}
	b.ReportAllocs()
	for b.Loop() {
		Key(params)
	}
}

// TestTrialMatchesExpand: Trial(i) is Expand()[i] for every position.
func TestTrialMatchesExpand(t *testing.T) {
	for _, src := range []string{
		"name: a\naxes:\n  beta: [1, 2, 3]\n  lr: [0.1, 0.01]\nreplicates: 3\n",
		"name: b\nfixed: {nf: 10}\naxes:\n  beta: {linspace: [1, 40, 5]}\n",
		"name: c\nfixed: {nf: 10}\n",
	} {
		spec, err := Parse("s.yaml", []byte(src), Options{})
		if err != nil {
			t.Fatal(err)
		}
		all, err := spec.Expand()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range all {
			got := spec.Trial(i)
			if got.Key != want.Key || got.Index != want.Index || got.Seed != want.Seed ||
				got.Point.String() != want.Point.String() || !bytes.Equal(CanonicalJSON(got.Params), CanonicalJSON(want.Params)) {
				t.Fatalf("%s: Trial(%d) = %+v, want %+v", spec.Name, i, got, want)
			}
		}
	}
}
