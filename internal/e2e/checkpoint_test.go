package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sameResult compares two result documents with their wall-clock seconds
// zeroed (the training's, the history's and the diagnostics': the only
// fields a resumed run may differ in).
func sameResult(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	norm := func(raw json.RawMessage) string {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("result %.80s: %v", raw, err)
		}
		m["seconds"] = 0
		for _, diag := range []string{"hessian", "landscape"} {
			if d, ok := m[diag].(map[string]any); ok {
				d["seconds"] = 0
			}
		}
		if h, ok := m["history"].([]any); ok {
			for _, p := range h {
				p.(map[string]any)["seconds"] = 0
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	return norm(a) == norm(b)
}

// TestWorkerKilledResumesFromCheckpoint SIGKILLs a worker whose two
// trials (regular L-BFGS and adaptive) have checkpoints in a shared
// directory; after their leases expire a second worker, sharing the
// directory, leases them (attempt 2), resumes each from its checkpoint
// (logged, with the evaluations it skipped), and both end with the
// results of an uninterrupted run of the same spec (pinnsweep run on its
// own database), bit for bit apart from wall-clock seconds. The finished
// trials' checkpoints are removed and the database passes check.
func TestWorkerKilledResumesFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	spec := testdata(t, "checkpoint.yaml")
	ckpt := filepath.Join(dir, "shared-checkpoints")

	// The reference: the same spec straight through.
	mustCLI(t, dir, "run", spec, "--db", filepath.Join(dir, "ref.db"), "--out", filepath.Join(dir, "ref"),
		"--slots", "2", "--no-report", "--checkpoint-every", "0")
	ref := map[string]exported{}
	for _, tr := range export(t, dir, "checkpoint", "--db", filepath.Join(dir, "ref.db")) {
		ref[tr.Key] = tr
	}

	db := filepath.Join(dir, "sweeps.db")
	coord, addr := serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", "3s")
	mustCLI(t, dir, "submit", spec, "--coordinator", addr)
	work := func(id string) *proc {
		return start(t, dir, id, "work", "--coordinator", addr, "--slots", "2", "--id", id, "--log-json",
			"--log-level", "debug", "--checkpoint-dir", ckpt, "--checkpoint-every", "100ms")
	}
	first := work("first")
	eventually(t, 120*time.Second, "a checkpoint of both trials", func() bool {
		return len(count([]*proc{first}, "checkpoint written", "trial", nil)) == 2
	})
	first.kill()
	if n := len(count([]*proc{first}, "trial completed", "trial", nil)); n != 0 {
		t.Fatalf("the first worker completed %d trials before the kill; the trials are too short", n)
	}
	second := work("second")
	c := dial(t, addr)
	c.waitFinished(t, "checkpoint", 240*time.Second)
	second.stop()
	coord.stop()

	resumed := map[string]float64{}
	for _, l := range second.logs() {
		if l.msg() == "trial resumed from a checkpoint" {
			e, _ := l["evals"].(float64)
			resumed[l.str("trial")] = e
			if !strings.HasPrefix(l.str("file"), ckpt) {
				t.Errorf("resumed from %s, outside the checkpoint directory", l.str("file"))
			}
		}
	}
	trials := checkAllDone(t, export(t, dir, "checkpoint", "--db", db), 2)
	for key, tr := range trials {
		if resumed[key] < 1 {
			t.Errorf("trial %s: the second worker did not resume it from a checkpoint (logged %v)", key, resumed)
		}
		if tr.Attempts != 2 || tr.Worker != "second" {
			t.Errorf("trial %s: %d attempts, done by %q; want 2 and the second worker", key, tr.Attempts, tr.Worker)
		}
		if !strings.Contains(string(tr.Result), `"landscape":{`) {
			t.Errorf("trial %s: no landscape in its result: the diagnostics did not run", key)
		}
		if r, ok := ref[key]; !ok || !sameResult(t, tr.Result, r.Result) {
			t.Errorf("trial %s: the resumed result differs from the uninterrupted run's\n got %.300s\nwant %.300s", key, tr.Result, r.Result)
		}
	}
	if left, err := filepath.Glob(filepath.Join(ckpt, "*", "*")); err != nil || len(left) != 0 {
		t.Errorf("checkpoints left after the trials finished: %v %v", left, err)
	}
	checkDB(t, dir, db)
}

// TestWorkerFollowsCoordinatorFile: a worker started with
// --coordinator-file follows the coordinator when it stops and a new one
// starts on another port with the same database (as a requeued batch job
// does on another node): the second serve overwrites the address file, the
// worker, still the same process, logs the move and finishes the sweep
// with the new coordinator.
func TestWorkerFollowsCoordinatorFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	addrFile := filepath.Join(dir, "shared", "coordinator.addr")
	if err := os.Mkdir(filepath.Dir(addrFile), 0o755); err != nil {
		t.Fatal(err)
	}
	first, addrA := serve(t, dir, db, "127.0.0.1:0", "--address-file", addrFile)
	if b, err := os.ReadFile(addrFile); err != nil || strings.TrimSpace(string(b)) != addrA {
		t.Fatalf("address file %q (%v), want %s", b, err, addrA)
	}
	mustCLI(t, dir, "submit", testdata(t, "resume.yaml"), "--coordinator", addrA)
	w := start(t, dir, "worker", "work", "--coordinator-file", addrFile, "--slots", "1", "--id", "worker", "--log-json")
	ca := dial(t, addrA)
	eventually(t, 60*time.Second, "3 trials done", func() bool {
		p := ca.progress("resume")
		return p != nil && p.GetDone() >= 3
	})
	first.stop()

	second, addrB := serve(t, dir, db, "127.0.0.1:0", "--address-file", addrFile)
	if addrB == addrA {
		t.Fatalf("the second coordinator listens on the first one's address %s", addrA)
	}
	cb := dial(t, addrB)
	cb.waitFinished(t, "resume", 120*time.Second)
	moved := false
	for _, l := range w.logs() {
		if l.msg() == "coordinator moved" && l.str("from") == addrA && l.str("to") == addrB {
			moved = true
		}
	}
	if !moved {
		t.Errorf("the worker did not log its move from %s to %s", addrA, addrB)
	}
	select {
	case <-w.done:
		t.Fatalf("the worker exited (%d); it should have followed the coordinator", w.code)
	default:
	}
	w.stop()
	second.stop()
	trials := checkAllDone(t, export(t, dir, "resume", "--db", db), 14)
	byB := 0
	for _, tr := range trials {
		if tr.Worker != "worker" {
			t.Errorf("trial %s done by %q", tr.Key, tr.Worker)
		}
		byB++
	}
	if n := len(count([]*proc{second}, "trial completed", "trial", nil)); n == 0 {
		t.Errorf("the second coordinator completed no trial (%d trials in all)", byB)
	}
	checkDB(t, dir, db)
}
