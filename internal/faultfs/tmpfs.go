package faultfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// MountTmpfs mounts a tmpfs of size bytes on the directory dir (root, or
// CAP_SYS_ADMIN): a real filesystem that runs out of space, for the
// disk-full tests. Undo it with UnmountTmpfs.
func MountTmpfs(dir string, size int64) error {
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		return fmt.Errorf("faultfs: mounting a tmpfs on %s: %w", dir, err)
	}
	return nil
}

// UnmountTmpfs unmounts the tmpfs on dir, detaching it if it is busy (a
// process that failed a test may still hold a file open there).
func UnmountTmpfs(dir string) error {
	if err := syscall.Unmount(dir, 0); err != nil {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("faultfs: unmounting %s: %w", dir, err)
		}
	}
	return nil
}

// Fill writes a ballast file into dir until its filesystem has no block
// left, and returns the file's path: removing it gives the space back.
// It writes at most limit bytes (a test passes the size of the tmpfs it
// mounted, TmpfsForTest), so that a test pointed at the wrong directory
// cannot fill a real disk: a filesystem with more than limit bytes
// available is refused before anything is written, and one that still
// has a block available after limit bytes (a filesystem that reports
// less than it takes, or root's reserved blocks) is an error, with the
// ballast removed again.
func Fill(dir string, limit int64) (string, error) {
	free, err := available(dir)
	if err != nil {
		return "", err
	}
	if free > limit {
		return "", fmt.Errorf("faultfs: %s has %d bytes available, more than the %d Fill may write", dir, free, limit)
	}
	path := filepath.Join(dir, "ballast")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("faultfs: %w", err)
	}
	defer f.Close()
	fail := func(err error) (string, error) {
		_ = os.Remove(path)
		return "", err
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	var written int64
	for n := len(buf); ; {
		n = int(min(int64(n), limit-written))
		if n < 512 {
			break
		}
		k, err := f.Write(buf[:n])
		written += int64(k)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				return fail(fmt.Errorf("faultfs: filling %s: %w", dir, err))
			}
			n /= 2
		}
	}
	free, err = available(dir)
	if err != nil {
		return fail(err)
	}
	if free > 0 {
		return fail(fmt.Errorf("faultfs: %s still has %d bytes available after Fill wrote its limit of %d", dir, free, limit))
	}
	return path, nil
}

// available returns the bytes available to an unprivileged user on dir's
// filesystem.
func available(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("faultfs: %w", err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
