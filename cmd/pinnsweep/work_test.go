package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWorkMetrics runs `pinnsweep work --metrics` against a coordinator
// with a sweep of 2 short trials and reads its metrics.
func TestWorkMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := t.TempDir()
	addr, _ := startServe(t, filepath.Join(dir, "s.db"))
	spec := writeSpec(t, strings.Replace(tinySpec, "nf: [40, 50, 100000]", "nf: [40, 50]", 1))
	if code, _, stderr := cli("submit", spec, "--coordinator", addr); code != 0 {
		t.Fatal(stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	old := workContext
	workContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { workContext = old })
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch([]string{"work", "--coordinator", addr, "--slots", "1", "--metrics", "0", "--log-level", "warn"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("work exited %d: %s", code, stderr.String())
		}
	}()
	re := regexp.MustCompile(`metrics on (http://127\.0\.0\.1:\d+/metrics)`)
	var url string
	eventually(t, "the metrics URL", func() bool {
		m := re.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	get := func() string {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// The trial's time is recorded before its result is delivered, and
	// the slot is free after: wait for both.
	eventually(t, "2 trials done and delivered", func() bool {
		b := get()
		return strings.Contains(b, `pinnsweep_worker_trial_seconds_count{outcome="done"} 2`+"\n") &&
			strings.Contains(b, "pinnsweep_worker_slots_busy 0\n")
	})
	body := get()
	for _, want := range []string{"pinnsweep_worker_slots 1\n", "pinnsweep_build_info{", "go_goroutines "} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// eventually polls cond for up to 2 minutes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
