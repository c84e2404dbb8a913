package worker

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN Infinity"}`: `{"a": "NaN", "b": ["Infinity", "-Infinity"], "c": "NaN Infinity"}`,
		`{"s": "esc \" NaN", "x": 1}`:                                 `{"s": "esc \" NaN", "x": 1}`,
		`{"x": -1e5}`:                                                 `{"x": -1e5}`,
	} {
		got := string(normalizeJSON([]byte(in)))
		if got != want || !json.Valid([]byte(got)) {
			t.Errorf("normalizeJSON(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestNumber(t *testing.T) {
	for raw, want := range map[string]float64{`1.5`: 1.5, `-2`: -2, `1e400`: math.Inf(1), `"Infinity"`: math.Inf(1), `"-Infinity"`: math.Inf(-1)} {
		if got, ok := number(json.RawMessage(raw)); !ok || got != want {
			t.Errorf("number(%s) = %v, %v", raw, got, ok)
		}
	}
	for _, raw := range []string{`null`, `"NaN"`} {
		if got, ok := number(json.RawMessage(raw)); !ok || !math.IsNaN(got) {
			t.Errorf("number(%s) = %v, %v; want NaN", raw, got, ok)
		}
	}
	for _, raw := range []string{``, `"0.1"`, `true`, `[1]`, `{}`} {
		if got, ok := number(json.RawMessage(raw)); ok {
			t.Errorf("number(%s) = %v, true; want false", raw, got)
		}
	}
}

func TestTail(t *testing.T) {
	tl := newTail(10)
	for _, s := range []string{"abc", "defgh", "ijklmnop", "", "q"} {
		tl.Write([]byte(s))
	}
	if got := string(tl.bytes()); got != "hijklmnopq" || tl.total != 17 {
		t.Errorf("tail %q, total %d", got, tl.total)
	}
	tl.Write([]byte("0123456789ABC"))
	if got := string(tl.bytes()); got != "3456789ABC" {
		t.Errorf("tail after a long write %q", got)
	}
}

func TestValidUTF8(t *testing.T) {
	in := []byte("\x80\x80é ok \xff end")
	got := validUTF8(in)
	if !utf8.ValidString(got) || got != "é ok ? end" {
		t.Errorf("validUTF8 = %q", got)
	}
	if s := snippet(bytes.Repeat([]byte("é"), 300)); !utf8.ValidString(s) || len(s) > snippetLen+10 {
		t.Errorf("snippet = %q", s)
	}
}

func TestStdoutScanner(t *testing.T) {
	var calls [][2]float64
	s := newStdoutScanner(func(e int64, l float64) { calls = append(calls, [2]float64{float64(e), l}) }, 1000)
	s.interval = 0 // every line (TestCommandTrialProgress checks the rate)
	long := `{"rel_l2": 1, "pad": "` + strings.Repeat("x", 2*MaxProgressLine) + `"}`
	for _, chunk := range []string{
		"hello\n", "PINNSWEEP_PROGRESS {\"step\": 3, \"loss\": 0.5}\n",
		"PINNSWEEP_PROGRESS {\"step\": 4, \"loss\": NaN}\r\n", // a NaN loss keeps the last one
		"PINNSWEEP_PROGRESS {\"step\": 1.5}\n", "PINNSWEEP_PROGRESS nonsense\n",
		long[:100], long[100:], "\n", "   \n",
	} {
		s.Write([]byte(chunk))
	}
	s.flush(true)
	if len(calls) != 2 || calls[0] != [2]float64{3, 0.5} || calls[1] != [2]float64{4, 0.5} || s.malformed != 2 {
		t.Errorf("progress calls %v, malformed %d", calls, s.malformed)
	}
	last, isLong, _ := s.lastLine()
	if string(last) != long || isLong {
		t.Errorf("last line %d bytes, long %v", len(last), isLong)
	}
	s.Write([]byte(strings.Repeat("y", 3*MaxProgressLine)))
	s.flush(true) // a last line without newline
	last, isLong, _ = s.lastLine()
	if len(last) != MaxProgressLine || !isLong {
		t.Errorf("a long non-JSON line kept %d bytes (long %v)", len(last), isLong)
	}
}

func TestReadResultLimits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "result.json")
	big := append([]byte(`{"rel_l2": 1, "pad": "`), bytes.Repeat([]byte("x"), MaxResultBytes)...)
	big = append(big, `"}`...)
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readResult(trialOutput{resultPath: path}); err == nil || !strings.Contains(err.Error(), "over the 8388608-byte limit") {
		t.Errorf("a result over the limit: %v", err)
	}
	if _, _, err := readResult(trialOutput{resultPath: filepath.Join(dir, "none"), last: []byte("{"), lastLong: true}); err == nil {
		t.Error("a cut result line was accepted")
	}
	// Invalid UTF-8 in a string is re-encoded: results travel as protobuf strings.
	text, fields, err := readResult(trialOutput{resultPath: filepath.Join(dir, "none"), last: []byte("{\"rel_l2\": 0.5, \"s\": \"\xff\"}")})
	if err != nil || !utf8.Valid(text) || string(fields["rel_l2"]) != "0.5" {
		t.Errorf("readResult = %q, %v, %v", text, fields, err)
	}
}
