//go:build !windows

package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// Write creates or replaces path with what write writes, atomically and
// durably, with mode perm exactly (the umask does not apply: a result file
// is 0644 whoever writes it). The file is written through a buffer; write
// need not buffer. When write or any step fails, path is unchanged and the
// temporary file is removed.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	pf, err := renameio.NewPendingFile(path, renameio.WithTempDir(dir), renameio.WithStaticPermissions(perm))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if cerr := pf.Cleanup(); cerr != nil && err == nil {
			err = fmt.Errorf("writing %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(pf, 64<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// Fsyncs the file, closes it and renames it into place.
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs the directory dir, making the entries created, renamed or
// removed in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("fsync of directory %s: %w", dir, err)
	}
	return d.Close()
}
