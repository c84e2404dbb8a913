// Package cputime reads the CPU time of the calling thread, for
// benchmarks on a shared machine: wall-clock time there mostly measures
// waiting for a CPU, while the thread's CPU time counts only the time it
// ran. Lock the goroutine to its thread (runtime.LockOSThread) around the
// measured code, or the reading may come from another thread.
//
// CPU time is steadier than wall time under load but not immune to it:
// another process sharing the core's caches (or its SMT sibling) still
// slows the measured code down.
package cputime

import "time"

// Thread returns the CPU time consumed by the calling OS thread, and
// whether the platform provides it. Where it does not (Supported is
// false), it returns the wall-clock time since an arbitrary origin, so
// differences still measure something.
func Thread() time.Duration {
	if d, ok := threadCPU(); ok {
		return d
	}
	return time.Since(origin)
}

// Supported reports whether Thread measures CPU time on this platform.
func Supported() bool {
	_, ok := threadCPU()
	return ok
}

var origin = time.Now()
