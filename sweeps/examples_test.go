package sweeps

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// expansionText renders an expansion for a golden file: one line per
// trial with its index, key, point and canonical params.
func expansionText(file string, trials []Trial) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s: %d trials\n# index key point params\n", file, len(trials))
	for _, tr := range trials {
		point, _ := tr.Point.MarshalJSON()
		fmt.Fprintf(&b, "%d %s %s %s\n", tr.Index, tr.Key, point, CanonicalJSON(tr.Params))
	}
	return b.Bytes()
}

// checkGolden compares got with the golden file, or rewrites it with
// -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -update if the change is intended)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: got %d lines, want %d (run go test -update if the change is intended)", golden, len(gl), len(wl))
	}
}

func TestExamples(t *testing.T) {
	tests := []struct {
		file     string
		validate func(string, any) error
		trials   int
		seconds  float64
	}{
		{"convection-beta.yaml", strategyValidator, 36, 2400},
		{"reaction-diffusion.yaml", strategyValidator, 36, 600},
		{"convection-precision.yaml", strategyValidator, 72, 10800},
		// quick.yaml is run end to end against the real trainer, so it
		// must use current trainer settings only.
		{"quick.yaml", trainerValidator, 4, 60},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("examples", tt.file)
			s, err := ParseFile(path, Options{Validate: tt.validate})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := s.Size(); err != nil || n != tt.trials {
				t.Errorf("Size() = %d, %v; want %d, nil", n, err, tt.trials)
			}
			if s.Budget.Seconds != tt.seconds {
				t.Errorf("Budget.Seconds = %v, want %v", s.Budget.Seconds, tt.seconds)
			}
			if s.MaxAttempts() != 1+DefaultRetries {
				t.Errorf("MaxAttempts() = %d, want %d", s.MaxAttempts(), 1+DefaultRetries)
			}
			trials, err := s.Expand()
			if err != nil {
				t.Fatal(err)
			}
			if len(trials) != tt.trials {
				t.Fatalf("Expand() gave %d trials, want %d", len(trials), tt.trials)
			}
			for _, tr := range trials {
				if _, ok := tr.Params["max_seconds"]; ok {
					t.Errorf("trial %d: budget.seconds leaked into params as max_seconds", tr.Index)
				}
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(tt.file, ".yaml")+".golden")
			checkGolden(t, golden, expansionText(tt.file, trials))
		})
	}
}
