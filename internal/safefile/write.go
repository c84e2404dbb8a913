package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// WriteAtomic writes a file at path with mode perm through write: into a
// new temporary file in path's directory, then renamed over path. Readers
// see the old file or the new one, never a part; a failed write leaves
// path as it was. An existing path is replaced, not written through: if
// it is a symbolic link, the link is replaced and its target left alone.
func WriteAtomic(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Stage writes a set of files into a directory all together or not at
// all: they are written into a hidden staging directory inside it, and
// Commit moves them into place, the names it is given last; until Commit,
// the directory's files are untouched, and Abort removes what was staged.
// A Stage is not safe for concurrent use.
type Stage struct {
	dir, tmp string
	names    []string // staged files, relative to dir, in order
}

// NewStage creates dir if missing and a staging directory inside it.
func NewStage(dir string) (*Stage, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
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
// perm, written by write.
func (s *Stage) WriteFile(name string, perm os.FileMode, write func(io.Writer) error) (err error) {
	rel := filepath.FromSlash(name)
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("staging %q: not a local path", name)
	}
	path := filepath.Join(s.tmp, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.Chmod(perm); err != nil { // despite the umask
		return err
	}
	s.names = append(s.names, rel)
	return write(f)
}

// Commit moves every staged file into the stage's directory, replacing
// files of the same names (each by one rename, so a reader never sees a
// part of one), the files named in last after all others and in that
// order, and removes the staging directory. It first makes every
// directory the files go into and checks that no name is taken by a
// directory, so that it fails before moving anything where it can tell;
// only an I/O error between two renames leaves some files moved.
func (s *Stage) Commit(last ...string) error {
	order := slices.Clone(s.names)
	for _, name := range last {
		rel := filepath.FromSlash(name)
		if i := slices.Index(order, rel); i >= 0 {
			order = append(slices.Delete(order, i, i+1), rel)
		}
	}
	for _, rel := range order {
		dst := filepath.Join(s.dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if fi, err := os.Lstat(dst); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory: a file cannot replace it", dst)
		}
	}
	for _, rel := range order {
		if err := os.Rename(filepath.Join(s.tmp, rel), filepath.Join(s.dir, rel)); err != nil {
			return err
		}
	}
	return s.Abort()
}

// Abort removes the staging directory and everything staged in it.
func (s *Stage) Abort() error {
	if err := os.RemoveAll(s.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
