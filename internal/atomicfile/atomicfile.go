// Package atomicfile writes files atomically and durably: a reader sees
// either the old file or the whole new one, never a part, and once Write
// returns the new file survives a crash or power loss.
//
// It is the one way pinnsweep's commands and reports write output files;
// a report, a set of files moved into place together, is staged with
// internal/safefile's Stage, whose files Write writes.
//
// # Why renameio plus a directory fsync
//
// github.com/google/renameio/v2 writes a temporary file in the destination
// directory, fsyncs it and renames it over the destination. That makes the
// replacement atomic, but the rename itself lives in the directory, and
// renameio does not fsync the directory (its README: it targets atomicity,
// not durability). After a crash the directory may still hold the old
// entry, or none for a new file. Write therefore fsyncs the directory after
// the rename, as bbolt and etcd do for their files.
//
// renameio has no Windows implementation (Windows has no atomic rename
// over an open file); there Write falls back to a temporary file, fsynced
// and renamed, without the directory fsync Windows does not offer.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// File modes of pinnsweep's output files.
const (
	// Public is the mode of results and reports (0644): colleagues sharing
	// a project directory can read them.
	Public os.FileMode = 0o644
	// Private is the mode of keys, tokens and the context file (0600).
	Private os.FileMode = 0o600
)

// WriteFile is Write with the file's contents in data.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// MkdirAll creates dir and its missing parents with mode 0755 and fsyncs
// the parent of each directory it created, so that a report directory
// made before a crash is still there after it.
func MkdirAll(dir string) error {
	var created []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !os.IsNotExist(err) {
			return err
		}
		created = append(created, d)
		if p := filepath.Dir(d); p == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range created {
		if err := SyncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}
