package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestThreadAdvances checks that a busy loop consumes CPU time and that a
// sleep consumes (almost) none.
func TestThreadAdvances(t *testing.T) {
	if !Supported() {
		t.Skip("no thread CPU clock on this platform")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := Thread()
	x := 1.0
	for x < 1e7 {
		x = x*1.0000001 + 1
	}
	busy := Thread() - t0
	if busy <= 0 {
		t.Fatalf("busy loop consumed %v of CPU time", busy)
	}
	t1 := Thread()
	time.Sleep(50 * time.Millisecond)
	if slept := Thread() - t1; slept > 25*time.Millisecond {
		t.Fatalf("a 50 ms sleep consumed %v of CPU time", slept)
	}
}
