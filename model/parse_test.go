package model

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParse reads pan's reports in testdata/ (captured from pan 6.5.2;
// large-counts.pan has counts in pan's %g format, shortest.pan is pan
// -i's): a wrong reading could
// pass a search that failed, so every verdict and cause is pinned.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		file       string
		errors     int
		property   string
		states     int64
		trans      int64
		incomplete string
	}{
		{file: "safety-ok.pan", states: 22997, trans: 189004},
		{file: "large-counts.pan", states: 10123000, trans: 170568000},
		{file: "liveness-ok.pan", states: 17195, trans: 178470},
		{file: "assertion.pan", errors: 1, property: "no_stale_overwrite", states: 300, trans: 1252},
		{file: "shortest.pan", errors: 15, property: "no_stale_overwrite", states: 408, trans: 1720},
		{file: "acceptance.pan", errors: 1, property: "acceptance cycle", states: 8, trans: 8},
		{file: "depth-too-small.pan", states: 34, trans: 141, incomplete: "the search depth (-m) was too small"},
		{file: "memlim.pan", states: 1051216, trans: 17174607, incomplete: "pan ran out of memory (-DMEMLIM)"},
		{file: "", incomplete: "pan printed no verdict"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var out []byte
			if tc.file != "" {
				var err error
				if out, err = os.ReadFile(filepath.Join("testdata", tc.file)); err != nil {
					t.Fatal(err)
				}
			}
			o := parse(string(out))
			if o.Errors != tc.errors || o.Property != tc.property || o.States != tc.states ||
				o.Transitions != tc.trans || o.Incomplete != tc.incomplete {
				t.Errorf("parse = errors %d, property %q, %d states, %d transitions, incomplete %q; want %d, %q, %d, %d, %q",
					o.Errors, o.Property, o.States, o.Transitions, o.Incomplete,
					tc.errors, tc.property, tc.states, tc.trans, tc.incomplete)
			}
		})
	}
}
