// Package faultfs is a FUSE filesystem for fault-injection tests: a
// loopback mount of a directory (go-fuse's fs.LoopbackRoot) that fails
// chosen writes and fsyncs with an errno when a test asks it to.
//
// A test mounts a backing directory, points a real program (a `pinnsweep
// serve` process) at files under the mount point, and arms a Fault at the
// moment it chooses:
//
//	ffs, err := faultfs.Mount(backing, mnt)
//	...
//	defer ffs.Unmount()
//	// ... start the program on mnt/sweeps.db, let it work ...
//	ffs.Inject(faultfs.Fault{Op: faultfs.OpFsync, File: "sweeps.db", Off: 0, End: 8192, Lose: true})
//	// ... the next fsync of the file whose unsynced writes all lie in the
//	// first 8 KiB (bbolt's two meta pages) fails with EIO ...
//	for _, in := range ffs.Injected() { ... }
//
// A test calls MountForTest instead, which also unmounts the filesystem
// when the test ends, and skips the test where FUSE is unavailable (fails
// it when PINNSWEEP_REQUIRE_FAULTS=1, RequireEnv, as in CI);
// TmpfsForTest does the same for a small tmpfs, a real disk that runs
// out of space, which Fill fills (writing at most the limit it is given,
// so that it never fills a real disk).
//
// The filesystem runs in the test's process; the program under test only
// sees a mounted filesystem whose write(2), pwrite(2) and fsync(2) /
// fdatasync(2) sometimes fail, as a failing disk or a full one would.
//
// # What a failed fsync leaves behind
//
// A Fault with Lose set models the kernel behaviour behind PostgreSQL's
// "fsyncgate" (2018): when write-back fails, Linux reports the error once
// and marks the dirty pages clean, so the page cache keeps the new data
// while the disk keeps the old, and a retried fsync "succeeds". faultfs
// keeps an undo journal of each file's writes since its last successful
// fsync; a Lose fsync fault undoes them in the backing file (the "disk")
// while the kernel's page cache of the mount keeps the written data, so
// the program still reads (and maps) what it wrote until the file is
// opened again. Without Lose the backing file keeps the writes: the disk
// got the data after all, and only the acknowledgement failed. Both are
// possible outcomes of a real failed fsync, and a program must be correct
// under both.
//
// After any fsync fault (Lose or not) the file counts as synced, as after a
// failed write-back on Linux: the next fsync succeeds unless another fault
// matches it.
//
// # Never map the mount in the serving process
//
// The filesystem is served by goroutines of the process that mounted it,
// so that process must reach files under the mount point only through
// system calls (open, read, write, fsync), never through a memory map
// (bbolt maps its file). A page fault on a mapped FUSE file blocks its
// thread outside any system call until the filesystem answers, and the Go
// runtime's stop-the-world (every garbage collection) waits for that
// thread while the goroutines that would answer are stopped: the process
// deadlocks. Run the program under test in another process, as the
// end-to-end tests do, and read what it wrote through the backing
// directory (Backing). A unit test that must drive a mapping library
// step by step runs it in a Helper: the test binary started again by
// StartTestHelper, its TestMain running ServeHelper's command loop.
//
// # Limits
//
// Writes go through FUSE one request at a time per file (no writeback
// cache, no passthrough), so the mount is slow next to a local disk but
// sees every write. A file is identified by its base name when it is
// opened; a file renamed while open keeps its old name. Truncation
// through a path (truncate(2)) is not journalled, only through an open
// file (ftruncate(2)). The undo journal of a file holds at most
// MaxJournal bytes; beyond that a Lose fault cannot undo the writes and
// says so in its Injection. Mounting needs /dev/fuse and either root
// (mount(2)) or the setuid fusermount3 (Debian package fuse3); Available
// reports which is missing.
package faultfs
