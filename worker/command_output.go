package worker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of what the worker keeps of a command trial's output.
const (
	// MaxResultBytes is the largest result a command trial may report (the
	// coordinator's limit on a stored result).
	MaxResultBytes = 8 << 20
	// StderrTailBytes is how much of the end of a trial's stderr is kept
	// and sent with a trial that did not end done.
	StderrTailBytes = 64 << 10
	// MaxProgressLine is the longest progress line that is read; longer
	// ones are ignored.
	MaxProgressLine = 4 << 10
	// ProgressPrefix starts a progress line on a trial's stdout.
	ProgressPrefix = "PINNSWEEP_PROGRESS "
	// snippetLen bounds output quoted in a reason.
	snippetLen = 200
)

// tail keeps the last n bytes written to it, allocating as it fills.
type tail struct {
	buf   []byte // ring once len(buf) == n
	n     int
	pos   int // next write position once full
	total int64
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.total += int64(len(p))
	q := p
	if len(q) >= t.n {
		q = q[len(q)-t.n:]
		t.buf = append(t.buf[:0], q...)
		t.pos = 0
		return len(p), nil
	}
	if room := t.n - len(t.buf); room > 0 {
		k := min(room, len(q))
		t.buf = append(t.buf, q[:k]...)
		q = q[k:]
	}
	for len(q) > 0 {
		k := copy(t.buf[t.pos:], q)
		q = q[k:]
		t.pos = (t.pos + k) % t.n
	}
	return len(p), nil
}

// bytes returns the kept bytes in order.
func (t *tail) bytes() []byte {
	if len(t.buf) < t.n || t.pos == 0 {
		return bytes.Clone(t.buf)
	}
	out := make([]byte, 0, t.n)
	out = append(out, t.buf[t.pos:]...)
	return append(out, t.buf[:t.pos]...)
}

// cappedLog writes a trial's output to its log file, keeping the first
// half of its cap as it comes and the last half in memory until Close, with
// a line saying how much was left out between them. Safe for concurrent
// use (stdout and stderr share it).
type cappedLog struct {
	mu      sync.Mutex
	f       *os.File
	head    int64 // bytes written to f directly
	written int64
	tail    *tail
	err     error
}

func newCappedLog(path string, limit int64) (*cappedLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	half := max(limit/2, 1)
	return &cappedLog{f: f, head: half, tail: newTail(int(half))}, nil
}

func (l *cappedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	if room := l.head - l.written; room > 0 {
		k := int(min(room, int64(len(p))))
		if _, err := l.f.Write(p[:k]); err != nil && l.err == nil {
			l.err = err
		}
		l.written += int64(k)
		p = p[k:]
	}
	if len(p) > 0 {
		l.tail.Write(p)
	}
	return n, nil
}

// Close writes the kept tail and closes the file.
func (l *cappedLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tail.total > 0 {
		kept := l.tail.bytes()
		if omitted := l.tail.total - int64(len(kept)); omitted > 0 {
			fmt.Fprintf(l.f, "\n[pinnsweep: %d bytes of output left out]\n", omitted)
		}
		if _, err := l.f.Write(kept); err != nil && l.err == nil {
			l.err = err
		}
	}
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}

// stdoutScanner splits a trial's stdout into lines: progress lines go to
// the progress callback, at most rate per second (the latest one skipped
// is applied when the next second begins); the last other non-blank line
// is kept as the result candidate, in full up to MaxResultBytes when it
// looks like a JSON object, else its first MaxProgressLine bytes.
type stdoutScanner struct {
	mu       sync.Mutex
	progress func(int64, float64)
	interval time.Duration
	lastRun  time.Time
	pending  []byte // a skipped progress line, applied by flush
	loss     float64

	cur, last           []byte
	curLong, lastLong   bool // the line went past what is kept
	curLimit            int  // 0 until the line's first non-blank byte
	ignored, malformed  int  // progress lines not applied
	lastIsObjectish     bool
	curStartsWithObject bool
}

func newStdoutScanner(progress func(int64, float64), rate int) *stdoutScanner {
	return &stdoutScanner{progress: progress, interval: time.Second / time.Duration(max(rate, 1))}
}

func (s *stdoutScanner) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		s.add(chunk)
		if i < 0 {
			break
		}
		s.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// add appends to the current line what is kept of it.
func (s *stdoutScanner) add(b []byte) {
	if s.curLimit == 0 {
		t := bytes.TrimLeft(b, " \t\r")
		if len(t) == 0 {
			return // leading blanks are not kept
		}
		s.curLimit = MaxProgressLine
		if t[0] == '{' {
			s.curLimit = MaxResultBytes
			s.curStartsWithObject = true
		}
		b = t
	}
	if room := s.curLimit - len(s.cur); len(b) > room {
		s.curLong = true
		b = b[:max(room, 0)]
	}
	s.cur = append(s.cur, b...)
}

// endLine handles a complete line.
func (s *stdoutScanner) endLine() {
	line := bytes.TrimRight(s.cur, " \t\r")
	switch {
	case len(line) == 0:
	case bytes.HasPrefix(line, []byte(ProgressPrefix)):
		if s.curLong {
			s.ignored++
		} else {
			s.offerProgress(line[len(ProgressPrefix):])
		}
	default:
		s.last, s.cur = line, s.last[:0]
		s.lastLong, s.lastIsObjectish = s.curLong, s.curStartsWithObject
	}
	s.cur = s.cur[:0]
	s.curLong, s.curLimit, s.curStartsWithObject = false, 0, false
}

// offerProgress applies a progress line, or keeps it for flush when the
// last one was applied less than an interval ago.
func (s *stdoutScanner) offerProgress(body []byte) {
	now := time.Now()
	if now.Sub(s.lastRun) < s.interval {
		if s.pending != nil {
			s.ignored++
		}
		s.pending = append(s.pending[:0], body...)
		return
	}
	s.lastRun = now
	s.pending = nil
	s.apply(body)
}

// flush applies a pending progress line whose interval has passed (or any,
// at the end).
func (s *stdoutScanner) flush(final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if final && len(s.cur) > 0 {
		s.endLine() // a last line without a newline
	}
	if s.pending != nil && (final || time.Since(s.lastRun) >= s.interval) {
		s.lastRun = time.Now()
		s.apply(s.pending)
		s.pending = nil
	}
}

// apply parses a progress line's JSON and reports it: step must be an
// integer ≥ 0; a loss that is missing or not finite keeps the last one.
func (s *stdoutScanner) apply(body []byte) {
	fields, err := decodeObject(body)
	if err != nil {
		s.malformed++
		return
	}
	step, ok := number(fields["step"])
	if !ok || step < 0 || step != math.Trunc(step) || step > math.MaxInt64/2 {
		s.malformed++
		return
	}
	if loss, ok := number(fields["loss"]); ok && !math.IsNaN(loss) && !math.IsInf(loss, 0) {
		s.loss = loss
	}
	s.progress(int64(step), s.loss)
}

// lastLine returns the last non-progress, non-blank line, whether it was
// longer than what was kept, and whether it starts like a JSON object.
func (s *stdoutScanner) lastLine() ([]byte, bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastLong, s.lastIsObjectish
}

// copyOutput copies r to each of ws until EOF or an error.
func copyOutput(r io.Reader, ws ...io.Writer) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, w := range ws {
			w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// normalizeJSON returns b with the bare NaN, Infinity and -Infinity that
// Python's json module writes for non-finite floats turned into the
// strings "NaN", "Infinity" and "-Infinity" (how pinnsweep writes them),
// so that the result is standard JSON. Other text is unchanged.
func normalizeJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case bytes.HasPrefix(b[i:], []byte("NaN")):
			out = append(out, `"NaN"`...)
			i += len("NaN") - 1
			continue
		case bytes.HasPrefix(b[i:], []byte("Infinity")):
			out = append(out, `"Infinity"`...)
			i += len("Infinity") - 1
			continue
		case bytes.HasPrefix(b[i:], []byte("-Infinity")):
			out = append(out, `"-Infinity"`...)
			i += len("-Infinity") - 1
			continue
		}
		out = append(out, c)
	}
	return out
}

// decodeObject decodes a JSON object's top-level fields (after
// normalizeJSON).
func decodeObject(b []byte) (map[string]json.RawMessage, error) {
	b = normalizeJSON(b)
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(t))
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("text after the JSON object")
	}
	return m, nil
}

// number decodes a metric value: a JSON number, or the strings "NaN",
// "Infinity" and "-Infinity", or null (non-finite: NaN). It returns false
// for anything else.
func number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "":
		return 0, false
	case "null", `"NaN"`:
		return math.NaN(), true
	case `"Infinity"`:
		return math.Inf(1), true
	case `"-Infinity"`:
		return math.Inf(-1), true
	}
	var f json.Number
	if raw[0] == '"' || json.Unmarshal(raw, &f) != nil { // json.Number takes quoted numbers too
		return 0, false
	}
	x, err := f.Float64()
	if err != nil && !math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// validUTF8 returns b as a string with every byte of an invalid UTF-8
// sequence replaced by '?', so that its length does not change (protobuf
// strings must be valid UTF-8), and with a rune cut at the start skipped.
func validUTF8(b []byte) string {
	for len(b) > 0 && !utf8.RuneStart(b[0]) {
		b = b[1:]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			sb.WriteByte('?')
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// snippet quotes at most snippetLen bytes of b for a reason.
func snippet(b []byte) string {
	s := validUTF8(b)
	if len(s) > snippetLen {
		cut := snippetLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// lastLineOf returns the last non-blank line of b.
func lastLineOf(b []byte) []byte {
	b = bytes.TrimRight(b, " \t\r\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return bytes.TrimSpace(b)
}
