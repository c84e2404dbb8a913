package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
)

// Stage writes a set of files into a directory all together or not at
// all: they are written into a hidden staging directory inside it, and
// Commit moves them into place, the names it is given last; until Commit,
// the directory's files are untouched, and Abort removes what was staged.
// Each file is written by atomicfile.Write, so it is on disk before Commit
// moves it, and Commit fsyncs the directories it moves files into: once
// Commit returns, the new files survive a crash. A Stage is not safe for
// concurrent use.
type Stage struct {
	dir, tmp string
	names    []string // staged files, relative to dir, in order
}

// NewStage creates dir if missing (durably, see atomicfile.MkdirAll) and a
// staging directory inside it.
func NewStage(dir string) (*Stage, error) {
	if err := atomicfile.MkdirAll(dir); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".staging-")
	if err != nil {
		return nil, err
	}
	return &Stage{dir: dir, tmp: tmp}, nil
}

// WriteFile stages the file name (a slash-separated path relative to the
// stage's directory, its parent directories created as needed) with mode
// perm, written by write. A name may be staged once.
func (s *Stage) WriteFile(name string, perm os.FileMode, write func(io.Writer) error) error {
	rel := filepath.FromSlash(name)
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("staging %q: not a local path", name)
	}
	if slices.Contains(s.names, rel) {
		return fmt.Errorf("staging %q: staged twice", name)
	}
	path := filepath.Join(s.tmp, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(path, perm, write); err != nil {
		return err
	}
	s.names = append(s.names, rel)
	return nil
}

// Commit moves every staged file into the stage's directory, replacing
// files of the same names (each by one rename, so a reader never sees a
// part of one), and removes the staging directory. The files named in
// last move after all others, in that order, and only once the others'
// directories are fsynced: a reader, or the directory after a crash, that
// has the new last files has every other new file too. Commit first makes
// every directory the files go into and checks that no name is taken by a
// directory, so that it fails before moving anything where it can tell;
// only an I/O error between two renames leaves some files moved.
func (s *Stage) Commit(last ...string) error {
	var tail []string
	for _, name := range last {
		if rel := filepath.FromSlash(name); slices.Contains(s.names, rel) && !slices.Contains(tail, rel) {
			tail = append(tail, rel)
		}
	}
	head := slices.DeleteFunc(slices.Clone(s.names), func(rel string) bool { return slices.Contains(tail, rel) })
	made := map[string]bool{}
	for _, rel := range s.names {
		dst := filepath.Join(s.dir, rel)
		if d := filepath.Dir(dst); !made[d] {
			if err := atomicfile.MkdirAll(d); err != nil {
				return err
			}
			made[d] = true
		}
		if fi, err := os.Lstat(dst); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory: a file cannot replace it", dst)
		}
	}
	for _, group := range [][]string{head, tail} {
		if err := s.move(group); err != nil {
			return err
		}
	}
	return s.Abort()
}

// move renames the staged files rels into place, then fsyncs the
// directories they went into.
func (s *Stage) move(rels []string) error {
	var dirs []string
	for _, rel := range rels {
		dst := filepath.Join(s.dir, rel)
		if err := os.Rename(filepath.Join(s.tmp, rel), dst); err != nil {
			return err
		}
		if d := filepath.Dir(dst); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if err := atomicfile.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// Abort removes the staging directory and everything staged in it.
func (s *Stage) Abort() error {
	if err := os.RemoveAll(s.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
