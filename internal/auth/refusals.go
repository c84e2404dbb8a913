package auth

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
)

// Refusal logging: a caller without credentials can open streams as fast
// as the network carries their headers, and each refusal is logged from
// the connection's reading goroutine (the tap handle), so the log is
// rate-limited rather than written once per refused call.
const (
	// refusalBurst is how many refusals are logged per refusalWindow.
	refusalBurst = 10
	// refusalWindow is the period of the limit.
	refusalWindow = time.Second
)

// refusalLog logs refused calls, at most refusalBurst per refusalWindow;
// the next line logged after a suppression says how many were left out.
type refusalLog struct {
	log hclog.Logger
	now func() time.Time // time.Now; tests replace it

	mu         sync.Mutex
	start      time.Time // start of the current window
	logged     int       // lines logged in the current window
	suppressed int       // refusals not logged since the last line
}

func newRefusalLog(log hclog.Logger) *refusalLog {
	return &refusalLog{log: log, now: time.Now}
}

// refused logs one refused call (never a token: reason is the status
// message, which names the method and what was wrong).
func (l *refusalLog) refused(method, peer string, code codes.Code, reason string) {
	l.mu.Lock()
	now := l.now()
	if now.Sub(l.start) >= refusalWindow {
		l.start, l.logged = now, 0
	}
	if l.logged >= refusalBurst {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.logged++
	suppressed := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	args := []any{"method", method, "peer", peer, "code", code, "reason", reason}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.Warn("call refused", args...)
}
