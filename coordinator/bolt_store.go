package coordinator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the database layout version this build writes (see
// "Bucket layout" in the package documentation). It also reads version 1
// files (JSON trial records, no inputs bucket), and upgrades one to
// version 2 when it opens it read-write: it adds the inputs bucket and
// sets the version, and leaves the records as they are (each is rewritten
// in the binary encoding when its trial next changes).
const SchemaVersion = 2

// schemaVersionJSON is the version of files whose trial records are all
// JSON, which this build reads.
const schemaVersionJSON = 1

// Bucket and meta key names of the bbolt layout.
var (
	bucketMeta    = []byte("meta")
	bucketSweeps  = []byte("sweeps")
	bucketTrials  = []byte("trials")
	bucketResults = []byte("results")
	bucketInputs  = []byte("inputs")

	keySchemaVersion = []byte("schema_version")
	keyNextToken     = []byte("next_token")
	keyApplication   = []byte("application")
	keyCreated       = []byte("created")
	keyPartial       = []byte("partial_submit")

	applicationName = []byte("pinnsweep")
)

// DefaultLockTimeout is how long OpenBoltStore waits for the database
// file's lock when BoltOptions.LockTimeout is zero.
const DefaultLockTimeout = time.Second

// DefaultInitialMmapSize is the size bbolt maps the file with when
// BoltOptions.InitialMmapSize is zero: 1 GiB, the size of a database with
// about 4,000,000 trials before their results (schema version 2).
const DefaultInitialMmapSize = 1 << 30

// BoltOptions configures OpenBoltStore. The zero value opens the file
// read-write, creating it if needed, waits DefaultLockTimeout for the file
// lock and logs nothing.
type BoltOptions struct {
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

// BoltStore is the bbolt implementation of Store. Every Commit is one
// read-write transaction, synced to disk (fdatasync, twice: the data pages,
// then the meta page) before Commit returns.
type BoltStore struct {
	db  *bolt.DB
	log hclog.Logger

	mu     sync.Mutex
	broken error // a commit's outcome is unknown (wraps ErrCommitUnknown); see update
}

var _ Store = (*BoltStore)(nil)

// OpenBoltStore opens (read-write: creates) the pinnsweep database at path.
// It validates the file: a locked file gives ErrLocked, a truncated or
// non-bbolt file ErrCorrupt, a bbolt file of another application
// ErrForeignDatabase and an unknown schema version ErrSchemaVersion, each
// wrapped with the path.
func OpenBoltStore(path string, opts BoltOptions) (st *BoltStore, err error) {
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
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	if !opts.ReadOnly {
		if err := verifyPages(path, timeout); err != nil {
			return nil, err
		}
	}
	// bbolt panics (or faults, for pages beyond the end of the file) on
	// some damaged files; turn both into ErrCorrupt, closing the file so
	// its lock is released.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var db *bolt.DB
	var file *os.File
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
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
		// BoltOptions.NoSyncFreelist). Both kinds of file open either way.
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
	return &BoltStore{db: db, log: log}, nil
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
// fault) is recovered as ErrCorrupt. bbolt's read-write Open rebuilds the
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
			err = fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
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
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
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

// initSchema creates the buckets of a new database, or checks those of an
// existing one.
func initSchema(tx *bolt.Tx, log hclog.Logger) error {
	if tx.Bucket(bucketMeta) != nil {
		if err := checkSchema(tx); err != nil {
			return err
		}
		if v, _ := getU64(tx.Bucket(bucketMeta).Get(keySchemaVersion)); v == schemaVersionJSON {
			if _, err := tx.CreateBucketIfNotExists(bucketInputs); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(SchemaVersion)); err != nil {
				return err
			}
			log.Info("upgraded database", "from_schema_version", v, "schema_version", SchemaVersion)
		}
		return discardPartial(tx, log)
	}
	empty := true
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
	if !empty {
		return fmt.Errorf("%w: it has buckets but no %q bucket", ErrForeignDatabase, bucketMeta)
	}
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bucketSweeps, bucketTrials, bucketResults, bucketInputs} {
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	for k, v := range map[string][]byte{
		string(keyApplication):   applicationName,
		string(keySchemaVersion): u64(SchemaVersion),
		string(keyNextToken):     u64(1),
		string(keyCreated):       []byte(time.Now().UTC().Format(time.RFC3339)),
	} {
		if err := meta.Put([]byte(k), v); err != nil {
			return err
		}
	}
	log.Info("initialised new database", "schema_version", SchemaVersion)
	return nil
}

// checkSchema validates the meta bucket and the presence of every bucket.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("%w: no %q bucket", ErrForeignDatabase, bucketMeta)
	}
	if app := meta.Get(keyApplication); !bytes.Equal(app, applicationName) {
		return fmt.Errorf("%w: meta application is %q", ErrForeignDatabase, app)
	}
	v, ok := getU64(meta.Get(keySchemaVersion))
	if !ok {
		return fmt.Errorf("%w: missing or malformed schema_version", ErrCorrupt)
	}
	if v != SchemaVersion && v != schemaVersionJSON {
		return fmt.Errorf("%w: the file has schema version %d, this pinnsweep supports %d and %d", ErrSchemaVersion, v, schemaVersionJSON, SchemaVersion)
	}
	if _, ok := getU64(meta.Get(keyNextToken)); !ok {
		return fmt.Errorf("%w: missing or malformed next_token", ErrCorrupt)
	}
	want := [][]byte{bucketSweeps, bucketTrials, bucketResults}
	if v == SchemaVersion {
		want = append(want, bucketInputs)
	}
	for _, b := range want {
		if tx.Bucket(b) == nil {
			return fmt.Errorf("%w: missing bucket %q", ErrCorrupt, b)
		}
	}
	if _, err := readPartial(tx); err != nil {
		return err
	}
	return nil
}

// Load implements Store.
func (s *BoltStore) Load(ctx context.Context) (st *State, err error) {
	var trials []TrialRecord
	st, err = s.scan(ctx, true, func(t *TrialRecord) error {
		trials = append(trials, *t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.Trials = trials
	return st, nil
}

// Scan implements Store.
func (s *BoltStore) Scan(ctx context.Context, fn func(*TrialRecord) error) (*State, error) {
	return s.scan(ctx, false, fn)
}

// scan reads the sweeps and token counter, and calls fn with every trial
// (with its params and point if inputs is set), skipping those of an
// interrupted submission.
func (s *BoltStore) scan(ctx context.Context, inputs bool, fn func(*TrialRecord) error) (st *State, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	st = &State{}
	err = s.db.View(func(tx *bolt.Tx) error {
		if err := checkSchema(tx); err != nil {
			return err
		}
		partial, _ := readPartial(tx)
		st.NextToken, _ = getU64(tx.Bucket(bucketMeta).Get(keyNextToken))
		if err := tx.Bucket(bucketSweeps).ForEach(func(k, v []byte) error {
			var rec SweepRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%w: sweep %q: %w", ErrCorrupt, k, err)
			}
			st.Sweeps = append(st.Sweeps, rec)
			return nil
		}); err != nil {
			return err
		}
		var t TrialRecord
		return tx.Bucket(bucketTrials).ForEachBucket(func(sweep []byte) error {
			name := string(sweep)
			skip, hasSkip := partial[name]
			ib := inputsBucket(tx, name)
			return tx.Bucket(bucketTrials).Bucket(sweep).ForEach(func(k, v []byte) error {
				if err := decodeTrial(name, k, v, &t); err != nil {
					return err
				}
				if hasSkip && t.Index >= skip {
					return nil
				}
				if inputs {
					if err := readInputs(ib, &t); err != nil {
						return err
					}
				} else {
					t.Params, t.Point = nil, nil
				}
				return fn(&t)
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load database: %w", err)
	}
	st.NextToken = max(st.NextToken, 1)
	return st, nil
}

// inputsBucket returns the inputs bucket of a sweep, or nil if it has none
// (a schema 1 file, or a sweep whose records are all JSON).
func inputsBucket(tx *bolt.Tx, sweep string) *bolt.Bucket {
	if b := tx.Bucket(bucketInputs); b != nil {
		return b.Bucket([]byte(sweep))
	}
	return nil
}

// readInputs sets the params and point of a trial decoded from a binary
// record, from the sweep's inputs bucket ib. A JSON record has them.
func readInputs(ib *bolt.Bucket, t *TrialRecord) error {
	if t.Params != nil || t.Point != nil {
		return nil
	}
	var v []byte
	if ib != nil {
		v = ib.Get([]byte(t.Key))
	}
	if v == nil {
		return fmt.Errorf("%w: trial %s has no inputs record", ErrCorrupt, t.ID())
	}
	params, point, err := decodeInputs(v)
	if err != nil {
		return fmt.Errorf("%w: trial %s: inputs: %w", ErrCorrupt, t.ID(), err)
	}
	t.Params, t.Point = bytes.Clone(params), bytes.Clone(point)
	return nil
}

// Trials implements Store.
func (s *BoltStore) Trials(ctx context.Context, sweep string) (out []TrialRecord, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSweeps).Get([]byte(sweep)) == nil {
			return fmt.Errorf("%w: %q", ErrNotFound, sweep)
		}
		tb := tx.Bucket(bucketTrials).Bucket([]byte(sweep))
		if tb == nil {
			return nil
		}
		partial, _ := readPartial(tx)
		skip, hasSkip := partial[sweep]
		ib := inputsBucket(tx, sweep)
		rb := tx.Bucket(bucketResults).Bucket([]byte(sweep))
		return tb.ForEach(func(k, v []byte) error {
			var rec TrialRecord
			if err := decodeTrial(sweep, k, v, &rec); err != nil {
				return err
			}
			if hasSkip && rec.Index >= skip {
				return nil
			}
			if err := readInputs(ib, &rec); err != nil {
				return err
			}
			if rb != nil {
				if r := rb.Get(k); r != nil {
					rec.Result = bytes.Clone(r)
				}
			}
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read trials of %q: %w", sweep, err)
	}
	sortTrials(out)
	return out, nil
}

// Trial implements Store.
func (s *BoltStore) Trial(ctx context.Context, sweep, key string) (rec TrialRecord, err error) {
	if err := ctx.Err(); err != nil {
		return rec, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		var v []byte
		if tb := tx.Bucket(bucketTrials).Bucket([]byte(sweep)); tb != nil {
			v = tb.Get([]byte(key))
		}
		if v == nil {
			return fmt.Errorf("%w: trial %s/%s", ErrNotFound, sweep, key)
		}
		if err := decodeTrial(sweep, []byte(key), v, &rec); err != nil {
			return err
		}
		if err := readInputs(inputsBucket(tx, sweep), &rec); err != nil {
			return err
		}
		if rb := tx.Bucket(bucketResults).Bucket([]byte(sweep)); rb != nil {
			if r := rb.Get([]byte(key)); r != nil {
				rec.Result = bytes.Clone(r)
			}
		}
		return nil
	})
	if err != nil {
		return TrialRecord{}, fmt.Errorf("read trial %s/%s: %w", sweep, key, err)
	}
	return rec, nil
}

// commitChunk is the most new trials (NewTrials) the bbolt store writes in
// one transaction: a larger submission is written in several, see
// Commit. (A variable for tests.)
var commitChunk = 1 << 16

// Commit implements Store: one read-write transaction, fsynced.
//
// A change that adds more than commitChunk trials in New (a large
// submission) is written in several transactions, so that bbolt's dirty
// pages do not hold the whole submission: the first records the
// submission in the meta bucket (partial_submit: each sweep's number of
// trials before it), the next ones write the new trials in key order, and
// the last writes the rest of the change and removes the record. Until
// then readers skip the trials the record names (Load, Scan, Trials,
// Trial, CheckDatabase); a failed commit deletes them again, and so does
// the next read-write open after a crash. So the change is still all or
// nothing for every reader, and durable once Commit returns nil.
//
// A commit that fails in bbolt wraps ErrDiskFull or ErrStorage when the
// file's committed state is as before, and ErrCommitUnknown when its
// outcome is unknown; the store then commits nothing more (see update,
// and "Storage faults" in the package documentation).
func (s *BoltStore) Commit(ctx context.Context, ch *Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ch.Empty() {
		return nil
	}
	var runs []newRun
	big := 0
	for _, nt := range ch.New {
		big += len(nt.Keys)
	}
	if big > commitChunk {
		var err error
		if runs, err = s.commitNew(ch); err != nil {
			s.discardPartial(err)
			return fmt.Errorf("commit: %w", err)
		}
	}
	err := s.update(func(tx *bolt.Tx) error {
		if ch.NextToken != 0 {
			if err := tx.Bucket(bucketMeta).Put(keyNextToken, u64(ch.NextToken)); err != nil {
				return err
			}
		}
		sb := tx.Bucket(bucketSweeps)
		for i := range ch.Sweeps {
			v, err := json.Marshal(&ch.Sweeps[i])
			if err != nil {
				return err
			}
			if err := sb.Put([]byte(ch.Sweeps[i].Name), v); err != nil {
				return fmt.Errorf("sweep %q: %w", ch.Sweeps[i].Name, err)
			}
		}
		var trials []TrialRecord
		if runs == nil {
			for _, nt := range ch.New {
				for i := range nt.Keys {
					t, err := nt.Record(i)
					if err != nil {
						return err
					}
					trials = append(trials, t)
				}
			}
		}
		trials = append(trials, ch.Trials...) // after New: a trial in both is put as Trials has it
		// Put in key order: bbolt inserts into an unsplit node in memory,
		// so a large transaction of keys in random (hash) order costs
		// quadratic copying, and one in order costs none.
		slices.SortStableFunc(trials, func(x, y TrialRecord) int {
			return cmp.Or(cmp.Compare(x.Sweep, y.Sweep), cmp.Compare(x.Key, y.Key))
		})
		w := trialWriter{tx: tx}
		for i := range trials {
			if err := w.put(&trials[i]); err != nil {
				return err
			}
		}
		results := slices.Clone(ch.Results)
		slices.SortStableFunc(results, func(x, y ResultPut) int {
			return cmp.Or(cmp.Compare(x.Sweep, y.Sweep), cmp.Compare(x.Key, y.Key))
		})
		for _, r := range results {
			if r.JSON == nil {
				if b := tx.Bucket(bucketResults).Bucket([]byte(r.Sweep)); b != nil {
					if err := b.Delete([]byte(r.Key)); err != nil {
						return err
					}
				}
				continue
			}
			b, err := tx.Bucket(bucketResults).CreateBucketIfNotExists([]byte(r.Sweep))
			if err != nil {
				return fmt.Errorf("results bucket of %q: %w", r.Sweep, err)
			}
			if err := b.Put([]byte(r.Key), r.JSON); err != nil {
				return fmt.Errorf("result %s/%s: %w", r.Sweep, r.Key, err)
			}
		}
		if runs != nil {
			return tx.Bucket(bucketMeta).Delete(keyPartial)
		}
		return nil
	})
	if err != nil {
		if runs != nil {
			s.discardPartial(err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// discardPartial deletes the trials of a chunked submission that failed
// with err, unless the store's state is unknown (ErrCommitUnknown): it
// commits nothing more then, and the next open discards them.
func (s *BoltStore) discardPartial(err error) {
	if errors.Is(err, ErrCommitUnknown) {
		return
	}
	if derr := s.update(func(tx *bolt.Tx) error { return discardPartial(tx, s.log) }); derr != nil {
		s.log.Error("discarding an interrupted submission failed; the next open discards it", "error", derr)
	}
}

// newRun is one sweep's run of new trials in a chunked commit.
type newRun struct {
	sweep string
	base  int
}

// commitNew writes the new trials of ch (its New runs) in transactions of
// at most commitChunk trials, after recording the submission in the meta
// bucket (see Commit).
func (s *BoltStore) commitNew(ch *Change) ([]newRun, error) {
	partial := map[string]int{}
	var runs []newRun
	for _, nt := range ch.New {
		if b, ok := partial[nt.Sweep]; !ok || nt.Base < b {
			partial[nt.Sweep] = nt.Base
		}
		runs = append(runs, newRun{nt.Sweep, nt.Base})
	}
	marker, err := json.Marshal(partial)
	if err != nil {
		return nil, err
	}
	if err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyPartial, marker)
	}); err != nil {
		return nil, err
	}
	for _, nt := range ch.New {
		// Key order (see Commit): each transaction then fills a run of
		// adjacent pages instead of touching every page of the bucket.
		order := make([]int32, len(nt.Keys))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(nt.Keys[a], nt.Keys[b]) })
		for len(order) > 0 {
			n := min(len(order), commitChunk)
			err := s.update(func(tx *bolt.Tx) error {
				w := trialWriter{tx: tx, fill: 0.95}
				for _, i := range order[:n] {
					t, err := nt.Record(int(i))
					if err != nil {
						return err
					}
					if err := w.put(&t); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			order = order[n:]
		}
	}
	return runs, nil
}

// trialWriter puts trial records in a transaction, with the buckets of
// the current sweep at hand.
type trialWriter struct {
	tx     *bolt.Tx
	fill   float64 // bbolt FillPercent of the buckets written (0: bbolt's default)
	sweep  string
	tb, ib *bolt.Bucket
}

// put writes t's binary state record and, if t carries them, its inputs
// record. A record without params and point keeps the stored inputs: if
// it replaces a JSON record, which holds them, they move to the inputs
// bucket.
func (w *trialWriter) put(t *TrialRecord) error {
	if w.tb == nil || w.sweep != t.Sweep {
		tb, err := w.tx.Bucket(bucketTrials).CreateBucketIfNotExists([]byte(t.Sweep))
		if err != nil {
			return fmt.Errorf("trials bucket of %q: %w", t.Sweep, err)
		}
		ib, err := w.tx.Bucket(bucketInputs).CreateBucketIfNotExists([]byte(t.Sweep))
		if err != nil {
			return fmt.Errorf("inputs bucket of %q: %w", t.Sweep, err)
		}
		if w.fill > 0 {
			tb.FillPercent, ib.FillPercent = w.fill, w.fill
		}
		w.sweep, w.tb, w.ib = t.Sweep, tb, ib
	}
	key := []byte(t.Key)
	v, err := appendTrialState(nil, t)
	if err != nil {
		return err
	}
	var inputs []byte
	switch old := w.tb.Get(key); {
	case t.Params != nil || t.Point != nil:
		inputs = appendInputs(nil, t.Params, t.Point)
	case isJSONRecord(old):
		var o TrialRecord
		if err := json.Unmarshal(old, &o); err != nil {
			return fmt.Errorf("%w: trial %s: %w", ErrCorrupt, t.ID(), err)
		}
		inputs = appendInputs(nil, o.Params, o.Point)
	}
	if inputs != nil {
		if err := w.ib.Put(key, inputs); err != nil {
			return fmt.Errorf("inputs of trial %s: %w", t.ID(), err)
		}
	}
	if err := w.tb.Put(key, v); err != nil {
		return fmt.Errorf("trial %s: %w", t.ID(), err)
	}
	return nil
}

// readPartial returns the interrupted submission recorded in the meta
// bucket (see Commit): for each sweep, the number of its trials before
// the submission. It is empty when there is none.
func readPartial(tx *bolt.Tx) (map[string]int, error) {
	v := tx.Bucket(bucketMeta).Get(keyPartial)
	if v == nil {
		return nil, nil
	}
	var p map[string]int
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, fmt.Errorf("%w: meta %s: %w", ErrCorrupt, keyPartial, err)
	}
	return p, nil
}

// discardPartial deletes the trials of an interrupted submission (see
// Commit), and the record of it.
func discardPartial(tx *bolt.Tx, log hclog.Logger) error {
	partial, err := readPartial(tx)
	if err != nil || partial == nil {
		return err
	}
	for sweep, base := range partial {
		tb := tx.Bucket(bucketTrials).Bucket([]byte(sweep))
		ib := inputsBucket(tx, sweep)
		if tb == nil {
			continue
		}
		if base == 0 && tx.Bucket(bucketSweeps).Get([]byte(sweep)) == nil {
			if err := tx.Bucket(bucketTrials).DeleteBucket([]byte(sweep)); err != nil {
				return err
			}
			if ib != nil {
				if err := tx.Bucket(bucketInputs).DeleteBucket([]byte(sweep)); err != nil {
					return err
				}
			}
			log.Warn("discarded an interrupted submission", "sweep", sweep)
			continue
		}
		var drop [][]byte
		var t TrialRecord
		if err := tb.ForEach(func(k, v []byte) error {
			if err := decodeTrial(sweep, k, v, &t); err != nil {
				return err
			}
			if t.Index >= base {
				drop = append(drop, bytes.Clone(k))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			if err := tb.Delete(k); err != nil {
				return err
			}
			if ib != nil {
				if err := ib.Delete(k); err != nil {
					return err
				}
			}
		}
		log.Warn("discarded an interrupted submission", "sweep", sweep, "trials", len(drop))
	}
	return tx.Bucket(bucketMeta).Delete(keyPartial)
}

// Close implements Store.
func (s *BoltStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Path returns the database file's path.
func (s *BoltStore) Path() string { return s.db.Path() }

// decodeTrial decodes a stored trial record of either encoding into t.
func decodeTrial(sweep string, key, v []byte, t *TrialRecord) error {
	if err := decodeStoredTrial(sweep, string(key), v, t); err != nil {
		return fmt.Errorf("%w: trial %s/%s: %w", ErrCorrupt, sweep, key, err)
	}
	return nil
}

// recoverCorrupt turns a bbolt panic on a damaged page into ErrCorrupt.
func recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrCorrupt, r)
	}
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getU64(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// Sweep returns one sweep's record; ErrNotFound if there is none.
func (s *BoltStore) Sweep(ctx context.Context, name string) (rec SweepRecord, err error) {
	if err := ctx.Err(); err != nil {
		return rec, err
	}
	defer recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSweeps).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("%w: sweep %q: %w", ErrCorrupt, name, err)
		}
		return nil
	})
	return rec, err
}
