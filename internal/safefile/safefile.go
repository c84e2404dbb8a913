package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Sentinel errors, wrapped by the errors of this package.
var (
	// ErrNotRegular reports a path that names a directory, a named pipe,
	// a device or a socket rather than a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge reports a file larger than the caller's limit.
	ErrTooLarge = errors.New("file too large")
)

// ReadRegular returns the contents of the regular file at path (symbolic
// links followed), which may be at most limit bytes long. It opens the
// file without blocking, so a named pipe is refused at once rather than
// waited on, and reads at most limit+1 bytes, so a file that grows or a
// device never makes it read without end. Errors name path and wrap
// ErrNotRegular, ErrTooLarge or the os error.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes, the limit", path, ErrTooLarge, limit)
	}
	return b, nil
}

// Open opens path for reading without blocking: on a named pipe it
// returns at once instead of waiting for a writer. It does not check what
// path is; a caller that Stats the file refuses what is not regular (as
// ReadRegular does).
func Open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
}

// CheckRegular returns nil when path names a regular file (symbolic links
// followed) or nothing at all, and an error wrapping ErrNotRegular when it
// names something else: for paths that another library opens and may
// create, such as a database file.
func CheckRegular(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return regular(path, fi)
}

// regular returns nil for a regular file and an ErrNotRegular naming what
// path is otherwise.
func regular(path string, fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, kind(fi.Mode()))
}

// kind names a file mode's type.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file (mode " + m.String() + ")"
}
