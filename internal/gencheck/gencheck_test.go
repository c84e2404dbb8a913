package gencheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generator writes a.txt ("a") and b.txt ("b") into the -o directory, or
// fails when asked to, like a package's gen_*.go.
const generator = `//go:build ignore

package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("o", ".", "")
	fail := flag.Bool("fail", false, "")
	flag.Parse()
	if *fail {
		log.Fatal("told to fail")
	}
	for _, f := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(*dir, f+".txt"), []byte(f), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
`

func TestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a generator with go run")
	}
	for _, tc := range []struct {
		name      string
		generator string            // the generator's source
		checkedIn map[string]string // the package's generated files
		want      []string          // substrings of the error; none: no error
		notWant   string            // a file the error must not name
	}{
		{name: "fresh", generator: generator, checkedIn: map[string]string{"a.txt": "a", "b.txt": "b"}},
		{name: "stale", generator: generator, checkedIn: map[string]string{"a.txt": "a", "b.txt": "old"},
			want: []string{"b.txt", "run go generate"}, notWant: "a.txt"},
		{name: "missing", generator: generator, checkedIn: map[string]string{"b.txt": "b"},
			want: []string{"a.txt (missing)", "run go generate"}, notWant: "b.txt"},
		{name: "every stale file", generator: generator, checkedIn: map[string]string{"a.txt": "x", "b.txt": "y"},
			want: []string{"a.txt, b.txt"}},
		{name: "generator fails", generator: strings.Replace(generator, `flag.Bool("fail", false`, `flag.Bool("fail", true`, 1),
			checkedIn: map[string]string{"a.txt": "a", "b.txt": "b"}, want: []string{"go run gen.go", "told to fail"}},
		{name: "writes nothing", generator: strings.Replace(generator, `"a", "b"`, "", 1),
			want: []string{"wrote no files"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg := t.TempDir()
			files := map[string]string{"go.mod": "module example.com/gen\n\ngo 1.26\n", "gen.go": tc.generator}
			for name, s := range tc.checkedIn {
				files[name] = s
			}
			for name, s := range files {
				if err := os.WriteFile(filepath.Join(pkg, name), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := check(t.Context(), pkg, "gen.go", t.TempDir())
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("check: %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("check: no error, want one naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("check: %v, want it to contain %q", err, w)
				}
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("check: %v, names %s, which is fresh", err, tc.notWant)
			}
		})
	}
}
