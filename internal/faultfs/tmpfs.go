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
func Fill(dir string) (string, error) {
	path := filepath.Join(dir, "ballast")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("faultfs: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	for n := len(buf); n >= 512; {
		if _, err := f.Write(buf[:n]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				return "", fmt.Errorf("faultfs: filling %s: %w", dir, err)
			}
			n /= 2
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "", fmt.Errorf("faultfs: %w", err)
	}
	if st.Bavail > 0 {
		return "", fmt.Errorf("faultfs: %s still has %d blocks free after filling", dir, st.Bavail)
	}
	return path, nil
}
