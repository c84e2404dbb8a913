package sweeps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nested returns n copies of open, then inner, then n copies of close.
func nested(n int, open, inner, close string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// TestLimits: specs too large or nested too deeply are refused before the
// YAML parser sees them (its cost grows with the square of the depth), with
// an error naming the file, the line and the limit; specs within the
// limits, and text that only looks nested (in quotes, comments, block
// scalars or plain scalars), are parsed as usual.
func TestLimits(t *testing.T) {
	head := "name: deep\naxes:\n  beta: "
	blockMapping := func(n int) string {
		var b strings.Builder
		b.WriteString("name: deep\naxes:\n")
		for i := range n {
			fmt.Fprintf(&b, "%s  k%d:\n", strings.Repeat("  ", i), i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
		line int // 0: within the limits (any other outcome)
	}{
		// The probe's spec: 40,000 levels, 80 KB, took 2.5 GB to parse.
		{"flow sequence, 40000 levels", head + nested(40000, "[", "", "]") + "\n", 3},
		{"flow mapping", head + nested(1000, "{a: ", "1", "}") + "\n", 3},
		{"flow over lines", head + "[\n" + strings.Repeat("    [\n", 100) + "]\n", 3 + MaxDepth - 2},
		{"unclosed flow", head + strings.Repeat("[", 100) + "\n", 3},
		{"compact block sequence", "name: deep\naxes:\n  beta:\n    " + strings.Repeat("- ", 40000) + "1\n", 4},
		{"indented block mappings", blockMapping(100), MaxDepth + 2},
		{"flow at the limit", head + nested(MaxDepth-2, "[", "1", "]") + "\n", 0},
		{"flow past the limit", head + nested(MaxDepth-1, "[", "1", "]") + "\n", 3},
		{"block at the limit", blockMapping(MaxDepth - 1), 0},
		{"quoted brackets", head + `"` + strings.Repeat("[", 1000) + `"` + "\n", 0},
		{"single-quoted brackets", head + `'it''s ` + strings.Repeat("[", 1000) + `'` + "\n", 0},
		{"multi-line quote", head + "\"a\n" + strings.Repeat("  [[[[[[[[\n", 20) + "  b\"\n", 0},
		{"comment", head + "1 # " + strings.Repeat("[", 1000) + "\n", 0},
		{"plain scalar", head + "a" + strings.Repeat("[", 1000) + "\n", 0},
		{"block scalar", "name: deep\nfixed:\n  note: |\n" + strings.Repeat("    - - - - - - - - - - [[[[[[[[[[[[\n", 10) + "axes:\n  beta: [1]\n", 0},
		{"block scalar with indicators", "name: deep\nfixed:\n  note: |2- # c\n" + strings.Repeat("    [[[[[[[[[[[[[[[[[[[[\n", 10) + "axes:\n  beta: [1]\n", 0},
		// An invalid header (the parser reads the next lines as YAML).
		{"not a block scalar", "name: deep\nfixed:\n  a: >x\n    b: " + nested(1000, "[", "", "]") + "\n", 4},
		{"not a block scalar either", "name: deep\nfixed:\n  a: |#x\n    b: " + nested(1000, "[", "", "]") + "\n", 4},
		{"too large", "name: big\n#" + strings.Repeat("x", MaxSpecSize) + "\n", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("deep.yaml", []byte(tt.src), Options{})
			if tt.line == 0 {
				if errors.Is(err, ErrTooLarge) {
					t.Fatalf("refused as too large or deep: %v", err)
				}
				return
			}
			var pe *Error
			if !errors.Is(err, ErrTooLarge) || !errors.As(err, &pe) {
				t.Fatalf("Parse: %v; want an *Error wrapping ErrTooLarge", err)
			}
			want := fmt.Sprintf("deep.yaml:%d: collections nested more than %d levels deep (the limit)", tt.line, MaxDepth)
			if tt.line < 0 {
				want = fmt.Sprintf("deep.yaml: the spec is %d bytes; the limit is %d (1 MiB)", len(tt.src), MaxSpecSize)
			}
			if err.Error() != want {
				t.Fatalf("error %q, want %q", err, want)
			}
		})
	}
}

// TestLimitsExamples: the shipped examples are far within the limits.
func TestLimitsExamples(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d := depthScanner{}
		deepest := 0
		for _, line := range strings.Split(string(src), "\n") {
			deepest = max(deepest, d.line([]byte(line)))
		}
		if deepest > MaxDepth/4 {
			t.Errorf("%s nests %d levels by the estimate; the limit is %d", path, deepest, MaxDepth)
		}
		t.Logf("%s: %d levels", path, deepest)
	}
}
