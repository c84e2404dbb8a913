package coordinator_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// hookStore calls hook before every Commit (n counts them from 1); an
// error from the hook fails the commit without changing the store.
type hookStore struct {
	state.Store
	mu   sync.Mutex
	n    int
	hook func(n int, ch *state.Change) error
}

func (s *hookStore) Commit(ctx context.Context, ch *state.Change) error {
	s.mu.Lock()
	s.n++
	n, hook := s.n, s.hook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(n, ch); err != nil {
			return err
		}
	}
	return s.Store.Commit(ctx, ch)
}

func (s *hookStore) setHook(hook func(n int, ch *state.Change) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// gate makes the next commit wait: it returns a channel closed when that
// commit has started, and a function that lets it go on, failing it with
// err if err is not nil. Later commits run through hook then (nil: none).
func (s *hookStore) gate(err error, then func(n int, ch *state.Change) error) (entered <-chan struct{}, release func()) {
	in, open := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.setHook(func(n int, ch *state.Change) error {
		first := false
		once.Do(func() { first = true })
		if !first {
			if then != nil {
				return then(n, ch)
			}
			return nil
		}
		close(in)
		<-open
		return err
	})
	return in, func() { close(open) }
}

// waitQueued waits until n operations wait for the commit loop.
func waitQueued(t *testing.T, c *coordinator.Coordinator, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for coordinator.QueueLen(c) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d operations queued, want %d", coordinator.QueueLen(c), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func betas(n int) []int {
	b := make([]int, n)
	for i := range b {
		b[i] = i + 1
	}
	return b
}

// TestGroupCommitConcurrentCallers holds a commit while 20 workers ask for
// trials, checks that their leases are committed together in one
// transaction, lets them complete concurrently, and checks after reopening
// the file that every acknowledged change is in it.
func TestGroupCommitConcurrentCallers(t *testing.T) {
	const workers = 20
	path := filepath.Join(t.TempDir(), "sweeps.db")
	bs, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := &hookStore{Store: bs}
	c, err := coordinator.Open(coordinator.Options{Store: store, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("group", betas(2*workers), 1, 0, 100))

	var mu sync.Mutex
	var sizes []int // trials per commit after the gate
	entered, release := store.gate(nil, func(_ int, ch *state.Change) error {
		mu.Lock()
		sizes = append(sizes, len(ch.Trials))
		mu.Unlock()
		return nil
	})
	first := make(chan *state.Grant, 1)
	go func() {
		g, err := c.Lease(ctx, "w-first", 0)
		if err != nil {
			t.Error(err)
		}
		first <- g
	}()
	<-entered
	stats0 := c.Stats()
	type acked struct {
		g   *state.Grant
		err error
	}
	results := make(chan acked, workers)
	for i := range workers {
		go func() {
			g, err := c.Lease(ctx, fmt.Sprintf("w%d", i), 0)
			if err != nil || g == nil {
				results <- acked{g, fmt.Errorf("Lease = %v, %v", g, err)}
				return
			}
			_, err = c.Complete(ctx, state.Completion{LeaseClaim: g.Claim(), Status: state.StatusDone, Result: []byte(coordtest.ResultJSON(float64(g.Token)))})
			results <- acked{g, err}
		}()
	}
	waitQueued(t, c, workers)
	release()
	g0 := <-first
	done := map[string]*state.Grant{}
	tokens := map[uint64]bool{g0.Token: true}
	for range workers {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if done[r.g.Trial.Key] != nil || tokens[r.g.Token] {
			t.Fatalf("trial %s or token %d leased twice", r.g.Trial.Key, r.g.Token)
		}
		done[r.g.Trial.Key], tokens[r.g.Token] = r.g, true
	}
	mu.Lock()
	if len(sizes) == 0 || sizes[0] != workers {
		t.Errorf("the commit after the held one put %v trials; want the %d queued leases in one", sizes, workers)
	}
	mu.Unlock()
	st := c.Stats()
	if ops, commits := st.Operations-stats0.Operations, st.Commits-stats0.Commits; ops != 2*workers+1 || commits >= ops {
		t.Errorf("%d operations in %d commits: want %d, batched", ops, commits, 2*workers+1)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	bs, err = boltstore.Open(path, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	trials, err := bs.Trials(ctx, "group")
	if err != nil {
		t.Fatal(err)
	}
	var nDone, nRunning int
	for _, tr := range trials {
		switch g := done[tr.Key]; {
		case g != nil:
			nDone++
			if tr.Status != state.StatusDone || tr.Token != g.Token || tr.Value == nil || *tr.Value != float64(g.Token) {
				t.Errorf("acknowledged completion of %s is not in the file: %+v", tr.ID(), tr)
			}
		case tr.Key == g0.Trial.Key:
			nRunning++
			if tr.Status != state.StatusRunning || tr.Token != g0.Token {
				t.Errorf("acknowledged lease of %s is not in the file: %+v", tr.ID(), tr)
			}
		case tr.Status != state.StatusPending:
			t.Errorf("trial %s neither leased nor pending: %+v", tr.ID(), tr)
		}
	}
	if nDone != workers || nRunning != 1 {
		t.Fatalf("file has %d acknowledged completions and %d leases, want %d and 1", nDone, nRunning, workers)
	}
	if loaded, err := bs.Load(ctx); err != nil || loaded.NextToken != uint64(workers+2) {
		t.Fatalf("next token in the file %v (%v), want %d", loaded.NextToken, err, workers+2)
	}
}

// TestGroupCommitFailureAnswersEveryCaller fails a commit that carries
// several dependent operations and checks that each caller gets the error
// and that neither memory nor the store changed.
func TestGroupCommitFailureAnswersEveryCaller(t *testing.T) {
	store := &hookStore{Store: state.NewMemoryStore()}
	c, err := coordinator.Open(coordinator.Options{Store: store, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("flaky", betas(10), 1, 0, 100))
	g1 := coordtest.MustLease(t, c, "w1")
	before, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stats0 := c.Stats()

	diskFull := errors.New("disk full")
	entered, release := store.gate(diskFull, nil)
	heldErr := make(chan error, 1)
	go func() { // the held (and failed) commit
		_, err := c.Heartbeat(ctx, g1.Claim())
		heldErr <- err
	}()
	<-entered
	store.setHook(func(int, *state.Change) error { return diskFull }) // later commits fail too
	// The gate's hook was replaced, but the held commit still waits on it.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	call := func(name string, f func() error) {
		wg.Go(func() {
			if err := f(); err == nil {
				errs <- fmt.Errorf("%s succeeded", name)
			} else if !strings.Contains(err.Error(), "disk full") {
				errs <- fmt.Errorf("%s: %v, want the commit's error", name, err)
			}
		})
	}
	for i := range 5 {
		call("Lease", func() error {
			g, err := c.Lease(ctx, fmt.Sprintf("w%d", i+2), 0)
			if g != nil && err == nil {
				return nil
			}
			return err
		})
	}
	call("Complete", func() error {
		_, err := c.Complete(ctx, state.Completion{LeaseClaim: g1.Claim(), Status: state.StatusDone, Result: []byte(coordtest.ResultJSON(0.1))})
		return err
	})
	call("Submit", func() error {
		_, err := c.Submit(ctx, "other.yaml", []byte(coordtest.SpecYAML("other", betas(3), 1, 0, 100)))
		return err
	})
	call("Cancel", func() error { _, err := c.Cancel(ctx, "flaky"); return err })
	call("RequeueFailed", func() error { _, err := c.RequeueFailed(ctx, "flaky"); return err })
	waitQueued(t, c, 9)
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-heldErr; err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("held Heartbeat = %v, want the commit's error", err)
	}

	if p := coordtest.MustProgress(t, c, "flaky"); p.Running != 1 || p.Pending != 9 || p.Done != 0 || p.Cancelled != 0 {
		t.Fatalf("a failed batch changed memory: %+v", p)
	}
	if _, err := c.Progress(ctx, "other"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a failed submission is visible: %v", err)
	}
	after, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.NextToken != before.NextToken || len(after.Sweeps) != 1 {
		t.Fatalf("a failed batch changed the store: next token %d → %d, %d sweeps", before.NextToken, after.NextToken, len(after.Sweeps))
	}
	if st := c.Stats(); st.Commits != stats0.Commits {
		t.Errorf("failed commits counted: %+v", st)
	}

	// The store recovers: the batch's effects can all be had now, with
	// the tokens the failed batch did not consume.
	store.setHook(nil)
	coordtest.MustComplete(t, c, g1, state.StatusDone, coordtest.ResultJSON(0.1))
	g2 := coordtest.MustLease(t, c, "w2")
	if g2.Token != g1.Token+1 || g2.Trial.Attempts != 1 {
		t.Fatalf("lease after the failure: token %d (first %d), attempts %d", g2.Token, g1.Token, g2.Trial.Attempts)
	}
	if p := coordtest.MustProgress(t, c, "flaky"); p.Done != 1 || p.Running != 1 || p.Pending != 8 {
		t.Fatalf("progress after recovery: %+v", p)
	}
}

func TestCompleteAndLease(t *testing.T) {
	store := &hookStore{Store: state.NewMemoryStore()}
	c, err := coordinator.Open(coordinator.Options{Store: store, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("a", []int{1, 2, 3}, 1, 0, 100))
	coordtest.MustSubmit(t, c, coordtest.SpecYAML("b", []int{1, 2}, 1, 0, 100))

	g, err := c.Lease(ctx, "w", 0, "a")
	if err != nil || g == nil || g.Trial.Sweep != "a" {
		t.Fatalf("Lease from a = %+v, %v", g, err)
	}
	comp := state.Completion{LeaseClaim: g.Claim(), Status: state.StatusDone, Result: []byte(coordtest.ResultJSON(0.5))}
	s0 := c.Stats()
	ack, next, err := c.CompleteAndLease(ctx, comp, coordinator.NextLease{Sweeps: []string{"a"}})
	if err != nil || ack != (state.Ack{Final: true}) || next == nil || next.Trial.Sweep != "a" || next.Trial.Worker != "w" {
		t.Fatalf("CompleteAndLease = %+v, %+v, %v; want final and a grant from a", ack, next, err)
	}
	if s := c.Stats(); s.Commits != s0.Commits+1 {
		t.Fatalf("completion and lease took %d commits, want 1", s.Commits-s0.Commits)
	}
	// A duplicate completion still leases; the filter holds.
	ack, next2, err := c.CompleteAndLease(ctx, comp, coordinator.NextLease{Sweeps: []string{"a"}})
	if err != nil || ack != (state.Ack{Duplicate: true, Final: true}) || next2 == nil || next2.Trial.Sweep != "a" || next2.Trial.Key == next.Trial.Key {
		t.Fatalf("duplicate CompleteAndLease = %+v, %+v, %v", ack, next2, err)
	}
	if _, none, err := c.CompleteAndLease(ctx, comp, coordinator.NextLease{Sweeps: []string{"a"}}); err != nil || none != nil {
		t.Fatalf("CompleteAndLease with sweep a exhausted = %+v, %v; want no grant", none, err)
	}
	// A refused completion leases nothing.
	stale := comp
	stale.LeaseID, stale.Token = next.LeaseID, next.Token+100
	if _, g, err := c.CompleteAndLease(ctx, stale, coordinator.NextLease{}); err == nil || g != nil {
		t.Fatalf("refused CompleteAndLease = %+v, %v", g, err)
	}
	// A claim without a worker is malformed, not another worker's.
	noWorker := comp
	noWorker.LeaseClaim = next.Claim()
	noWorker.Worker = ""
	if _, _, err := c.CompleteAndLease(ctx, noWorker, coordinator.NextLease{}); !errors.Is(err, state.ErrInvalidArgument) {
		t.Fatalf("CompleteAndLease without a worker = %v", err)
	}
	if _, err := c.Complete(ctx, noWorker); !errors.Is(err, state.ErrInvalidArgument) {
		t.Fatalf("Complete without a worker = %v", err)
	}
	if _, err := c.Heartbeat(ctx, noWorker.LeaseClaim); !errors.Is(err, state.ErrInvalidArgument) {
		t.Fatalf("Heartbeat without a worker = %v", err)
	}
	if err := c.Release(ctx, noWorker.LeaseClaim); !errors.Is(err, state.ErrInvalidArgument) {
		t.Fatalf("Release without a worker = %v", err)
	}
	if p := coordtest.MustProgress(t, c, "b"); p.Pending != 2 {
		t.Fatalf("sweep b was touched: %+v", p)
	}

	// A grant whose caller left while it was being committed is released.
	cctx, cancel := context.WithCancel(ctx)
	entered, release := store.gate(nil, nil)
	type res struct {
		next *state.Grant
		err  error
	}
	out := make(chan res, 1)
	go func() {
		comp := state.Completion{LeaseClaim: next.Claim(), Status: state.StatusDone, Result: []byte(coordtest.ResultJSON(0.5))}
		_, g, err := c.CompleteAndLease(cctx, comp, coordinator.NextLease{})
		out <- res{g, err}
	}()
	<-entered
	cancel()
	release()
	r := <-out
	if r.err != nil || r.next != nil {
		t.Fatalf("CompleteAndLease whose caller left = %+v, %v; want the completion and no grant", r.next, r.err)
	}
	if p := coordtest.MustProgress(t, c, "b"); p.Pending != 2 || p.Running != 0 {
		t.Fatalf("the departed caller's grant was not released: %+v", p)
	}
	if p := coordtest.MustProgress(t, c, "a"); p.Done != 2 || p.Running != 1 {
		t.Fatalf("progress of a: %+v", p)
	}
}
