package worker

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff bounds the exponential backoff between retries of a failed call
// (Nomad's worker loop: 20 ms doubling up to 10 s). Each delay is drawn
// with ±20% jitter so that workers do not retry in lockstep. The zero value
// means the defaults.
type Backoff struct {
	// Initial is the first delay; zero means 20 ms.
	Initial time.Duration
	// Max caps the delay; zero means 10 s.
	Max time.Duration
}

// Backoff defaults (Nomad's worker: 20 ms doubling up to 10 s).
const (
	// DefaultBackoffInitial is the first retry delay.
	DefaultBackoffInitial = 20 * time.Millisecond
	// DefaultBackoffMax caps the retry delay.
	DefaultBackoffMax = 10 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoffInitial
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	return b
}

// retrier hands out the successive delays of one Backoff.
type retrier struct {
	b     Backoff
	fails int
}

// next returns the delay before the next retry and advances.
func (r *retrier) next() time.Duration {
	d := r.b.Initial
	for i := 0; i < r.fails && d < r.b.Max; i++ {
		d *= 2
	}
	d = min(d, r.b.Max)
	r.fails++
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// reset starts over from the initial delay after a success.
func (r *retrier) reset() { r.fails = 0 }

// sleep waits d or until ctx is done; it reports whether the full delay
// passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
