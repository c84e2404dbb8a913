package sweeps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// refineSpec is the convection example's grid with a refine rule on beta.
const refineSpec = `name: conv
fixed: {pde: convection}
axes:
  beta: [1, 5, 10, 20, 30, 40]
  strategy: [regular, curriculum]
replicates: 3
refine:
  - {axis: beta, tolerance: 1, max_depth: 4}
`

// stepModel returns a synthetic rel_l2 that jumps from 0.01 to 0.8 above
// the given critical beta per strategy.
func stepModel(critical map[string]float64) func(Point) Observation {
	return func(p Point) Observation {
		beta, _ := p.Get("beta")
		strategy, _ := p.Get("strategy")
		x, _ := Number(beta)
		o := Observation{Point: p, Outcome: verdict.Measured(0.01)}
		if x > critical[fmt.Sprint(strategy)] {
			o.Outcome = verdict.Measured(0.8)
		}
		return o
	}
}

// roundTrip returns p as decoded from its JSON, as a coordinator stores it.
func roundTrip(t testing.TB, p Point) Point {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out Point
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// simulate runs refinement to its fixed point: every trial finishes at
// once with the model's outcome. It returns the text of every round and
// the final observations.
func simulate(t *testing.T, s *Spec, model func(Point) Observation) (string, []Observation) {
	t.Helper()
	var b strings.Builder
	var obs []Observation
	keys := map[string]bool{}
	for _, tr := range mustExpand(t, s) {
		keys[tr.Key] = true
		obs = append(obs, model(roundTrip(t, tr.Point)))
	}
	for round := 1; ; round++ {
		if round > 50 {
			t.Fatal("refinement does not end")
		}
		add, err := s.Refinements(obs)
		if err != nil {
			t.Fatal(err)
		}
		if len(add) == 0 {
			break
		}
		fmt.Fprintf(&b, "round %d: %d trials\n", round, len(add))
		for _, tr := range add {
			if keys[tr.Key] {
				t.Fatalf("round %d adds trial %s again", round, tr.Point)
			}
			if Key(tr.Params) != tr.Key {
				t.Fatalf("trial %s: key %s, params hash to %s", tr.Point, tr.Key, Key(tr.Params))
			}
			keys[tr.Key] = true
			point, _ := tr.Point.MarshalJSON()
			fmt.Fprintf(&b, "  %s %s %s\n", tr.Key, point, CanonicalJSON(tr.Params))
			obs = append(obs, model(roundTrip(t, tr.Point)))
		}
	}
	b.WriteString("brackets:\n")
	for _, br := range s.Brackets(obs) {
		fmt.Fprintf(&b, "  %s (depth %d, medians %s %s)\n", br, br.Depth, canonicalString(br.LowerMedian), canonicalString(br.UpperMedian))
	}
	return b.String(), obs
}

func TestRefinementsGolden(t *testing.T) {
	s := mustParse(t, refineSpec)
	text, obs := simulate(t, s, stepModel(map[string]float64{"regular": 23.7, "curriculum": 35}))
	checkGolden(t, "testdata/refine-convection.golden", []byte(text))

	brs := s.Brackets(obs)
	if len(brs) != 2 {
		t.Fatalf("got %d brackets, want 2: %v", len(brs), brs)
	}
	for i, crit := range []float64{23.7, 35} {
		br := brs[i]
		if br.Status != BracketConverged || br.Lower > crit || br.Upper < crit || br.Width() > 1 {
			t.Errorf("bracket %s does not hold %v within the tolerance", br, crit)
		}
		if br.LowerVerdict != verdict.Pass || br.UpperVerdict != verdict.Fail {
			t.Errorf("bracket %s: verdicts %v, %v", br, br.LowerVerdict, br.UpperVerdict)
		}
	}
	// A second pass over the same observations adds nothing: refinement
	// is idempotent, which is what makes a restart safe.
	if add, _ := s.Refinements(obs); len(add) != 0 {
		t.Errorf("a second pass adds %d trials", len(add))
	}
}

func TestRefinementsCases(t *testing.T) {
	const base = "name: x\naxes:\n  beta: [0, 8]\nreplicates: 3\n"
	obs := func(beta any, outcomes ...any) []Observation {
		var out []Observation
		for i, o := range outcomes {
			p := Point{{Axis: "beta", Value: beta}, {Axis: SeedKey, Value: int64(i)}}
			switch o := o.(type) {
			case float64:
				out = append(out, Observation{Point: p, Outcome: verdict.Measured(o)})
			case verdict.Outcome:
				out = append(out, Observation{Point: p, Outcome: o})
			}
		}
		return out
	}
	cat := func(parts ...[]Observation) []Observation {
		var out []Observation
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	ok, bad := obs(int64(0), 0.01, 0.02, 0.03), obs(int64(8), 0.5, 0.6, 0.7)
	tests := []struct {
		name   string
		spec   string
		obs    []Observation
		points []string // the points (seed aside) of the added trials
		status string   // the only bracket's status; "" for none
	}{
		{"transition", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, bad), []string{"beta=4"}, BracketRefining},
		{"no transition", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(int64(8), 0.01, 0.01, 0.01)), nil, ""},
		{"failure then success", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(obs(int64(0), 0.5, 0.5, 0.5), obs(int64(8), 0.01, 0.01, 0.01)), []string{"beta=4"}, BracketRefining},
		{"a replicate not final", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(int64(8), 0.5, verdict.Open(), 0.7)), nil, ""},
		{"a replicate missing", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(int64(8), 0.5, 0.6)), nil, ""},
		{"a void replicate", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(int64(8), 0.5, verdict.Voided(), 0.7)), nil, ""},
		{"the median decides", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(int64(8), 0.05, verdict.Failed(), 0.07)), nil, ""},
		{"diverged and timed out fail", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(int64(8), 0.05, verdict.Failed(), verdict.Failed())), []string{"beta=4"}, BracketRefining},
		{"threshold from the spec", base + "failure_threshold: 0.8\nrefine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, bad), nil, ""},
		{"within tolerance", base + "refine: [{axis: beta, tolerance: 8, max_depth: 5}]\n",
			cat(ok, bad), nil, BracketConverged},
		{"depth reached", base + "refine: [{axis: beta, tolerance: 1, max_depth: 1}]\n",
			cat(ok, obs(int64(4), 0.5, 0.5, 0.5), bad), nil, BracketMaxDepth},
		{"midpoint pending", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(4.0, 0.5, verdict.Open(), 0.5), bad), nil, BracketRefining},
		{"midpoint void", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(4.0, 0.5, verdict.Voided(), 0.5), bad), nil, BracketBlocked},
		{"refined point missing a seed", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(4.0, 0.01, 0.01), bad), []string{"beta=4"}, BracketRefining},
		{"second level", base + "refine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, obs(4.0, 0.5, 0.5, 0.5), bad), []string{"beta=2"}, BracketRefining},
		{"trial limit", base + "max_trials: 8\nrefine: [{axis: beta, tolerance: 1, max_depth: 5}]\n",
			cat(ok, bad), nil, BracketRefining},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.spec)
			add, err := s.Refinements(tt.obs)
			if err != nil {
				t.Fatal(err)
			}
			var points []string
			for _, tr := range add {
				p := tr.Point[:len(tr.Point)-1].String()
				if len(points) == 0 || points[len(points)-1] != p {
					points = append(points, p)
				}
			}
			if fmt.Sprint(points) != fmt.Sprint(tt.points) {
				t.Errorf("added points %v, want %v", points, tt.points)
			}
			brs := s.Brackets(tt.obs)
			switch {
			case tt.status == "" && len(brs) > 0:
				t.Errorf("brackets %v, want none", brs)
			case tt.status != "" && (len(brs) != 1 || brs[0].Status != tt.status):
				t.Errorf("brackets %v, want one %s", brs, tt.status)
			}
		})
	}
}

func TestRefinementsMissingSeeds(t *testing.T) {
	// A refined point that lacks seeds 1 and 2 gets exactly those.
	s := mustParse(t, "name: x\naxes:\n  beta: [0, 8]\nreplicates: 3\nrefine: [{axis: beta, tolerance: 1, max_depth: 5}]\n")
	obs := []Observation{{Point: Point{{"beta", 4.0}, {SeedKey, int64(0)}}, Outcome: verdict.Measured(0.01)}}
	add, err := s.Refinements(obs)
	if err != nil {
		t.Fatal(err)
	}
	if len(add) != 2 || add[0].Seed != 1 || add[1].Seed != 2 {
		t.Fatalf("added %v, want seeds 1 and 2 of beta=4", add)
	}
}

func TestRefinementsNonMonotone(t *testing.T) {
	// Success, failure, success: both transitions are refined.
	s := mustParse(t, "name: x\naxes:\n  beta: [0, 10, 20]\nrefine: [{axis: beta, tolerance: 2, max_depth: 10}]\n")
	_, obs := simulate(t, s, func(p Point) Observation {
		beta, _ := p.Get("beta")
		x, _ := Number(beta)
		o := Observation{Point: p, Outcome: verdict.Measured(0.01)}
		if x > 3.3 && x < 14.2 {
			o.Outcome = verdict.Measured(0.5)
		}
		return o
	})
	brs := s.Brackets(obs)
	if len(brs) != 2 {
		t.Fatalf("brackets %v, want 2", brs)
	}
	for i, crit := range []float64{3.3, 14.2} {
		if b := brs[i]; b.Status != BracketConverged || b.Lower > crit || b.Upper < crit || b.Width() > 2 {
			t.Errorf("bracket %s does not hold %v", b, crit)
		}
	}
}

func TestRefinementsStableMidpoints(t *testing.T) {
	// Midpoints are rounded to 15 digits, so that a bracket of decimal
	// values splits at the decimal midpoint, and repeated passes agree.
	tests := []struct {
		a, b, want float64
	}{
		{0.1, 0.2, 0.15},
		{20, 30, 25},
		{22.5, 25, 23.75},
		{1e-3, 1e-2, 0.0055},
	}
	for _, tt := range tests {
		if got := midpoint(tt.a, tt.b); got != tt.want {
			t.Errorf("midpoint(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	s := mustParse(t, "name: x\naxes:\n  lr: [0.1, 0.2]\nrefine: [{axis: lr, tolerance: 0.01, max_depth: 5}]\n")
	obs := []Observation{
		{Point: Point{{"lr", 0.1}, {SeedKey, int64(0)}}, Outcome: verdict.Measured(0.01)},
		{Point: Point{{"lr", 0.2}, {SeedKey, int64(0)}}, Outcome: verdict.Failed()},
	}
	first, _ := s.Refinements(obs)
	second, _ := s.Refinements(obs)
	if len(first) != 1 || len(second) != 1 || first[0].Key != second[0].Key {
		t.Fatalf("two passes differ: %v, %v", first, second)
	}
	if got, _ := first[0].Point.MarshalJSON(); !bytes.Equal(got, []byte(`{"lr":0.15,"seed":0}`)) {
		t.Errorf("midpoint trial %s", got)
	}
}

func TestRefineFractionalCheck(t *testing.T) {
	// A refined axis whose setting takes only integers is refused at
	// parse time, naming the rule's line.
	validate := func(key string, value any) error {
		if f, ok := value.(float64); key == "nf" && ok && f != math.Trunc(f) {
			return errors.New("nf: want an integer")
		}
		return nil
	}
	_, err := Parse("spec.yaml", []byte("name: x\naxes: {nf: [100, 200]}\nrefine:\n  - {axis: nf, tolerance: 1, max_depth: 2}\n"), Options{Validate: validate})
	want := `spec.yaml:4: refine[0].axis: axis "nf" cannot be refined: its setting must accept fractional values such as 100.5: nf: want an integer`
	if err == nil || err.Error() != want || !errors.Is(err, ErrSetting) {
		t.Errorf("err = %v,\nwant %s", err, want)
	}
}

// BenchmarkRefinements measures one refinement pass over a sweep of 10 β
// values refined once × 10 other values × 10 seeds (1200 observations),
// the cost a coordinator pays each time a trial ends.
func BenchmarkRefinements(b *testing.B) {
	s := mustParse(b, "name: x\naxes:\n  beta: {linspace: [1, 10, 10]}\n  rho: {linspace: [1, 10, 10]}\nreplicates: 10\nrefine: [{axis: beta, tolerance: 0.1, max_depth: 8}]\n")
	model := func(p Point) Observation {
		beta, _ := p.Get("beta")
		x, _ := Number(beta)
		o := Observation{Point: p, Outcome: verdict.Measured(0.01)}
		if x > 5.3 {
			o.Outcome = verdict.Measured(0.5)
		}
		return o
	}
	var obs []Observation
	for _, tr := range mustExpand(b, s) {
		obs = append(obs, model(tr.Point))
	}
	add, err := s.Refinements(obs)
	if err != nil {
		b.Fatal(err)
	}
	for _, tr := range add {
		obs = append(obs, model(tr.Point))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Refinements(obs); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRefinements runs refinement to its end on a grid whose outcomes come
// from the fuzzer (noisy, non-monotone, with pending, void and failed
// trials): it must end within its depth, never propose a key twice, and
// leave no bracket that is neither converged nor explained.
func FuzzRefinements(f *testing.F) {
	f.Add(uint8(3), 0.5, uint8(2), []byte{0, 10, 200, 30, 255, 7, 1, 2, 3})
	f.Add(uint8(6), 0.01, uint8(1), []byte{100, 101, 0, 0, 250, 251})
	f.Fuzz(func(t *testing.T, depth uint8, tol float64, seeds uint8, outcomes []byte) {
		if len(outcomes) == 0 || math.IsNaN(tol) || tol <= 0 || tol > 1e6 {
			return
		}
		src := fmt.Sprintf("name: f\naxes:\n  beta: [0, 3, 10]\n  s: [a, b]\nreplicates: %d\nrefine: [{axis: beta, tolerance: %s, max_depth: %d}]\n",
			1+seeds%3, strconv.FormatFloat(tol, 'g', -1, 64), 1+depth%6)
		s, err := Parse("f.yaml", []byte(src), Options{})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		i := 0
		model := func(p Point) Observation {
			b := outcomes[i%len(outcomes)]
			i++
			switch {
			case b < 8:
				return Observation{Point: p, Outcome: verdict.Failed()}
			case b < 12:
				return Observation{Point: p, Outcome: verdict.Voided()}
			}
			return Observation{Point: p, Outcome: verdict.Measured(float64(b) / 1000)}
		}
		var obs []Observation
		keys := map[string]bool{}
		for _, tr := range mustExpand(t, s) {
			keys[tr.Key] = true
			obs = append(obs, model(tr.Point))
		}
		// Each round bisects every open bracket once, so max_depth rounds
		// add everything (a void point adds no later round).
		for round := 0; ; round++ {
			add, err := s.Refinements(obs)
			if err != nil {
				t.Fatal(err)
			}
			if len(add) == 0 {
				break
			}
			if round >= s.Refine[0].MaxDepth {
				t.Fatalf("round %d still adds %d trials", round+1, len(add))
			}
			for _, tr := range add {
				if keys[tr.Key] {
					t.Fatalf("trial %s proposed again", tr.Point)
				}
				keys[tr.Key] = true
				obs = append(obs, model(roundTrip(t, tr.Point)))
			}
		}
		for _, b := range s.Brackets(obs) {
			if b.Status == BracketRefining || b.Lower >= b.Upper || b.LowerVerdict == b.UpperVerdict {
				t.Errorf("bracket %s after refinement ended", b)
			}
		}
	})
}
