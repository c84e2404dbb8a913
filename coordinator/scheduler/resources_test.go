package scheduler

import (
	"errors"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// TestCompleteStderrTailLimit: a completion's stderr tail is bounded
// (state.MaxStderrTail); one beyond is refused and changes nothing.
func TestCompleteStderrTailLimit(t *testing.T) {
	h := newHarness(t)
	h.addSweep("s", 1, 1)
	g := h.mustLease("w")
	c := completion(g, state.StatusFailed, nil, "exit status 1")
	c.StderrTail = strings.Repeat("x", state.MaxStderrTail+1)
	if ch, _, err := h.s.Complete(h.now, c); !errors.Is(err, state.ErrInvalidArgument) || ch != nil {
		t.Fatalf("oversized tail: change %v, error %v; want ErrInvalidArgument", ch, err)
	}
	c.StderrTail = c.StderrTail[1:]
	ch, _, err := h.s.Complete(h.now, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Tails) != 1 || len(ch.Tails[0].Text) != state.MaxStderrTail {
		t.Fatalf("tail of the limit's size: change's tails %d", len(ch.Tails))
	}
}
