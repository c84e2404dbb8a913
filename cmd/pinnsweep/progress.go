package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/eta"
)

// plainEvery spaces the progress lines printed when the output is not a
// terminal.
const plainEvery = 5 * time.Second

// progressView shows a sweep's progress on stderr: a bar on a terminal, a
// line every few seconds otherwise, each with an ETA learnt per grid
// point (see internal/eta). Rate counts only the trials that ended since
// the view started, so a resumed sweep does not look faster than it is.
type progressView struct {
	w       io.Writer
	bar     *progressbar.ProgressBar // nil when not a terminal
	eta     func() eta.ETA           // nil: no ETA
	start   time.Time
	ended0  int // trials that had ended when the view started
	mu      sync.Mutex
	last    state.Progress
	printed time.Time
	closed  bool
}

// isTerminal reports whether w is a terminal (a file, or a writer with
// the file descriptor of one).
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && f.Fd() != ^uintptr(0) && term.IsTerminal(int(f.Fd()))
}

// ended returns the number of trials of p that are neither pending nor
// running.
func ended(p state.Progress) int {
	return p.Done + p.Failed + p.Timeout + p.Diverged + p.Cancelled
}

// newProgressView starts a view of a sweep whose progress is start;
// etaFn, if not nil, estimates the time left.
func newProgressView(w io.Writer, start state.Progress, etaFn func() eta.ETA) *progressView {
	v := &progressView{w: w, eta: etaFn, start: time.Now(), ended0: ended(start), last: start}
	if isTerminal(w) {
		v.bar = progressbar.NewOptions64(int64(max(start.Total-v.ended0, 1)),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(v.describe(start)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("trials"),
			// The bar's own prediction extrapolates the mean rate; the
			// description carries the per-grid-point ETA instead.
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	} else {
		fmt.Fprintf(w, "progress: %s\n", v.line(start))
		v.printed = time.Now()
	}
	return v
}

// counts describes the counts by outcome.
func counts(p state.Progress) string {
	s := fmt.Sprintf("done %d", p.Done)
	if p.Diverged > 0 {
		s += fmt.Sprintf(" diverged %d", p.Diverged)
	}
	return s + fmt.Sprintf(" failed %d running %d", p.Failed+p.Timeout+p.Cancelled, p.Running)
}

// etaText is ", ETA …" for an unfinished sweep, else "".
func (v *progressView) etaText(p state.Progress) string {
	if v.eta == nil || p.Finished {
		return ""
	}
	return ", ETA " + v.eta().String()
}

// describe is the bar's description: the counts and the ETA.
func (v *progressView) describe(p state.Progress) string {
	return counts(p) + v.etaText(p)
}

// line is one plain progress line.
func (v *progressView) line(p state.Progress) string {
	s := fmt.Sprintf("%d/%d ended (%s), pending %d", ended(p), p.Total, counts(p), p.Pending)
	n := ended(p) - v.ended0
	if el := time.Since(v.start); n > 0 && el > 0 {
		s += fmt.Sprintf("; %.2f trials/s", float64(n)/el.Seconds())
	}
	return s + v.etaText(p)
}

// update shows p.
func (v *progressView) update(p state.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.last = p
	if v.bar != nil {
		if total := int64(max(p.Total-v.ended0, 1)); total != v.bar.GetMax64() {
			v.bar.ChangeMax64(total)
		}
		v.bar.Describe(v.describe(p))
		_ = v.bar.Set64(int64(max(ended(p)-v.ended0, 0)))
		return
	}
	if time.Since(v.printed) >= plainEvery || p.Finished {
		fmt.Fprintf(v.w, "progress: %s\n", v.line(p))
		v.printed = time.Now()
	}
}

// close ends the view, leaving the last state on screen.
func (v *progressView) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.closed = true
	if v.bar != nil {
		if !v.bar.IsFinished() {
			_ = v.bar.Exit()
			fmt.Fprintln(v.w)
		}
		return
	}
	if !v.last.Finished {
		fmt.Fprintf(v.w, "progress: %s\n", v.line(v.last))
	}
}
