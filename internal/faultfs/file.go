package faultfs

import (
	"context"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// node is a loopback node whose open files inject faults.
type node struct {
	*fs.LoopbackNode
	fs *FS
}

var (
	_ fs.NodeWrapChilder = (*node)(nil)
	_ fs.NodeOpener      = (*node)(nil)
	_ fs.NodeCreater     = (*node)(nil)
)

// WrapChild makes every node below the root a node too.
func (n *node) WrapChild(ctx context.Context, ops fs.InodeEmbedder) fs.InodeEmbedder {
	if lb, ok := ops.(*fs.LoopbackNode); ok {
		return &node{LoopbackNode: lb, fs: n.fs}
	}
	return ops
}

// Open implements fs.NodeOpener.
func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	fh, fuseFlags, errno := n.LoopbackNode.Open(ctx, flags)
	if errno != 0 {
		return fh, fuseFlags, errno
	}
	return n.wrap(fh, n.EmbeddedInode(), filepath.Base(n.Path(nil))), fuseFlags, 0
}

// Create implements fs.NodeCreater.
func (n *node) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	in, fh, fuseFlags, errno := n.LoopbackNode.Create(ctx, name, flags, mode, out)
	if errno != 0 {
		return in, fh, fuseFlags, errno
	}
	return in, n.wrap(fh, in, name), fuseFlags, 0
}

// wrap turns a loopback file handle of inode in, named name, into a
// handle. (A created inode is not yet linked to its parent, so Create
// passes the name it was given.)
func (n *node) wrap(fh fs.FileHandle, in *fs.Inode, name string) fs.FileHandle {
	lf, ok := fh.(*fs.LoopbackFile)
	if !ok {
		return fh
	}
	fd, ok := lf.PassthroughFd()
	if !ok {
		return fh
	}
	return &handle{LoopbackFile: lf, fd: fd, st: n.fs.state(in.StableAttr().Ino, name)}
}

// handle is an open file that injects faults in its writes and syncs.
type handle struct {
	*fs.LoopbackFile
	fd int // the backing file's descriptor, owned by LoopbackFile
	st *fileState
}

// PassthroughFd keeps the kernel from bypassing this process for reads
// and writes (FUSE passthrough, which go-fuse uses when it may): every
// write must reach Write.
func (h *handle) PassthroughFd() (int, bool) { return 0, false }

// Write implements fs.FileWriter.
func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	return h.Writev(ctx, [][]byte{data}, off)
}

// Writev implements fs.FileWritever.
func (h *handle) Writev(ctx context.Context, data [][]byte, off int64) (uint32, syscall.Errno) {
	var n int64
	for _, d := range data {
		n += int64(len(d))
	}
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if a := st.fs.match(OpWrite, st, off, n, false); a != nil {
		st.fs.fire(a, st, off, n, 0)
		return 0, a.errno()
	}
	st.save(h.fd, off, n)
	written, errno := h.LoopbackFile.Writev(ctx, data, off)
	st.wrote(off, int64(written))
	return written, errno
}

// Setattr implements fs.FileSetattrer, journalling a size change.
func (h *handle) Setattr(ctx context.Context, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		h.st.mu.Lock()
		defer h.st.mu.Unlock()
		h.st.save(h.fd, 0, 0)
	}
	return h.LoopbackFile.Setattr(ctx, in, out)
}

// Allocate implements fs.FileAllocater, journalling a size change.
func (h *handle) Allocate(ctx context.Context, off, size uint64, mode uint32) syscall.Errno {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	h.st.save(h.fd, 0, 0)
	return h.LoopbackFile.Allocate(ctx, off, size, mode)
}

// Fsync implements fs.FileFsyncer.
func (h *handle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	off, n := st.lo, st.hi-st.lo
	if a := st.fs.match(OpFsync, st, off, n, st.hi > st.lo); a != nil {
		var lost int64
		if a.Lose {
			lost = st.undo(h.fd)
		}
		st.synced()
		st.fs.fire(a, st, off, n, lost)
		return a.errno()
	}
	errno := h.LoopbackFile.Fsync(ctx, flags)
	if errno == 0 {
		st.synced()
	}
	return errno
}

// fileState is what faultfs knows of one backing file: its name and
// counts (guarded by FS.mu) and its writes since the last fsync (guarded
// by mu).
type fileState struct {
	fs             *FS
	name           string
	writes, fsyncs uint64

	mu       sync.Mutex
	dirty    bool  // written (or resized) since the last fsync
	lo, hi   int64 // range of the writes since then
	size     int64 // size at the first change since then
	journal  []saved
	bytes    int64 // data held by journal
	overflow bool  // journal exceeded MaxJournal and was dropped
}

// saved is the former content of a range the file's writes overwrote.
type saved struct {
	off  int64
	data []byte
}

// save journals the range [off, off+n) of the backing file before a
// write (n = 0: before a size change). st.mu is held.
func (st *fileState) save(fd int, off, n int64) {
	if !st.dirty {
		var s syscall.Stat_t
		if err := syscall.Fstat(fd, &s); err != nil {
			st.overflow = true
		}
		st.size = s.Size
	}
	st.dirty = true
	if n == 0 || st.overflow {
		return
	}
	if st.bytes+n > MaxJournal {
		st.journal, st.bytes, st.overflow = nil, 0, true
		return
	}
	buf := make([]byte, n)
	m, err := syscall.Pread(fd, buf, off)
	if err != nil {
		st.journal, st.bytes, st.overflow = nil, 0, true
		return
	}
	// Bytes past the end of the file are not journalled: the truncation
	// to the saved size removes them.
	st.journal = append(st.journal, saved{off: off, data: buf[:max(m, 0)]})
	st.bytes += n
}

// wrote records a write of n bytes at off. st.mu is held.
func (st *fileState) wrote(off, n int64) {
	if n <= 0 {
		return
	}
	if st.hi == st.lo {
		st.lo, st.hi = off, off+n
		return
	}
	st.lo, st.hi = min(st.lo, off), max(st.hi, off+n)
}

// undo restores the backing file as it was at its last successful fsync
// and returns the number of bytes restored, or -1 if the journal had
// overflowed. st.mu is held.
func (st *fileState) undo(fd int) int64 {
	if !st.dirty {
		return 0
	}
	if st.overflow {
		return -1
	}
	var lost int64
	for i := len(st.journal) - 1; i >= 0; i-- {
		s := st.journal[i]
		if _, err := syscall.Pwrite(fd, s.data, s.off); err != nil {
			return -1
		}
		lost += int64(len(s.data))
	}
	var s syscall.Stat_t
	if err := syscall.Fstat(fd, &s); err == nil && s.Size != st.size {
		if err := syscall.Ftruncate(fd, st.size); err != nil {
			return -1
		}
		if s.Size > st.size {
			lost += s.Size - st.size
		}
	}
	// The undo itself must reach the disk: it is the state the program
	// will find when it opens the file again.
	if err := syscall.Fdatasync(fd); err != nil {
		return -1
	}
	return lost
}

// synced forgets the writes since the last fsync. st.mu is held.
func (st *fileState) synced() {
	st.dirty, st.overflow = false, false
	st.lo, st.hi = 0, 0
	st.journal, st.bytes = nil, 0
}
