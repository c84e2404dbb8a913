package boltstore

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// DefaultLockTimeout is how long Open waits for the database
// file's lock when Options.LockTimeout is zero.
const DefaultLockTimeout = time.Second

// DefaultInitialMmapSize is the size bbolt maps the file with when
// Options.InitialMmapSize is zero: 1 GiB, the size of a database with
// about 4,000,000 trials before their results (schema version 2).
const DefaultInitialMmapSize = 1 << 30

// Options configures Open. The zero value opens the file
// read-write, creating it if needed, waits DefaultLockTimeout for the file
// lock and logs nothing.
type Options struct {
	// ReadOnly opens an existing database without writing to it (a shared
	// lock: it fails with ErrLocked while a coordinator holds the file).
	// Commit then fails.
	ReadOnly bool
	// LockTimeout bounds the wait for the file lock; zero means
	// DefaultLockTimeout. A timeout gives ErrLocked.
	LockTimeout time.Duration
	// Logger receives the store's log lines; nil discards them.
	Logger hclog.Logger
	// NoSyncFreelist skips writing bbolt's freelist in every commit
	// (bbolt's NoFreelistSync, as etcd does): commits write a page less,
	// but opening the file read-write then rebuilds the freelist by walking
	// every page, which takes time proportional to the file and leaves the
	// whole file resident in the process (a 1,000,000-trial database:
	// resume 2.3 s and RSS 411 MiB without the freelist, 1.8 s and 219 MiB
	// with it; BENCHMARKS.md). The default writes it. A file written either
	// way opens either way.
	NoSyncFreelist bool
	// InitialMmapSize is the size of bbolt's initial memory map (address
	// space, not memory: the file does not grow with it); zero means
	// DefaultInitialMmapSize. Each time the file outgrows the map, bbolt
	// remaps it, and a write transaction in progress first copies every
	// key and value it has touched out of the old map. A large
	// transaction that crossed several remaps copied its records several
	// times over (58% of the allocations of a 100,000-trial submission
	// when one transaction wrote them all, BENCHMARKS.md).
	InitialMmapSize int
}

// Store is the bbolt implementation of state.Store. Every Commit is one
// read-write transaction, synced to disk (fdatasync, twice: the data pages,
// then the meta page) before Commit returns.
type Store struct {
	db  *bolt.DB
	log hclog.Logger

	mu     sync.Mutex
	broken error // a commit's outcome is unknown (wraps state.ErrCommitUnknown); see update
}

var _ state.Store = (*Store)(nil)

// Open opens (read-write: creates) the pinnsweep database at path.
// It validates the file: a locked file gives ErrLocked, a truncated or
// non-bbolt file state.ErrCorrupt, a bbolt file of another application
// ErrForeignDatabase and an unknown schema version ErrSchemaVersion, each
// wrapped with the path.
func Open(path string, opts Options) (st *Store, err error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	if opts.ReadOnly {
		// bbolt would report a missing file with a less helpful error.
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	if err := checkFile(path); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", state.ErrCorrupt, path, err)
	}
	if !opts.ReadOnly {
		if err := verifyPages(path, timeout); err != nil {
			return nil, err
		}
	}
	// bbolt panics (or faults, for pages beyond the end of the file) on
	// some damaged files; turn both into state.ErrCorrupt, closing the file so
	// its lock is released.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var db *bolt.DB
	var file *os.File
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, fmt.Errorf("%w: %s: %v", state.ErrCorrupt, path, r)
		}
		if err != nil {
			closeAfterFailure(db, file)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      timeout,
		ReadOnly:     opts.ReadOnly,
		FreelistType: bolt.FreelistMapType,
		// Writing the freelist costs a page per commit and spares a
		// read-write open a walk over every page of the file (see
		// Options.NoSyncFreelist). Both kinds of file open either way.
		NoFreelistSync:  opts.NoSyncFreelist,
		InitialMmapSize: cmp.Or(opts.InitialMmapSize, DefaultInitialMmapSize),
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err != nil {
		return nil, classifyOpenError(path, err)
	}
	if opts.ReadOnly {
		err = db.View(func(tx *bolt.Tx) error { return checkSchema(tx) })
	} else {
		err = db.Update(func(tx *bolt.Tx) error { return initSchema(tx, log) })
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	log.Debug("opened database", "path", path, "read_only", opts.ReadOnly, "schema_version", SchemaVersion)
	return &Store{db: db, log: log}, nil
}

// closeAfterFailure releases a database whose opening failed, possibly
// half-way through bolt.Open; the file is closed at least, which releases
// its lock.
func closeAfterFailure(db *bolt.DB, file *os.File) {
	defer func() {
		if recover() != nil && file != nil {
			_ = file.Close()
		}
	}()
	if db != nil {
		_ = db.Close()
	} else if file != nil {
		_ = file.Close()
	}
}

// verifyPages reads every page reachable from an existing database's
// root, read-only and in this goroutine, where a damaged page's panic (or
// fault) is recovered as state.ErrCorrupt. bbolt's read-write Open rebuilds the
// freelist (which pinnsweep does not write) by the same walk in a
// goroutine of its own, where a damaged page would crash the process. A
// missing or empty file passes.
func verifyPages(path string, timeout time.Duration) (err error) {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil // bolt.Open reports what is wrong, or initialises the file
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var db *bolt.DB
	var file *os.File
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", state.ErrCorrupt, path, r)
		}
		closeAfterFailure(db, file)
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: true,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err != nil {
		return classifyOpenError(path, err)
	}
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
	})
}

// walkBucket visits every key of b and of its nested buckets.
func walkBucket(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if nested := b.Bucket(k); nested != nil {
				return walkBucket(nested)
			}
		}
		return nil
	})
}

// classifyOpenError maps bolt.Open's errors to the package's sentinels.
func classifyOpenError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w: %s", ErrLocked, path)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("open database: %w", err)
	default:
		return fmt.Errorf("%w: %s: %w", state.ErrCorrupt, path, err)
	}
}

// checkFile inspects an existing, non-empty database file before bbolt
// maps it: a file whose valid meta page describes more pages than the file
// holds was truncated, and bbolt would read beyond its end. It leaves
// other damage (bad magic, checksums) to bbolt, which reports it.
func checkFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return nil // bbolt initialises an empty file
	}
	if size < metaPrefixLen {
		return fmt.Errorf("not a bbolt database (only %d bytes)", size)
	}
	m0, err := readMeta(f, 0)
	if err != nil {
		return err
	}
	if m0.magic != boltMagic {
		return errors.New("not a bbolt database (bad magic number)")
	}
	ps := int64(m0.pageSize)
	if ps < 512 || ps > 1<<20 || ps&(ps-1) != 0 {
		return fmt.Errorf("implausible page size %d", ps)
	}
	best := m0
	if m1, err := readMeta(f, ps); err == nil && m1.valid && (!best.valid || m1.txid > best.txid) {
		best = m1
	}
	if !best.valid {
		return errors.New("both meta pages are damaged")
	}
	if need := int64(best.pgid) * ps; size < need {
		return fmt.Errorf("truncated: the file has %d bytes, the database needs %d", size, need)
	}
	if best.root >= best.pgid || best.freelist != ^uint64(0) && best.freelist >= best.pgid {
		return errors.New("meta page points beyond the end of the database")
	}
	return nil
}

// metaPrefixLen is the length of a page header and a meta: 16 + 64 bytes,
// the checksum at offset 56 of the meta.
const metaPrefixLen = 16 + 64

// boltMagic is bbolt's file magic number.
const boltMagic = 0xED0CDAED

// boltMeta is the part of a bbolt meta page checkFile needs.
type boltMeta struct {
	magic, version, pageSize uint32
	root, freelist, pgid     uint64
	txid                     uint64
	valid                    bool // magic, version 2 and checksum are right
}

// readMeta decodes the meta page at offset off. The layout (bbolt's
// internal/common.Meta after a 16-byte page header, native byte order) has
// been stable since bbolt's file format version 2.
func readMeta(f *os.File, off int64) (boltMeta, error) {
	const header = 16
	var buf [metaPrefixLen]byte
	if _, err := f.ReadAt(buf[:], off); err != nil {
		return boltMeta{}, fmt.Errorf("reading the meta page at %d: %w", off, err)
	}
	b := buf[header:]
	e := binary.NativeEndian
	m := boltMeta{
		magic:    e.Uint32(b[0:]),
		version:  e.Uint32(b[4:]),
		pageSize: e.Uint32(b[8:]),
		root:     e.Uint64(b[16:]),
		freelist: e.Uint64(b[32:]),
		pgid:     e.Uint64(b[40:]),
		txid:     e.Uint64(b[48:]),
	}
	h := fnv.New64a()
	h.Write(b[:56])
	m.valid = m.magic == boltMagic && m.version == 2 && h.Sum64() == e.Uint64(b[56:])
	return m, nil
}

// Close implements state.Store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }
