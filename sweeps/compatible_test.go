package sweeps

import (
	"errors"
	"strings"
	"testing"
)

func TestCompatible(t *testing.T) {
	const base = `name: conv
fixed: {pde: convection, nf: 1000}
axes:
  beta: [1, 5, 10]
  rho: [1]
  strategy:
    - regular
    - {label: c5, strategy: curriculum, curriculum_start: 5}
replicates: 3
budget: {iterations: 100, seconds: 60}
`
	tests := []struct {
		name string
		edit func(string) string
		want string // "" for compatible
	}{
		{"identical", func(s string) string { return s }, ""},
		{"comments and order of fixed keys", func(s string) string {
			return strings.Replace(s, "{pde: convection, nf: 1000}", "{nf: 1000.0, pde: convection} # same", 1)
		}, ""},
		{"values added", func(s string) string {
			return strings.Replace(s, "[1, 5, 10]", "[1, 2, 5, 10, 20]", 1)
		}, ""},
		{"bundle added", func(s string) string {
			return strings.Replace(s, "    - regular\n", "    - regular\n    - seq2seq\n", 1)
		}, ""},
		{"seeds added", func(s string) string { return strings.Replace(s, "replicates: 3", "replicates: [0, 1, 2, 7]", 1) }, ""},
		{"max_trials, refine and failure_threshold", func(s string) string {
			return s + "max_trials: 100\nrefine: [{axis: beta, tolerance: 0.1, max_depth: 1}]\nfailure_threshold: 0.2\n"
		}, ""},
		{"name changed", func(s string) string { return strings.Replace(s, "name: conv", "name: conv2", 1) },
			`name changed from "conv" to "conv2"`},
		{"fixed setting changed", func(s string) string { return strings.Replace(s, "nf: 1000", "nf: 2000", 1) },
			`fixed setting "nf" changed from 1000 to 2000`},
		{"fixed setting removed and added", func(s string) string { return strings.Replace(s, "nf: 1000", "ic: sin", 1) },
			`fixed setting "nf" removed; fixed setting "ic" added with value "sin"`},
		{"axis removed", func(s string) string { return strings.Replace(s, "  rho: [1]\n", "", 1) },
			`axis "rho" removed`},
		{"axis added", func(s string) string { return strings.Replace(s, "  rho: [1]\n", "  rho: [1]\n  nu: [0]\n", 1) },
			`axis "nu" added`},
		{"axes reordered", func(s string) string {
			return strings.Replace(s, "  beta: [1, 5, 10]\n  rho: [1]\n", "  rho: [1]\n  beta: [1, 5, 10]\n", 1)
		}, `axis order changed from [beta, rho, strategy] to [rho, beta, strategy]`},
		{"value removed", func(s string) string { return strings.Replace(s, "[1, 5, 10]", "[1, 10, 20]", 1) },
			`axis "beta" value 5 removed`},
		{"values replaced by a covering range", func(s string) string {
			return strings.Replace(s, "[1, 5, 10]", "{linspace: [1, 10, 10]}", 1)
		}, ""},
		{"values replaced by a range that misses one", func(s string) string {
			return strings.Replace(s, "[1, 5, 10]", "{linspace: [0, 10, 3]}", 1)
		}, `axis "beta" value 1 removed`},
		{"bundle changed", func(s string) string { return strings.Replace(s, "curriculum_start: 5", "curriculum_start: 6", 1) },
			`axis "strategy" value "c5" changed from {"curriculum_start":5,"strategy":"curriculum"} to {"curriculum_start":6,"strategy":"curriculum"}`},
		{"seeds removed", func(s string) string { return strings.Replace(s, "replicates: 3", "replicates: [1]", 1) },
			`seeds 0, 2 removed`},
		{"budget changed", func(s string) string {
			return strings.Replace(s, "{iterations: 100, seconds: 60}", "{iterations: 200, evaluations: 10}", 1)
		}, `budget.iterations changed from 100 to 200; budget.evaluations changed from unset to 10; budget.seconds changed from 60 to unset`},
		{"retries changed", func(s string) string { return s + "retries: 5\n" },
			`retries changed from 2 to 5`},
		{"several changes", func(s string) string {
			return strings.Replace(strings.Replace(s, "nf: 1000", "nf: 2000", 1), "  rho: [1]\n", "", 1)
		}, `fixed setting "nf" changed from 1000 to 2000; axis "rho" removed`},
	}
	old := mustParse(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := mustParse(t, tt.edit(base))
			err := cur.Compatible(old)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Compatible: %v", err)
				}
				// Growth: every old trial is still in the new grid.
				keys := make(map[string]bool)
				for _, tr := range mustExpand(t, cur) {
					keys[tr.Key] = true
				}
				for _, tr := range mustExpand(t, old) {
					if !keys[tr.Key] {
						t.Errorf("old trial %s (%s) is not in the new grid", tr.Key, tr.Point)
					}
				}
				return
			}
			want := "sweeps: incompatible spec change: " + tt.want
			if err == nil || err.Error() != want || !errors.Is(err, ErrIncompatible) {
				t.Errorf("Compatible:\n got: %v\nwant: %s", err, want)
			}
		})
	}
	if err := old.Compatible(nil); !errors.Is(err, ErrIncompatible) {
		t.Errorf("Compatible(nil) = %v", err)
	}
}

func TestListed(t *testing.T) {
	items := []string{"1", "2", "3", "4", "5", "6", "7"}
	if got, want := listed("value", "values", items), "values 1, 2, 3, 4, 5 and 2 more"; got != want {
		t.Errorf("listed = %q, want %q", got, want)
	}
}
