package boltstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// TestCommitFaults runs the bbolt store on a fault-injecting
// FUSE filesystem and checks how it classifies each failure of a commit:
// a failed write (ENOSPC: ErrDiskFull; EIO: ErrStorage) and a failed sync
// of the data pages (ErrStorage) leave the store as it was and usable; a
// failed sync of the meta page, which the process already sees in its
// map of the file, gives ErrCommitUnknown, after which the store commits
// nothing. Reopened from the disk, the file passes the check and holds
// the last commit that was acknowledged, or the ambiguous one if the disk
// kept it. The store runs in a helper process (runStoreHelper): this one
// serves the mount and must not map a file on it.
func TestCommitFaults(t *testing.T) {
	for _, lose := range []bool{false, true} {
		t.Run(fmt.Sprintf("lose=%v", lose), func(t *testing.T) {
			ffs := faultfs.MountForTest(t)
			path := filepath.Join(ffs.Mountpoint(), "sweeps.db")
			st := startStoreHelper(t, path)
			if got := st.Do("commit 10"); got != "ok" {
				t.Fatal(got)
			}
			page := int64(os.Getpagesize())
			for _, tt := range []struct {
				name  string
				fault faultfs.Fault
				want  string
			}{
				{"write ENOSPC", faultfs.Fault{Op: faultfs.OpWrite, File: "sweeps.db", Errno: syscall.ENOSPC}, "ErrDiskFull"},
				{"write EIO", faultfs.Fault{Op: faultfs.OpWrite, File: "sweeps.db"}, "ErrStorage"},
				{"data sync EIO", faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 2 * page, End: 1 << 62, Lose: lose}, "ErrStorage"},
			} {
				ffs.Inject(tt.fault)
				if got := st.Do("commit 11"); got != tt.want {
					t.Fatalf("%s: Commit = %s, want %s", tt.name, got, tt.want)
				}
				if got := st.Do("token"); got != "10" {
					t.Fatalf("%s: next token %s after the failed commit, want 10", tt.name, got)
				}
			}
			if got := st.Do("commit 12"); got != "ok" {
				t.Fatalf("commit after the clean failures: %s", got)
			}
			before := ffs.Counts("sweeps.db")
			ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 0, End: 2 * page, Lose: lose})
			if got := st.Do("commit 13"); got != "ErrCommitUnknown" {
				t.Fatalf("meta sync EIO: Commit = %s, want ErrCommitUnknown", got)
			}
			if n := len(ffs.Injected()); n != 4 {
				t.Fatalf("%d faults fired, want 4", n)
			}
			failedAt := ffs.Counts("sweeps.db")
			if got := st.Do("commit 14"); got != "ErrCommitUnknown" {
				t.Fatalf("commit after the ambiguous one: %s, want ErrCommitUnknown", got)
			}
			if c := ffs.Counts("sweeps.db"); c != failedAt {
				t.Errorf("the store wrote after the ambiguous commit: %+v, then %+v", failedAt, c)
			}
			if failedAt.Writes <= before.Writes {
				t.Errorf("counts %+v before and %+v after the ambiguous commit", before, failedAt)
			}
			if got := st.Do("close"); got != "ok" {
				t.Fatal(got)
			}
			// The file as the disk has it (the backing directory: this
			// process must not map the mount).
			rep, err := boltstore.CheckDatabase(context.Background(), filepath.Join(ffs.Backing(), "sweeps.db"))
			if err != nil {
				t.Fatalf("check after the ambiguous commit: %v", err)
			}
			want := uint64(13)
			if lose {
				want = 12
			}
			if rep.NextToken != want {
				t.Errorf("reopened: next token %d, want %d", rep.NextToken, want)
			}
		})
	}
}
