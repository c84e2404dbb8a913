package auth

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
)

// TestRefusalLogLimit: a flood of refused calls logs refusalBurst lines per
// window, and the next line says how many were left out.
func TestRefusalLogLimit(t *testing.T) {
	var buf bytes.Buffer
	l := newRefusalLog(hclog.New(&hclog.LoggerOptions{Output: &buf, JSONFormat: true}))
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for range 3 * refusalBurst {
		l.refused("/m", "1.2.3.4:5", codes.Unauthenticated, "no token")
	}
	now = now.Add(refusalWindow)
	l.refused("/m", "1.2.3.4:5", codes.Unauthenticated, "no token")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != refusalBurst+1 {
		t.Fatalf("%d lines logged, want %d:\n%s", len(lines), refusalBurst+1, buf.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["suppressed"] != float64(2*refusalBurst) || last["method"] != "/m" || last["@message"] != "call refused" {
		t.Fatalf("last line %v: want the refusal with suppressed = %d", last, 2*refusalBurst)
	}
}
