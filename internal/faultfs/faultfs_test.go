package faultfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

func TestWriteFault(t *testing.T) {
	ffs := faultfs.MountForTest(t)
	backing := ffs.Backing()
	f, err := os.Create(filepath.Join(ffs.Mountpoint(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("first"), 0); err != nil {
		t.Fatal(err)
	}
	ffs.Inject(faultfs.Fault{Op: faultfs.OpWrite, File: "other"}) // another file: never fires
	ffs.Inject(faultfs.Fault{Op: faultfs.OpWrite, File: "data", Off: 100, End: 200, Errno: syscall.ENOSPC})
	if _, err := f.WriteAt([]byte("second"), 10); err != nil {
		t.Fatalf("a write outside the fault's range failed: %v", err)
	}
	if _, err := f.WriteAt([]byte("third"), 98); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write overlapping the fault's range: %v, want ENOSPC", err)
	}
	if _, err := f.WriteAt([]byte("fourth"), 150); err != nil {
		t.Fatalf("write after the fault was spent: %v", err)
	}
	in := ffs.Injected()
	if len(in) != 1 || in[0].File != "data" || in[0].Off != 98 || in[0].Len != 5 || in[0].Fault.Op != faultfs.OpWrite {
		t.Fatalf("injections %+v, want the one write at 98", in)
	}
	got, err := os.ReadFile(filepath.Join(backing, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got, []byte("third")) || !bytes.Contains(got, []byte("fourth")) {
		t.Errorf("backing file %q: the failed write reached it, or the next one did not", got)
	}
	if c := ffs.Counts("data"); c.Writes != 4 {
		t.Errorf("counts %+v, want 4 writes", c)
	}
}

func TestFsyncFaultLosesUnsyncedWrites(t *testing.T) {
	ffs := faultfs.MountForTest(t)
	backing := ffs.Backing()
	path := filepath.Join(ffs.Mountpoint(), "data")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("synced.."), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("UNSYNCED-and-longer"), 0); err != nil {
		t.Fatal(err)
	}
	ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "data", Lose: true})
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("fsync: %v, want EIO", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("the fsync after the failed one: %v; want success, as Linux reports a write-back error once", err)
	}
	got, err := os.ReadFile(filepath.Join(backing, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "synced.." {
		t.Errorf("backing file after the failed fsync: %q, want the synced content %q", got, "synced..")
	}
	in := ffs.Injected()
	if len(in) != 1 || in[0].Lost != int64(len("UNSYNCED-and-longer")) {
		t.Errorf("injections %+v, want one that undid %d bytes", in, len("UNSYNCED-and-longer"))
	}
	// A fresh open reads the disk, not the pages the failed fsync left.
	f.Close()
	got, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "synced.." {
		t.Errorf("reopened through the mount: %q, want %q", got, "synced..")
	}
}

// TestBoltAmbiguousCommit shows what the coordinator's store must handle:
// when the fdatasync after bbolt's meta page write fails, Commit returns
// the error, yet the process's own view of the file (its map: the page
// cache) already shows the new transaction, while the disk may or may not
// hold it. bbolt runs in a helper process: this one serves the mount.
func TestBoltAmbiguousCommit(t *testing.T) {
	for _, lose := range []bool{false, true} {
		name := "disk-kept-it"
		if lose {
			name = "disk-lost-it"
		}
		t.Run(name, func(t *testing.T) {
			ffs := faultfs.MountForTest(t)
			path := filepath.Join(ffs.Mountpoint(), "t.db")
			h := startBoltHelper(t, path)
			if got := h.Do("put old"); got != "ok" {
				t.Fatal(got)
			}
			var before int
			if _, err := fmt.Sscan(h.Do("view"), &before); err != nil {
				t.Fatal(err)
			}
			meta := int64(2 * os.Getpagesize())
			ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "t.db", Off: 0, End: meta, Lose: lose})
			if got := h.Do("put new"); !strings.HasPrefix(got, "error") || !strings.Contains(got, syscall.EIO.Error()) {
				t.Fatalf("commit: %s, want EIO from the meta page's fdatasync", got)
			}
			in := ffs.Injected()
			if len(in) != 1 || in[0].Off+in[0].Len > meta {
				t.Fatalf("injections %+v, want the one sync of a meta page", in)
			}
			if got, want := h.Do("view"), fmt.Sprint(before+1, " new"); got != want {
				t.Errorf("in-process view after the failed commit: %q; want %q (the meta page is in the page cache)", got, want)
			}
			if got := h.Do("close"); got != "ok" {
				t.Fatal(got)
			}
			want := fmt.Sprint(before+1, " new")
			if lose {
				want = fmt.Sprint(before, " old")
			}
			h = startBoltHelper(t, path)
			if got := h.Do("view"); got != want {
				t.Errorf("reopened: %q, want %q", got, want)
			}
			h.Do("close")
		})
	}
}

// TestUnmountBusyDetaches unmounts while a file is open: Unmount fails,
// and detaches the mount so that nothing is left mounted; Unmount again
// (MountForTest's cleanup) does nothing.
func TestUnmountBusyDetaches(t *testing.T) {
	ffs := faultfs.MountForTest(t)
	f, err := os.Create(filepath.Join(ffs.Mountpoint(), "open"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ffs.Unmount(); err == nil {
		t.Fatal("Unmount with a file open succeeded")
	}
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(info, []byte(" "+ffs.Mountpoint()+" ")) {
		t.Errorf("%s is still mounted after a failed Unmount", ffs.Mountpoint())
	}
	if err := ffs.Unmount(); err != nil {
		t.Errorf("Unmount after the mount was detached: %v", err)
	}
}

// TestFill: Fill fills a tmpfs no larger than its limit, and the space
// comes back when the ballast is removed; a filesystem with more space
// available than the limit is refused before anything is written.
func TestFill(t *testing.T) {
	const size = 1 << 20
	disk := faultfs.TmpfsForTest(t, size)
	ballast, err := faultfs.Fill(disk, size)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(disk, "more"), make([]byte, 4096), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("writing to the filled tmpfs: %v, want ENOSPC", err)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(disk, "more"), make([]byte, 4096), 0o600); err != nil {
		t.Errorf("writing after the ballast was removed: %v", err)
	}

	big := faultfs.TmpfsForTest(t, 4*size)
	if _, err := faultfs.Fill(big, size); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("Fill of a 4 MiB tmpfs with a 1 MiB limit = %v, want a refusal", err)
	}
	if entries, err := os.ReadDir(big); err != nil || len(entries) != 0 {
		t.Errorf("the refused Fill left %v (%v)", entries, err)
	}
}
