package e2e

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	wk "github.com/pinnsweep/pinnsweep/worker"
)

// linkProxy is a TCP fault proxy (toxiproxy, embedded) between workers
// and a coordinator.
type linkProxy struct {
	p *toxiproxy.Proxy
}

// newLinkProxy starts a proxy on 127.0.0.1 to upstream, stopped when the
// test ends.
func newLinkProxy(t *testing.T, upstream string) *linkProxy {
	t.Helper()
	// Some toxics log through zerolog's global logger; the test's
	// process has no other use for it.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "coordinator", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("starting the fault proxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &linkProxy{p: p}
}

// addr is the address workers dial.
func (l *linkProxy) addr() string { return l.p.Listen }

// toxic adds a toxic named name of kind typ to both directions
// (upstream: worker to coordinator; downstream: back), with attributes
// attrs (milliseconds, KB/s: see toxiproxy's README).
func (l *linkProxy) toxic(t *testing.T, name, typ string, attrs map[string]int64) {
	t.Helper()
	for _, stream := range []string{"upstream", "downstream"} {
		b, err := json.Marshal(map[string]any{"name": name + "_" + stream, "type": typ, "stream": stream, "toxicity": 1.0, "attributes": attrs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.p.Toxics.AddToxicJson(strings.NewReader(string(b))); err != nil {
			t.Fatalf("adding toxic %s (%s): %v", name, typ, err)
		}
	}
}

// heal removes the toxic named name from both directions.
func (l *linkProxy) heal(t *testing.T, name string) {
	t.Helper()
	for _, stream := range []string{"upstream", "downstream"} {
		if err := l.p.Toxics.RemoveToxic(t.Context(), name+"_"+stream); err != nil {
			t.Fatalf("removing toxic %s: %v", name, err)
		}
	}
}

// Parameters of TestSlowLossyLinks; the defaults are the variant `make
// test` runs.
var (
	linksTTL     = flag.Duration("links.ttl", 4*time.Second, "TestSlowLossyLinks: the coordinator's lease TTL")
	linksLatency = flag.Int64("links.latency", 200, "TestSlowLossyLinks: one-way latency of the slow phase, ms")
	linksJitter  = flag.Int64("links.jitter", 50, "TestSlowLossyLinks: jitter of that latency, ms")
)

// linkLimits are the latency limits of the lease protocol for a lease
// TTL, with the worker's defaults: it heartbeats every h = min(TTL/3,
// 5 s), each heartbeat with a deadline of min(10 s, max(h, 1 s)). For a
// one-way latency L (jitter included):
//
//   - every heartbeat is answered within its deadline while 2L < deadline;
//   - a lease is kept while 2L + h < TTL: the first heartbeat after a
//     grant reaches the coordinator 2L + h after the grant was committed
//     (the grant travels to the worker, which waits h, and the heartbeat
//     travels back), and later ones come h + min(2L, deadline) apart,
//     since the coordinator applies a heartbeat whose answer comes too
//     late for the worker.
//
// RELIABILITY.md states them.
type linkLimits struct {
	every, deadline time.Duration
}

func limitsFor(ttl time.Duration) linkLimits {
	h := min(ttl/3, wk.DefaultMaxHeartbeatEvery)
	return linkLimits{every: h, deadline: min(wk.DefaultCallTimeout, max(h, time.Second))}
}

// answered reports whether heartbeats are answered in time at one-way
// latency l.
func (k linkLimits) answered(l time.Duration) bool { return 2*l < k.deadline }

// kept reports whether leases are kept at one-way latency l.
func (k linkLimits) kept(l, ttl time.Duration) bool { return 2*l+k.every < ttl }

// TestSlowLossyLinks runs workers that reach the coordinator through a
// TCP fault proxy (toxiproxy) and degrades the link in phases while a
// sweep of 12 heartbeated trials runs (lease TTL 4 s):
//
//  1. latency (200 ± 50 ms each way) and a bandwidth limit (64 KB/s each
//     way), from before the sweep is submitted: the workers' long-polls
//     are answered when the trials arrive, and, the latency being below
//     the limits of linkLimits (heartbeats every 1.33 s, answered in
//     time below 667 ms, leases kept below 1.33 s), no call fails and no
//     lease expires or is lost until 4 trials are done;
//  2. resets: every connection is reset (RST) as data arrives, for 2 s;
//  3. a half-open link: data is dropped in both directions and the
//     connections stay open, for 2 × TTL (leases expire; the workers'
//     results arrive late and are refused as stale, and the trials run
//     again);
//  4. a clean link until the end.
//
// The workers must notice the resets and the half-open link, and recover
// from both; the sweep finishes exactly once: `pinnsweep check` passes,
// every trial is done with one result, no trial was accepted twice, and
// every acknowledged completion is the stored one.
func TestSlowLossyLinks(t *testing.T) {
	ttl, latency := *linksTTL, time.Duration(*linksLatency+*linksJitter)*time.Millisecond
	limits := limitsFor(ttl)
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	coord, upstream := serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", ttl.String())
	link := newLinkProxy(t, upstream)
	link.toxic(t, "latency", "latency", map[string]int64{"latency": *linksLatency, "jitter": *linksJitter})
	link.toxic(t, "bandwidth", "bandwidth", map[string]int64{"rate": 64})
	workers := []*proc{worker(t, dir, link.addr(), "worker-a"), worker(t, dir, link.addr(), "worker-b")}
	c := dial(t, upstream) // the test's own view, past the proxy
	done := func(n int) func() bool {
		return func() bool {
			p := c.progress("links")
			return p != nil && int(p.GetDone()) >= n
		}
	}
	// Let both workers settle in a long-poll behind the slow link, then
	// submit: the long-polls must end with a trial, long before their
	// 30 s wait would have.
	eventually(t, 30*time.Second, "both workers to start", func() bool {
		return len(count(workers, "worker started", "worker_id", nil)) == 2
	})
	time.Sleep(time.Second)
	submitted := time.Now()
	mustCLI(t, dir, "submit", testdata(t, "links.yaml"), "--coordinator", upstream)
	eventually(t, 25*time.Second, "both long-polling workers to get a trial", func() bool {
		return len(count(workers, "trial leased", "worker_id", nil)) == 2
	})
	firstLease := time.Since(submitted)

	eventually(t, 120*time.Second, "4 trials done over the slow link", done(4))
	slowExpired := len(count([]*proc{coord}, "lease expired", "trial", nil))
	slowLost := len(count(workers, "trial abandoned: its lease was lost", "trial", nil)) +
		len(count(workers, "result rejected as stale; dropped", "trial", nil))
	slowFailed := len(logTimes(workers, "coordinator unreachable; retrying with backoff"))
	if limits.answered(latency) && slowFailed > 0 {
		t.Errorf("the workers logged %d outages at %d±%d ms one-way latency; heartbeats every %v with a deadline of %v should all be answered",
			slowFailed, *linksLatency, *linksJitter, limits.every, limits.deadline)
	}
	if limits.kept(latency, ttl) && (slowExpired > 0 || slowLost > 0) {
		t.Errorf("%d leases expired and %d were lost at %d±%d ms one-way latency with a TTL of %v; want none",
			slowExpired, slowLost, *linksLatency, *linksJitter, ttl)
	}
	link.heal(t, "bandwidth")
	link.heal(t, "latency")

	resetAt := time.Now()
	link.toxic(t, "reset", "reset_peer", map[string]int64{"timeout": 0})
	time.Sleep(2 * time.Second)
	link.heal(t, "reset")
	eventually(t, 120*time.Second, "6 trials done", done(6))

	halfOpenAt := time.Now()
	link.toxic(t, "halfopen", "timeout", map[string]int64{"timeout": 0})
	time.Sleep(2 * ttl)
	link.heal(t, "halfopen")
	healed := time.Now()

	c.waitFinished(t, "links", 180*time.Second)
	finished := time.Since(healed)
	for _, w := range workers {
		w.stop()
	}
	coord.stop()
	verifyExactlyOnce(t, dir, db, "links", 12, []*proc{coord}, workers)

	// Each outage is one "unreachable" warning and one "reachable again"
	// line per worker that noticed it.
	down, up := logTimes(workers, "coordinator unreachable; retrying with backoff"), logTimes(workers, "coordinator reachable again")
	within := func(ts []time.Time, from, to time.Time) (n int, last time.Time) {
		for _, ts := range ts {
			if !ts.Before(from) && ts.Before(to) {
				n++
				last = ts
			}
		}
		return n, last
	}
	resetsSeen, _ := within(down, resetAt, halfOpenAt)
	halfOpenSeen, _ := within(down, halfOpenAt, healed.Add(time.Minute))
	recovered, lastUp := within(up, healed, healed.Add(time.Hour))
	if resetsSeen == 0 || halfOpenSeen == 0 {
		t.Errorf("workers noticed the resets %d times and the half-open link %d times; want both", resetsSeen, halfOpenSeen)
	}
	expired := len(count([]*proc{coord}, "lease expired", "trial", nil))
	stale := len(count(workers, "result rejected as stale; dropped", "trial", nil)) +
		len(count(workers, "trial abandoned: its lease was lost", "trial", nil))
	dupAcks := 0
	for _, a := range acks(workers) {
		if a.duplicate {
			dupAcks++
		}
	}
	t.Logf("links: slow link (%d±%d ms each way, 64 KB/s): first lease %.1fs after the submission, %d leases expired, %d outages logged; "+
		"resets noticed %d times; half-open for %v noticed %d times, %d workers reachable again, the last %.1fs after healing; "+
		"sweep finished %.1fs after healing; %d leases expired, %d results dropped as stale, %d duplicate acknowledgements",
		*linksLatency, *linksJitter, firstLease.Seconds(), slowExpired, slowFailed, resetsSeen, 2*ttl, halfOpenSeen, recovered,
		lastUp.Sub(healed).Seconds(), finished.Seconds(), expired, stale, dupAcks)
}

// logTimes returns the times of procs' log lines with message msg.
func logTimes(procs []*proc, msg string) []time.Time {
	var out []time.Time
	for _, p := range procs {
		for _, l := range p.logs() {
			if l.msg() != msg {
				continue
			}
			if ts, err := time.Parse(time.RFC3339Nano, l.str("@timestamp")); err == nil {
				out = append(out, ts)
			}
		}
	}
	return out
}
