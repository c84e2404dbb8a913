package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// TestCoordinatorSyncFailure runs a sweep with the coordinator's database
// on internal/faultfs and fails the fdatasync that follows bbolt's write
// of a meta page, mid-sweep: the commit's outcome is unknown, since the
// coordinator's own map of the file already shows it. The coordinator
// must acknowledge nothing of that transaction, commit nothing more (no
// write reaches the file after the failed sync), and exit non-zero;
// restarted on the same file (as a supervisor would), it finishes the
// sweep exactly once and `pinnsweep check` passes. Both outcomes of the
// failed sync are covered: the disk kept the meta page, or lost it (the
// backing file is rolled back to its last successful sync, while the
// failing process's page cache keeps the new page).
func TestCoordinatorSyncFailure(t *testing.T) {
	for _, lose := range []bool{false, true} {
		name := "disk-kept-the-commit"
		if lose {
			name = "disk-lost-the-commit"
		}
		t.Run(name, func(t *testing.T) { testMetaSyncFailure(t, lose) })
	}
}

func testMetaSyncFailure(t *testing.T, lose bool) {
	ffs := mountFaultFS(t)
	db := filepath.Join(ffs.Mountpoint(), "sweeps.db")
	dir, coord, addr, workers, c := resumeClusterOn(t, db, 4)

	page := int64(os.Getpagesize())
	ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 0, End: 2 * page, Lose: lose})
	code := coord.wait(30 * time.Second)
	in := ffs.Injected()
	if len(in) != 1 {
		t.Fatalf("%d faults fired, want the one meta page sync", len(in))
	}
	if code == 0 {
		t.Errorf("the coordinator exited 0 after a commit whose outcome is unknown")
	}
	if !strings.Contains(coord.stderr.String(), "the outcome of a commit is unknown") {
		t.Errorf("the coordinator did not say why it stopped:\n%s", tail(coord.stderr.String()))
	}
	if after := ffs.Counts("sweeps.db"); after.Writes != in[0].Writes || after.Fsyncs != in[0].Fsyncs {
		t.Errorf("the coordinator wrote to the database after the failed sync: %d writes and %d syncs then, %d and %d at exit",
			in[0].Writes, in[0].Fsyncs, after.Writes, after.Fsyncs)
	}
	if lose && in[0].Lost <= 0 {
		t.Errorf("the lost sync undid %d bytes", in[0].Lost)
	}
	// Nothing the coordinator acknowledged may be missing from the file
	// as the disk has it (the backing file: this process serves the
	// mount and must not map a file on it).
	disk := filepath.Join(ffs.Backing(), "sweeps.db")
	checkDB(t, dir, disk)
	acked := acks(workers)
	checkAcked(t, storedTrials(t, disk, "resume"), acked)

	coord2, _ := serve(t, dir, db, addr, "--lease-ttl", "3s")
	c.waitFinished(t, "resume", 120*time.Second)
	for _, w := range workers {
		w.stop()
	}
	coord2.stop()
	verifyExactlyOnce(t, dir, disk, "resume", 14, []*proc{coord, coord2}, workers)
	t.Logf("meta page sync failed (lose=%v, %d bytes undone) with %d completions acknowledged: coordinator exited %d, restarted, sweep finished exactly once",
		lose, in[0].Lost, len(acked), code)
}

// TestCoordinatorWriteFailure fails, mid-sweep, a write of the database
// (EIO) and then the fdatasync of a commit's data pages: both fail before
// the commit's meta page is written, so the file's state is the previous
// commit's. The coordinator answers the batch Unavailable and keeps
// serving, without a restart; the sweep finishes exactly once.
func TestCoordinatorWriteFailure(t *testing.T) {
	ffs := mountFaultFS(t)
	db := filepath.Join(ffs.Mountpoint(), "sweeps.db")
	dir, coord, _, workers, c := resumeClusterOn(t, db, 3)
	page := int64(os.Getpagesize())
	ffs.Inject(faultfs.Fault{Op: faultfs.OpWrite, File: "sweeps.db", Off: 2 * page, End: 1 << 62})
	eventually(t, 30*time.Second, "the write fault to fire", func() bool { return len(ffs.Injected()) == 1 })
	ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 2 * page, End: 1 << 62, Lose: true})
	eventually(t, 30*time.Second, "the data sync fault to fire", func() bool { return len(ffs.Injected()) == 2 })
	c.waitFinished(t, "resume", 120*time.Second)
	select {
	case <-coord.done:
		t.Fatalf("the coordinator exited (%d) after failed commits that changed nothing", coord.code)
	default:
	}
	for _, w := range workers {
		w.stop()
	}
	coord.stop()
	failed := count([]*proc{coord}, "commit failed; the batch was rolled back", "", nil)[""]
	if failed < 2 || !strings.Contains(coord.stderr.String(), "writing to the database failed") {
		t.Errorf("%d failed commits logged, want 2 saying that writing to the database failed", failed)
	}
	verifyExactlyOnce(t, dir, filepath.Join(ffs.Backing(), "sweeps.db"), "resume", 14, []*proc{coord}, workers)
	t.Logf("a failed write and a failed data sync: %d commits failed, the coordinator kept serving, Unavailable seen by a worker: %v",
		failed, sawCode(workers, "Unavailable"))
}
