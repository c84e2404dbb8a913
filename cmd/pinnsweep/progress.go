package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// plainEvery spaces the progress lines printed when stdout is not a
// terminal.
const plainEvery = 5 * time.Second

// progressView shows a sweep's progress: a bar on a terminal, a line every
// few seconds otherwise. Rate and ETA count only the trials that ended
// since the view started, so a resumed sweep does not look faster than it
// is.
type progressView struct {
	w       io.Writer
	bar     *progressbar.ProgressBar // nil when not a terminal
	start   time.Time
	ended0  int // trials that had ended when the view started
	mu      sync.Mutex
	last    state.Progress
	printed time.Time
	closed  bool
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ended returns the number of trials of p that are neither pending nor
// running.
func ended(p state.Progress) int {
	return p.Done + p.Failed + p.Timeout + p.Diverged + p.Cancelled
}

// newProgressView starts a view of a sweep whose progress is start.
func newProgressView(w io.Writer, start state.Progress) *progressView {
	v := &progressView{w: w, start: time.Now(), ended0: ended(start), last: start}
	if isTerminal(w) {
		v.bar = progressbar.NewOptions64(int64(max(start.Total-v.ended0, 1)),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(describe(start)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("trials"),
			progressbar.OptionSetPredictTime(true),
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

// describe is the bar's description: the counts by outcome.
func describe(p state.Progress) string {
	s := fmt.Sprintf("done %d", p.Done)
	if p.Diverged > 0 {
		s += fmt.Sprintf(" diverged %d", p.Diverged)
	}
	return s + fmt.Sprintf(" failed %d running %d", p.Failed+p.Timeout+p.Cancelled, p.Running)
}

// line is one plain progress line.
func (v *progressView) line(p state.Progress) string {
	s := fmt.Sprintf("%d/%d ended (%s), pending %d", ended(p), p.Total, describe(p), p.Pending)
	n := ended(p) - v.ended0
	el := time.Since(v.start)
	if n > 0 && el > 0 {
		rate := float64(n) / el.Seconds()
		left := p.Total - ended(p)
		s += fmt.Sprintf("; %.2f trials/s", rate)
		if left > 0 {
			eta := time.Duration(float64(left) / rate * float64(time.Second))
			s += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
		}
	}
	return s
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
		v.bar.Describe(describe(p))
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
