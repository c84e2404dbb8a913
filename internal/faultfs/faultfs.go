package faultfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Op is a kind of file operation a Fault fails.
type Op uint8

// The operations a Fault can fail.
const (
	// OpWrite is write(2), pwrite(2) or pwritev(2) on an open file.
	OpWrite Op = iota + 1
	// OpFsync is fsync(2) or fdatasync(2).
	OpFsync
)

func (o Op) String() string {
	switch o {
	case OpWrite:
		return "write"
	case OpFsync:
		return "fsync"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// MaxJournal bounds the undo journal of one file (bytes of overwritten
// data kept since its last successful fsync).
const MaxJournal = 64 << 20

// Fault is a failure to inject. The zero value of each field is
// documented; Op is required.
type Fault struct {
	// Op is the operation to fail.
	Op Op
	// File is the base name of the file whose operations fail; empty
	// matches every file.
	File string
	// Off and End, if End > Off, narrow the operations that match: a
	// write matches if it overlaps [Off, End); an fsync matches if the
	// file has writes since its last fsync and all of them lie inside
	// [Off, End).
	// (bbolt writes its meta page, page 0 or 1, alone and then syncs, so
	// Off 0, End 2×page size picks the sync that makes a commit durable.)
	Off, End int64
	// Errno is the error returned; zero means EIO.
	Errno syscall.Errno
	// Skip is the number of matching operations to let through before
	// the first failure.
	Skip int
	// Count is the number of failures, after which the fault is spent;
	// zero means 1 and a negative value means every matching operation
	// until Clear.
	Count int
	// Lose, for an OpFsync fault, undoes the file's writes since its last
	// successful fsync in the backing file, as a kernel that drops the
	// pages whose write-back failed (see the package documentation).
	Lose bool
}

// Injection records a fault that fired.
type Injection struct {
	// Fault is the fault that fired (as armed).
	Fault Fault
	// File is the base name of the file.
	File string
	// Off and Len are the failed write's range; for an fsync, the range
	// of the unsynced writes it covered.
	Off, Len int64
	// Lost is the number of bytes a Lose fault undid in the backing file,
	// and -1 if the journal had overflowed (nothing was undone).
	Lost int64
	// Writes and Fsyncs are the file's operation counts when the fault
	// fired (the failed operation included).
	Writes, Fsyncs uint64
	// At is when it fired.
	At time.Time
}

// Counts are the operations a file has seen since the mount.
type Counts struct {
	// Writes counts write requests (failed ones included).
	Writes uint64
	// Fsyncs counts fsync and fdatasync requests (failed ones included).
	Fsyncs uint64
}

// FS is a mounted fault-injecting loopback filesystem.
type FS struct {
	backing, mountpoint string
	server              *fuse.Server
	gone                atomic.Bool // Unmount unmounted or detached the mount

	mu       sync.Mutex
	faults   []*armed
	injected []Injection
	files    map[uint64]*fileState // by inode number of the backing file
}

// armed is a Fault with its remaining skips and failures.
type armed struct {
	Fault
	skip, left int
}

// Available reports why a FUSE filesystem cannot be mounted here, or nil:
// /dev/fuse must exist and open, and the process must be root (mount(2))
// or find fusermount3 or fusermount (Debian package fuse3).
func Available() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("faultfs: /dev/fuse: %w", err)
	}
	f.Close()
	if os.Geteuid() == 0 {
		return nil
	}
	for _, name := range []string{"fusermount3", "fusermount"} {
		if _, err := exec.LookPath(name); err == nil {
			return nil
		}
	}
	return errors.New("faultfs: not root and no fusermount3 on PATH (Debian package fuse3)")
}

// Mount mirrors the directory backing at mountpoint (both must exist)
// and serves the mount until Unmount.
func Mount(backing, mountpoint string) (*FS, error) {
	loop, err := fs.NewLoopbackRoot(backing)
	if err != nil {
		return nil, fmt.Errorf("faultfs: %w", err)
	}
	f := &FS{backing: backing, mountpoint: mountpoint, files: map[uint64]*fileState{}}
	root := &node{LoopbackNode: loop.(*fs.LoopbackNode), fs: f}
	zero := time.Duration(0)
	srv, err := fs.Mount(mountpoint, root, &fs.Options{
		MountOptions: fuse.MountOptions{
			FsName: backing,
			Name:   "faultfs",
			// mount(2) when root, else (or if it fails) fusermount3.
			DirectMount: true,
			// The kernel keeps a file's cached pages until the file is
			// opened again, also when its backing file changes under it
			// (a Lose fault), as a page cache keeps pages whose
			// write-back failed.
			ExplicitDataCacheControl: true,
		},
		// The program under test must see its own metadata changes at
		// once (a file it grew, a file it created).
		AttrTimeout:  &zero,
		EntryTimeout: &zero,
	})
	if err != nil {
		return nil, fmt.Errorf("faultfs: mounting %s on %s: %w", backing, mountpoint, err)
	}
	f.server = srv
	return f, nil
}

// Unmount unmounts the filesystem and waits until it is no longer served.
// While a process has a file open under the mount point it detaches the
// mount instead (it goes away when the last file is closed), so that a
// failed test leaves no mount behind, and returns the error. Once the
// mount is unmounted or detached, Unmount does nothing and returns nil,
// so that a test that unmounts itself can still leave the unmount to
// MountForTest's cleanup.
func (f *FS) Unmount() error {
	if f.gone.Load() {
		return nil
	}
	if err := f.server.Unmount(); err != nil {
		detached := syscall.Unmount(f.mountpoint, syscall.MNT_DETACH) == nil ||
			exec.Command("fusermount3", "-u", "-z", f.mountpoint).Run() == nil
		f.gone.Store(detached)
		return fmt.Errorf("faultfs: unmounting %s: %w", f.mountpoint, err)
	}
	f.server.Wait()
	f.gone.Store(true)
	return nil
}

// Mountpoint returns the directory the filesystem is mounted on.
func (f *FS) Mountpoint() string { return f.mountpoint }

// Backing returns the directory the filesystem mirrors: its files as the
// "disk" has them.
func (f *FS) Backing() string { return f.backing }

// Inject arms fault; armed faults are matched in the order they were
// armed, and the first that matches an operation decides it.
func (f *FS) Inject(fault Fault) {
	left := fault.Count
	if left == 0 {
		left = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &armed{Fault: fault, skip: fault.Skip, left: left})
}

// Clear disarms every fault.
func (f *FS) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Injected returns the faults that fired, oldest first.
func (f *FS) Injected() []Injection {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Injection(nil), f.injected...)
}

// Counts returns the operation counts of the files named name (summed
// over files of that name).
func (f *FS) Counts(name string) Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	var c Counts
	for _, st := range f.files {
		if st.name == name {
			c.Writes += st.writes
			c.Fsyncs += st.fsyncs
		}
	}
	return c
}

// state returns the state of the file with inode ino, named name.
func (f *FS) state(ino uint64, name string) *fileState {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.files[ino]
	if !ok {
		st = &fileState{fs: f}
		f.files[ino] = st
	}
	st.name = name
	return st
}

// match finds the armed fault that fails op on st over [off, off+n)
// (for an fsync, the file's unsynced range), counts op, and returns the
// fault (nil: let it through). A fault that fires is recorded by
// fire.
func (f *FS) match(op Op, st *fileState, off, n int64, unsynced bool) *armed {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case OpWrite:
		st.writes++
	case OpFsync:
		st.fsyncs++
	}
	for i, a := range f.faults {
		if a.Op != op || (a.File != "" && a.File != st.name) {
			continue
		}
		if a.End > a.Off {
			switch op {
			case OpWrite:
				if off+n <= a.Off || off >= a.End {
					continue
				}
			case OpFsync:
				if !unsynced || off < a.Off || off+n > a.End {
					continue
				}
			}
		}
		if a.skip > 0 {
			a.skip--
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			}
		}
		return a
	}
	return nil
}

// fire records that fault a failed an operation on st.
func (f *FS) fire(a *armed, st *fileState, off, n, lost int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injected = append(f.injected, Injection{Fault: a.Fault, File: st.name, Off: off, Len: n, Lost: lost,
		Writes: st.writes, Fsyncs: st.fsyncs, At: time.Now()})
}

// errno returns the errno a fault fails with.
func (a *armed) errno() syscall.Errno {
	if a.Errno == 0 {
		return syscall.EIO
	}
	return a.Errno
}
