package coordinator_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

func TestRestartRestoresEverything(t *testing.T) {
	clock := coordtest.NewFakeClock()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, clock)
	res := coordtest.MustSubmit(t, c, coordtest.SpecYAML("restart", []int{1, 5}, 2, 1, 100))
	if !res.Created || res.Total != 4 || res.Added != 4 {
		t.Fatalf("Submit = %+v", res)
	}
	done := coordtest.MustLease(t, c, "w1")
	coordtest.MustComplete(t, c, done, state.StatusDone, coordtest.ResultJSON(0.1))
	held := coordtest.MustLease(t, c, "w2") // expires at +30s
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	clock.Advance(10 * time.Second)
	c = coordtest.Open(t, path, clock)
	p := coordtest.MustProgress(t, c, "restart")
	if p.Done != 1 || p.Running != 1 || p.Pending != 2 || p.Total != 4 {
		t.Fatalf("progress after restart: %+v", p)
	}
	// The held lease is honoured: w2 may heartbeat and complete.
	beat, err := c.Heartbeat(context.Background(), held.Claim())
	if err != nil || beat.Stop {
		t.Fatalf("heartbeat of the restored lease = %+v, %v", beat, err)
	}
	coordtest.MustComplete(t, c, held, state.StatusDone, coordtest.ResultJSON(0.2))
	next := coordtest.MustLease(t, c, "w3")
	if next.Token <= held.Token {
		t.Fatalf("token after restart %d not above %d", next.Token, held.Token)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = coordtest.Open(t, path, clock)
	defer c.Close()
	leased := map[string]bool{}
	for _, g := range coordtest.Drain(t, c, "w4", func(*state.Grant) string { return coordtest.ResultJSON(0.3) }) {
		leased[g.Trial.Key] = true
	}
	if leased[done.Trial.Key] || leased[held.Trial.Key] || leased[next.Trial.Key] {
		t.Fatalf("a finished or held trial was leased again: %v", leased)
	}
	if len(leased) != 1 {
		t.Fatalf("leased %d trials after the restarts, want the 1 never leased", len(leased))
	}
	trials, err := c.Trials(context.Background(), "restart")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trials {
		if tr.Key == done.Trial.Key && (tr.Status != state.StatusDone || tr.Attempts != 1 || *tr.Value != 0.1) {
			t.Fatalf("first done trial changed: %+v", tr)
		}
	}
}

func TestRestartHonoursLeaseUntilExpiry(t *testing.T) {
	clock := coordtest.NewFakeClock()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, clock)
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("one", []int{1}, 1, 2, 100))
	g := coordtest.MustLease(t, c, "w1")
	c.Close()

	clock.Advance(20 * time.Second)
	c = coordtest.Open(t, path, clock)
	defer c.Close()
	clock.Advance(9 * time.Second) // 29s: still held
	if g2, err := c.Lease(context.Background(), "w2", 0); err != nil || g2 != nil {
		t.Fatalf("Lease before expiry = %+v, %v; want nothing", g2, err)
	}
	clock.Advance(time.Second) // 30s: expired, requeued as attempt 2
	g2 := coordtest.MustLease(t, c, "w2")
	if g2.Trial.Key != g.Trial.Key || g2.Trial.Attempts != 2 || g2.Token <= g.Token {
		t.Fatalf("after expiry: %+v", g2)
	}
	_, err := c.Complete(context.Background(), state.Completion{LeaseClaim: g.Claim(), Status: state.StatusDone, Result: []byte(`{}`)})
	if !errors.Is(err, state.ErrStaleToken) {
		t.Fatalf("late completion of the restored lease = %v, want ErrStaleToken", err)
	}
}

func TestRestartGraceForLeaseExpiredWhileDown(t *testing.T) {
	clock := coordtest.NewFakeClock()
	path := filepath.Join(t.TempDir(), "sweeps.db")
	c := coordtest.Open(t, path, clock)
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("one", []int{1}, 1, 2, 100))
	g := coordtest.MustLease(t, c, "w1")
	c.Close()

	clock.Advance(5 * time.Minute) // the lease expired while the coordinator was down
	c = coordtest.Open(t, path, clock)
	defer c.Close()
	beat, err := c.Heartbeat(context.Background(), g.Claim())
	if err != nil || beat.Stop {
		t.Fatalf("worker could not reattach after the restart: %+v, %v", beat, err)
	}
	coordtest.MustComplete(t, c, g, state.StatusDone, coordtest.ResultJSON(0.5))
	if p := coordtest.MustProgress(t, c, "one"); p.Done != 1 || !p.Finished {
		t.Fatalf("progress %+v", p)
	}
}

func TestSubmitGrows(t *testing.T) {
	c := coordtest.Open(t, "", nil)
	defer c.Close()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("grow", []int{1, 5}, 2, 2, 100))
	g := coordtest.MustLease(t, c, "w")
	coordtest.MustComplete(t, c, g, state.StatusDone, coordtest.ResultJSON(0.1))

	tests := []struct {
		name         string
		src          string
		total, added int
	}{
		{"unchanged", coordtest.SpecYAML("grow", []int{1, 5}, 2, 2, 100), 4, 0},
		{"more betas", coordtest.SpecYAML("grow", []int{1, 5, 10}, 2, 2, 100), 6, 2},
		{"more seeds", coordtest.SpecYAML("grow", []int{1, 5, 10}, 3, 2, 100), 9, 3},
		{"again", coordtest.SpecYAML("grow", []int{1, 5, 10}, 3, 2, 100), 9, 0},
	}
	for _, tt := range tests {
		res := coordtest.MustSubmit(t, c, tt.src)
		if res.Created || res.Total != tt.total || res.Added != tt.added {
			t.Fatalf("%s: Submit = %+v, want total %d added %d", tt.name, res, tt.total, tt.added)
		}
	}
	trials, err := c.Trials(context.Background(), "grow")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for i, tr := range trials {
		if tr.Index != i {
			t.Fatalf("trial %d has index %d", i, tr.Index)
		}
		if keys[tr.Key] {
			t.Fatalf("duplicate key %s", tr.Key)
		}
		keys[tr.Key] = true
		if tr.Key == g.Trial.Key && tr.Status != state.StatusDone {
			t.Fatalf("done trial changed by growth: %+v", tr)
		}
	}
	rec, err := c.Sweep(context.Background(), "grow")
	if err != nil || !strings.Contains(rec.Source, "replicates: 3") || rec.Submissions != 5 {
		t.Fatalf("stored sweep = %+v, %v; want the latest source", rec, err)
	}
	if p := coordtest.MustProgress(t, c, "grow"); p.Pending != 8 || p.Done != 1 {
		t.Fatalf("progress %+v", p)
	}
}

func TestSubmitRefusesIncompatibleChange(t *testing.T) {
	c := coordtest.Open(t, "", nil)
	defer c.Close()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("fixed", []int{1, 5}, 1, 2, 100))
	tests := []struct {
		name, src, mention string
	}{
		{"fixed setting", coordtest.SpecYAML("fixed", []int{1, 5}, 1, 2, 200), `"nf"`},
		{"axis value removed", coordtest.SpecYAML("fixed", []int{1}, 1, 2, 100), "beta"},
		{"retries", coordtest.SpecYAML("fixed", []int{1, 5}, 1, 3, 100), "retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Submit(context.Background(), "spec.yaml", []byte(tt.src))
			if !errors.Is(err, state.ErrIncompatible) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("Submit = %v, want ErrIncompatible mentioning %s", err, tt.mention)
			}
		})
	}
	if p := coordtest.MustProgress(t, c, "fixed"); p.Total != 2 {
		t.Fatalf("refused submissions changed the sweep: %+v", p)
	}
}

func TestSubmitInvalidSpec(t *testing.T) {
	c := coordtest.Open(t, "", nil)
	defer c.Close()
	for _, src := range []string{"", "name: x\nbogus: 1\n", "not: [valid", "name: x\naxes:\n  beta: []\n"} {
		if _, err := c.Submit(context.Background(), "bad.yaml", []byte(src)); !errors.Is(err, state.ErrInvalidSpec) {
			t.Errorf("Submit(%q) = %v, want ErrInvalidSpec", src, err)
		}
	}
	if l, _ := c.Sweeps(context.Background()); len(l) != 0 {
		t.Fatalf("invalid specs created sweeps: %+v", l)
	}
}

func TestSpecOptionsValidate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweeps.db")
	opts := coordinator.Options{Path: path}
	opts.SpecOptions.Validate = func(key string, v any) error {
		if key == "nf" {
			return errors.New("nf is not allowed here")
		}
		return nil
	}
	c, err := coordinator.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Submit(context.Background(), "spec.yaml", []byte(coordtest.SpecYAML("v", []int{1}, 1, 1, 100)))
	if !errors.Is(err, state.ErrInvalidSpec) || !strings.Contains(err.Error(), "nf is not allowed") {
		t.Fatalf("Submit = %v, want the validator's error", err)
	}
}

func TestLeaseLongPoll(t *testing.T) {
	c, err := coordinator.Open(coordinator.Options{Store: state.NewMemoryStore(), MaxLeaseWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	start := time.Now()
	if g, err := c.Lease(ctx, "w", 50*time.Millisecond); g != nil || err != nil {
		t.Fatalf("Lease on an empty queue = %v, %v", g, err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Fatalf("empty Lease took %v, want about 50ms", d)
	}

	got := make(chan *state.Grant, 1)
	go func() {
		g, err := c.Lease(ctx, "w", time.Minute) // capped at MaxLeaseWait
		if err != nil {
			t.Error(err)
		}
		got <- g
	}()
	time.Sleep(50 * time.Millisecond)
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("poll", []int{1}, 1, 0, 100))
	select {
	case g := <-got:
		if g == nil {
			t.Fatal("long-poll returned nothing")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("long-poll was not woken by the submission")
	}

	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := c.Lease(cctx, "w", time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lease with a cancelled context = %v", err)
	}
}

func TestWatch(t *testing.T) {
	c, err := coordinator.Open(coordinator.Options{Store: state.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("watch", []int{1, 2}, 1, 0, 100))
	var mu sync.Mutex
	var seen []state.Progress
	done := make(chan error, 1)
	go func() {
		done <- c.Watch(context.Background(), "watch", func(p state.Progress) error {
			mu.Lock()
			seen = append(seen, p)
			mu.Unlock()
			return nil
		})
	}()
	for range 2 {
		g := coordtest.MustLease(t, c, "w")
		coordtest.MustComplete(t, c, g, state.StatusDone, coordtest.ResultJSON(0.1))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not end when the sweep finished")
	}
	mu.Lock()
	defer mu.Unlock()
	last := seen[len(seen)-1]
	if !last.Finished || last.Done != 2 {
		t.Fatalf("last progress %+v", last)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			t.Fatalf("Watch repeated an unchanged progress: %+v", seen[i])
		}
	}
	if err := c.Watch(context.Background(), "nosuch", func(state.Progress) error { return nil }); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Watch(nosuch) = %v", err)
	}
}

// flakyStore fails commits while broken.
type flakyStore struct {
	state.Store
	mu     sync.Mutex
	broken bool
}

func (s *flakyStore) Commit(ctx context.Context, ch *state.Change) error {
	s.mu.Lock()
	broken := s.broken
	s.mu.Unlock()
	if broken {
		return errors.New("disk full")
	}
	return s.Store.Commit(ctx, ch)
}

func (s *flakyStore) setBroken(b bool) {
	s.mu.Lock()
	s.broken = b
	s.mu.Unlock()
}

func TestFailedCommitChangesNothing(t *testing.T) {
	store := &flakyStore{Store: state.NewMemoryStore()}
	c, err := coordinator.Open(coordinator.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("flaky", []int{1}, 1, 0, 100))
	store.setBroken(true)
	if g, err := c.Lease(context.Background(), "w", 0); err == nil || g != nil {
		t.Fatalf("Lease with a failing store = %v, %v; want an error", g, err)
	}
	if _, err := c.Submit(context.Background(), "s.yaml", []byte(coordtest.SpecYAML("other", []int{1}, 1, 0, 100))); err == nil {
		t.Fatal("Submit with a failing store succeeded")
	}
	if p := coordtest.MustProgress(t, c, "flaky"); p.Pending != 1 || p.Running != 0 {
		t.Fatalf("a failed commit changed memory: %+v", p)
	}
	if _, err := c.Progress(context.Background(), "other"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a failed submission is visible: %v", err)
	}
	store.setBroken(false)
	g := coordtest.MustLease(t, c, "w")
	if g.Trial.Attempts != 1 || g.Token != 1 {
		t.Fatalf("lease after the failure: attempts %d token %d, want 1 and 1", g.Trial.Attempts, g.Token)
	}
}

func TestClosedCoordinator(t *testing.T) {
	c, err := coordinator.Open(coordinator.Options{Store: state.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := c.Lease(context.Background(), "w", time.Second); !errors.Is(err, state.ErrClosed) {
		t.Fatalf("Lease after Close = %v", err)
	}
	if _, err := c.Progress(context.Background(), "x"); !errors.Is(err, state.ErrClosed) {
		t.Fatalf("Progress after Close = %v", err)
	}
}
