package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// DefaultCheckpointEvery is TrainerRunner's time between checkpoints
// when CheckpointEvery is zero. A checkpoint of the paper's network with
// a full L-BFGS history is about 6 MiB and takes tens of milliseconds to
// write, so a minute costs well under 1% of a trial and loses at most a
// minute of it to a preemption or a crash.
const DefaultCheckpointEvery = time.Minute

// maxCheckpointBytes bounds the checkpoint files a worker reads: far
// above any network the trainer accepts in practice (a 2-400-400-400-400-1
// network with a history of 50 is under 200 MiB).
const maxCheckpointBytes = 1 << 30

// checkpointExt ends every checkpoint file's name.
const checkpointExt = ".ckpt"

// ckptStore keeps one trial's checkpoints in dir/SWEEP/KEY.TOKEN.ckpt:
// one file per attempt (the fencing token is unique to it), replaced
// atomically at every checkpoint, so attempts that overlap (a stale one
// still running on a worker presumed dead, on a shared filesystem) never
// write the same file.
type ckptStore struct {
	dir, prefix, path string
	tag               string
	log               hclog.Logger
	mu                sync.Mutex
	failed            bool // a write failed (logged once)
}

// plainName matches the names safeName keeps as they are.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$`)

// safeName is name when it is a plain file name, else a digest of it:
// sweep names may be "." or "..", which the coordinator allows.
func safeName(name string) string {
	if plainName.MatchString(name) {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "h-" + hex.EncodeToString(sum[:8])
}

func newCkptStore(root string, t Trial, log hclog.Logger) *ckptStore {
	dir := filepath.Join(root, safeName(t.Sweep))
	prefix := safeName(t.Key) + "."
	return &ckptStore{
		dir: dir, prefix: prefix,
		path: filepath.Join(dir, prefix+strconv.FormatUint(t.Token, 10)+checkpointExt),
		tag:  t.Sweep + "/" + t.Key,
		log:  log,
	}
}

// files returns the trial's checkpoint files (of every attempt).
func (c *ckptStore) files() ([]string, error) {
	entries, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, c.prefix) && strings.HasSuffix(n, checkpointExt) && e.Type().IsRegular() {
			out = append(out, filepath.Join(c.dir, n))
		}
	}
	return out, nil
}

// newest returns the furthest checkpoint of the trial that continues a
// run of cfg: every checkpoint of a trial lies on the same deterministic
// trajectory, so the one with the most evaluations is the newest, whichever
// attempt wrote it (ties: the latest file). A file that cannot be read,
// is damaged, or belongs to other settings, another trainer or another
// trial is skipped with a log line.
func (c *ckptStore) newest(cfg trainer.Config) (*trainer.Checkpoint, string) {
	files, err := c.files()
	if err != nil {
		c.log.Warn("cannot list checkpoints; starting afresh", "dir", c.dir, "error", err)
		return nil, ""
	}
	var best *trainer.Checkpoint
	var bestFile string
	var bestTime time.Time
	for _, f := range files {
		ck, mtime, err := readCheckpoint(f)
		if err == nil && ck.Tag() != c.tag {
			err = fmt.Errorf("%w: it belongs to trial %q", trainer.ErrCheckpoint, ck.Tag())
		}
		if err == nil {
			err = ck.Check(cfg)
		}
		if err != nil {
			c.log.Warn("ignoring checkpoint", "file", f, "error", err)
			continue
		}
		if best == nil || ck.Evals() > best.Evals() || (ck.Evals() == best.Evals() && mtime.After(bestTime)) {
			best, bestFile, bestTime = ck, f, mtime
		}
	}
	return best, bestFile
}

// readCheckpoint reads and decodes one file, with its modification time.
func readCheckpoint(path string) (*trainer.Checkpoint, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	if fi.Size() > maxCheckpointBytes {
		return nil, fi.ModTime(), fmt.Errorf("%w: %d bytes, more than the %d a worker reads", trainer.ErrCheckpoint, fi.Size(), maxCheckpointBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCheckpointBytes+1))
	if err != nil {
		return nil, fi.ModTime(), err
	}
	ck, err := trainer.ReadCheckpoint(data)
	return ck, fi.ModTime(), err
}

// save writes data as this attempt's checkpoint. A failure is logged (the
// first one as a warning) and does not stop the trial.
func (c *ckptStore) save(data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := atomicfile.MkdirAll(c.dir)
	if err == nil {
		err = atomicfile.WriteFile(c.path, data, atomicfile.Public)
	}
	switch {
	case err != nil && !c.failed:
		c.failed = true
		c.log.Warn("cannot write the checkpoint; the trial goes on without", "file", c.path, "error", err)
	case err != nil:
		c.log.Debug("cannot write the checkpoint", "file", c.path, "error", err)
	default:
		c.log.Debug("checkpoint written", "file", c.path, "bytes", len(data))
	}
}

// set returns the trial's checkpoints of every attempt, with the
// temporary files of interrupted writes, as the CheckpointSet that
// TrainerRunner reports: the worker removes it, with the sweep's
// directory once empty, when the coordinator says the trial is final.
func (c *ckptStore) set() CheckpointSet {
	return CheckpointSet{Dir: c.dir, Prefix: c.prefix}
}

// removeCheckpoints removes the set s (see CheckpointSet for what it
// covers), then the directory that held it if that left it empty. The
// worker calls it when, and only when, the coordinator has said the trial
// is final, and only once the runner has returned, so that nothing writes
// the set any more. Files already gone are no error (attempts on other
// workers sharing the directory may remove them first); other failures are
// logged and leave the rest to be removed.
func removeCheckpoints(log hclog.Logger, s CheckpointSet) {
	if s.Dir == "" {
		return
	}
	var holder string // the directory that held the set, removed if empty
	if s.Prefix == "" {
		// The whole of Dir: refuse a Dir that names no directory of its
		// own (".", "..", the root), which no runner means by a trial's
		// checkpoints and whose removal would take far more.
		switch filepath.Base(filepath.Clean(s.Dir)) {
		case ".", "..", string(filepath.Separator):
			log.Warn("refusing to remove a checkpoint directory that names no directory of its own", "dir", s.Dir)
			return
		}
		// RemoveAll removes symbolic links, never what they point to.
		if err := os.RemoveAll(s.Dir); err != nil {
			log.Warn("cannot remove a finished trial's checkpoints", "dir", s.Dir, "error", err)
		}
		holder = filepath.Dir(filepath.Clean(s.Dir))
	} else {
		entries, err := os.ReadDir(s.Dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("cannot list a finished trial's checkpoints", "dir", s.Dir, "error", err)
		}
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, s.Prefix) && !strings.HasPrefix(n, "."+s.Prefix) {
				continue
			}
			// Remove, not RemoveAll: a file or a link goes, a directory
			// only if empty, so the set never reaches below Dir.
			if err := os.Remove(filepath.Join(s.Dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				log.Warn("cannot remove a finished trial's checkpoints", "file", filepath.Join(s.Dir, n), "error", err)
			}
		}
		holder = s.Dir
	}
	_ = os.Remove(holder) // fails, as it should, while other trials' checkpoints are there
	log.Debug("checkpoints removed: the trial is final", "dir", s.Dir, "prefix", s.Prefix)
}
