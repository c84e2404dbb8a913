package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// hostileLabels are axis values a spec may hold (bundle labels are free
// text) that Markdown would turn into HTML, links or structure.
var hostileLabels = []string{
	`<script>alert(1)</script>`,
	`[click](javascript:alert(1))`,
	`<img src=x onerror=alert(1)>`,
	`<javascript:alert(2)>`,
	`![img](javascript:alert(3))`,
	"two\n# lines",
	`&lt;b&gt; **bold** _em_ ~~gone~~ ` + "`code`",
}

// TestSummaryEscapesMarkdown renders summary.md with a CommonMark and GFM
// renderer (goldmark, passing raw HTML and every URL through): the labels
// show as text, with no HTML element, link, image, heading or emphasis of
// theirs.
func TestSummaryEscapesMarkdown(t *testing.T) {
	var trials []state.TrialRecord
	for i, label := range hostileLabels {
		point, err := json.Marshal(map[string]any{"label": label, "seed": 0})
		if err != nil {
			t.Fatal(err)
		}
		trials = append(trials, trial(strings.Repeat("k", i+1), string(point), state.StatusDone, 0.01*float64(i+1)))
	}
	g, err := Aggregate([]string{"label", "seed"}, trials, verdict.Default())
	if err != nil {
		t.Fatal(err)
	}
	slices, err := g.Slices("", "")
	if err != nil {
		t.Fatal(err)
	}
	s := &Summary{Sweep: "hostile", Grid: g, Slices: slices,
		PhaseFiles: [][]string{{slices[0].Name() + ".png"}},
		Problems:   []string{"solution of trial k (" + hostileLabels[0] + "): bad"}}
	for i := range g.Cells {
		c := &g.Cells[i]
		s.Trials = append(s.Trials, TrialFigures{Label: g.Label(c), Replicate: c.Trials[0], Why: "median of its grid point",
			Solution: []string{"trials/" + FileName(g.Label(c)) + "-solution.png"}})
	}
	var src bytes.Buffer
	if err := WriteSummary(&src, s); err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	// Unsafe: raw HTML and any link pass through, as in renderers that do
	// not sanitise (goldmark's default drops them, hiding a missed escape).
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := md.Convert(src.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, bad := range []string{"<script", "<img src=x", "javascript:alert(1)\"", `href="javascript`, `src="javascript`,
		"<h1>lines", "<strong>bold", "<em>em", "<del>gone", "<code>code"} {
		if strings.Contains(out, bad) {
			t.Errorf("the rendered summary contains %q:\n%s\n--- from ---\n%s", bad, out, src.String())
		}
	}
	// The labels show as text, in the table of statistics.
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "[click](javascript:alert(1))",
		"&amp;lt;b&amp;gt; **bold** _em_ ~~gone~~ `code`", "two # lines"} {
		if !strings.Contains(out, want) {
			t.Errorf("the rendered summary lacks the text %q:\n%s", want, out)
		}
	}
	// Every link and image is one the report made.
	for _, m := range strings.Split(out, `href="`)[1:] {
		if dst := m[:strings.IndexByte(m, '"')]; !strings.HasPrefix(dst, "trials/") {
			t.Errorf("link to %q", dst)
		}
	}
	for _, m := range strings.Split(out, `src="`)[1:] {
		if dst := m[:strings.IndexByte(m, '"')]; !strings.HasPrefix(dst, "phase-") {
			t.Errorf("image %q", dst)
		}
	}
}

// TestFileName: names made of safe characters and short enough are kept;
// others are made safe, cut to MaxFileStem bytes, and told apart by a
// hash of the original, so that no two points share a file.
func TestFileName(t *testing.T) {
	long := "label=" + strings.Repeat("x", 240)
	tests := []struct{ in, want string }{
		{"beta=40-strategy=regular-seed=2", "beta=40-strategy=regular-seed=2"},
		{"a b", "a_b-" + FileName("a b")[4:]},
	}
	for _, tt := range tests {
		if got := FileName(tt.in); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	seen := map[string]string{}
	for _, in := range []string{"a b", "a_b", "a/b", "a\x00b", long, long + "y", long[:200], "ä", "ö", "../../etc/passwd", ""} {
		got := FileName(in)
		if len(got) > MaxFileStem || strings.Trim(got, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.=_-") != "" {
			t.Errorf("FileName(%q) = %q: too long or unsafe", in, got)
		}
		if got != FileName(in) {
			t.Errorf("FileName(%q) is not stable", in)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("FileName(%q) = FileName(%q) = %q", in, prev, got)
		}
		seen[got] = in
	}
	if got := FileName(long); !strings.HasPrefix(got, "label=xxxx") || len(got) != MaxFileStem {
		t.Errorf("FileName(long) = %q (%d bytes), want the label cut to %d bytes with a hash", got, len(got), MaxFileStem)
	}
}
