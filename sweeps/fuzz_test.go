package sweeps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fuzzLimit keeps fuzzed grids small.
const fuzzLimit = 200

// sentinels are the errors every Parse error must wrap one of.
var sentinels = []error{
	ErrSyntax, ErrUnknownKey, ErrMissing, ErrType, ErrValue,
	ErrSetting, ErrConflict, ErrTooManyTrials, ErrTooLarge,
}

// FuzzParse parses arbitrary text: Parse must not panic or hang, must
// classify every error, and must return only specs whose expansion is
// consistent. The seed corpus is in testdata/fuzz/FuzzParse, plus the
// examples.
func FuzzParse(f *testing.F) {
	examples, _ := filepath.Glob(filepath.Join("examples", "*.yaml"))
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(commandSpec))
	opts := Options{
		MaxTrials: fuzzLimit,
		Validate: func(key string, value any) error {
			if value == "bad" {
				return fmt.Errorf("setting %q: bad value", key)
			}
			return nil
		},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, opts)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if !namePattern.MatchString(s.Name) || len(s.Name) > MaxNameLen {
			t.Errorf("invalid name %q accepted", s.Name)
		}
		checkExpansion(t, s)
	})
}

// FuzzExpand parses specs built around fuzzed ranges, bundles and seeds
// and checks their expansion. The seed corpus is in
// testdata/fuzz/FuzzExpand.
func FuzzExpand(f *testing.F) {
	f.Add(false, 0.0, 1.0, uint16(11), uint8(2), "curriculum", 0.5, int64(3))
	f.Add(true, -3.0, 0.0, uint16(4), uint8(1), "", 1e-3, int64(0))
	f.Fuzz(func(t *testing.T, logspace bool, start, stop float64, n uint16, reps uint8, label string, x float64, seed int64) {
		kind := Linspace
		if logspace {
			kind = Logspace
		}
		src := fmt.Sprintf(`name: fuzz
fixed: {pde: convection}
axes:
  v: {%s: [%s, %s, %d]}
  s:
    - regular
    - {label: %s, strategy: curriculum, x: %s}
    - {y: %s}
replicates: %s
`, kind, fmtFloat(start), fmtFloat(stop), n, strconv.Quote(label), fmtFloat(x), fmtFloat(x), fmtReplicates(reps, seed))
		s, err := Parse("fuzz.yaml", []byte(src), Options{MaxTrials: fuzzLimit})
		if err != nil {
			checkParseError(t, err)
			return
		}
		checkExpansion(t, s)
		// Range values are distinct and, for a linspace, ordered from
		// start to stop.
		values := s.Axes[0].Values
		for i := 1; i < len(values); i++ {
			a, b := values[i-1].Value.(float64), values[i].Value.(float64)
			if a == b || (kind == Linspace && (a < b) != (start < stop)) {
				t.Errorf("%s [%v, %v, %d]: values %d and %d are %v, %v", kind, start, stop, n, i-1, i, a, b)
			}
		}
	})
}

// fmtFloat formats a float for YAML; non-finite values become strings the
// parser rejects.
func fmtFloat(x float64) string {
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// fmtReplicates formats replicates as a count or, for odd reps, a list of
// seeds around seed.
func fmtReplicates(reps uint8, seed int64) string {
	if reps%2 == 0 {
		return strconv.Itoa(int(reps / 2))
	}
	return fmt.Sprintf("[%d, %d]", seed, seed/2)
}

// checkParseError checks that a Parse error is classified and located.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok && !isError(err) {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var pe *Error
		if !errors.As(e, &pe) || pe.File != "fuzz.yaml" {
			t.Errorf("error %q is not an *Error of fuzz.yaml", e)
			continue
		}
		classified := false
		for _, s := range sentinels {
			classified = classified || errors.Is(e, s)
		}
		if !classified || pe.Msg == "" && pe.Err == nil {
			t.Errorf("error %q is unclassified or empty", e)
		}
	}
}

// isError reports whether err is an *Error.
func isError(err error) bool {
	_, ok := err.(*Error)
	return ok
}

// checkExpansion checks the invariants of a valid spec's expansion.
func checkExpansion(t *testing.T, s *Spec) {
	t.Helper()
	n, err := s.Size()
	if err != nil || n > s.MaxTrials {
		t.Fatalf("Size() = %d, %v with MaxTrials %d", n, err, s.MaxTrials)
	}
	trials, err := s.Expand()
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	if len(trials) != n {
		t.Fatalf("Expand gave %d trials, Size %d", len(trials), n)
	}
	keys := make(map[string]bool, n)
	for i, tr := range trials {
		if tr.Index != i || tr.Key != Key(tr.Params) || keys[tr.Key] {
			t.Fatalf("trial %d: Index %d, Key %s (params key %s, seen %v)", i, tr.Index, tr.Key, Key(tr.Params), keys[tr.Key])
		}
		keys[tr.Key] = true
		// A command's placeholders all name params of every trial.
		if !s.Runner.Builtin() {
			if _, _, err := s.Runner.Expand(tr.Params); err != nil && !strings.Contains(err.Error(), "after expansion") {
				t.Fatalf("trial %d: %v", i, err)
			}
		}
		// The trial's place in the grid: seeds innermost, the last
		// axis fastest.
		seeds := s.seeds()
		rest := i / len(seeds)
		if tr.Seed != seeds[i%len(seeds)] || tr.Params[SeedKey] != tr.Seed {
			t.Fatalf("trial %d: seed %d, want %d", i, tr.Seed, seeds[i%len(seeds)])
		}
		if len(tr.Point) != len(s.Axes)+1 || tr.Point[len(s.Axes)] != (Coord{SeedKey, tr.Seed}) {
			t.Fatalf("trial %d: point %v", i, tr.Point)
		}
		for j := len(s.Axes) - 1; j >= 0; j-- {
			a := s.Axes[j]
			v := a.Values[rest%len(a.Values)]
			rest /= len(a.Values)
			if tr.Point[j].Axis != a.Name || canonicalString(tr.Point[j].Value) != canonicalString(v.Value) {
				t.Fatalf("trial %d: point %v, want %s=%v", i, tr.Point, a.Name, v.Value)
			}
			for _, st := range v.Settings {
				if canonicalString(tr.Params[st.Key]) != canonicalString(st.Value) {
					t.Fatalf("trial %d: param %s=%v, want %v", i, st.Key, tr.Params[st.Key], st.Value)
				}
			}
		}
		data, err := tr.Point.MarshalJSON()
		var back Point
		if err != nil || back.UnmarshalJSON(data) != nil || canonicalString(back) != canonicalString(tr.Point) {
			t.Fatalf("trial %d: point %v does not round-trip through %s", i, tr.Point, data)
		}
	}
	if err := s.Compatible(s); err != nil {
		t.Fatalf("Compatible with itself: %v", err)
	}
}

// FuzzPlaceholders checks the placeholder syntax: scanning never panics,
// Placeholders and ExpandPlaceholders agree on what is valid, doubling
// every brace of any text makes a template that expands back to the text,
// and a valid template's expansion contains no placeholder of its own.
func FuzzPlaceholders(f *testing.F) {
	for _, s := range []string{"{beta}", "--lr={lr}", "{{x}}", "}}{{", "{", "}", "{a.b-c_d}", "{ beta }", "{{{seed}}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := Placeholders(s)
		params := make(map[string]any, len(names))
		for _, n := range names {
			params[n] = "v"
		}
		got, xerr := ExpandPlaceholders(s, params)
		if (err == nil) != (xerr == nil) {
			t.Fatalf("%q: Placeholders error %v, ExpandPlaceholders error %v", s, err, xerr)
		}
		if err != nil && !errors.Is(err, ErrValue) {
			t.Fatalf("%q: error %v does not wrap ErrValue", s, err)
		}
		if err == nil && len(got) > len(s)+len(names) {
			t.Fatalf("%q expanded to %q", s, got)
		}
		escaped := strings.NewReplacer("{", "{{", "}", "}}").Replace(s)
		if back, err := ExpandPlaceholders(escaped, nil); err != nil || back != s {
			t.Fatalf("escaped %q expanded to %q, %v", escaped, back, err)
		}
	})
}
