package boltstore

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// update runs fn in a read-write transaction, as bolt.DB.Update does, and
// classifies a failure of the commit itself (fn returned nil) by what it
// left behind (DESIGN.md, "Failed commits"):
//
//   - the process's view of the file shows the transaction (bbolt wrote
//     the meta page, and the sync after it failed): state.ErrCommitUnknown, and
//     the store refuses every later commit with it;
//   - it does not (a write or a sync of the data pages failed, or growing
//     the file did; bbolt rolled back and the file's committed state is
//     as before): state.ErrDiskFull if the disk was full, state.ErrStorage
//     otherwise.
//
// An error from fn is returned as it is.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if err := s.failure(); err != nil {
		return err
	}
	var txid int
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		txid = tx.ID()
		fnErr = fn(tx)
		return fnErr
	})
	if err == nil || fnErr != nil || txid == 0 {
		return err
	}
	if s.visibleTxID() >= txid {
		err = fmt.Errorf("%w: %w", state.ErrCommitUnknown, err)
		s.mu.Lock()
		s.broken = err
		s.mu.Unlock()
		s.log.Error("a commit's final sync failed after its meta page was written: its outcome is unknown, and this store commits nothing more", "txid", txid, "error", err)
		return err
	}
	if noSpace(err) {
		return fmt.Errorf("%w: %w", state.ErrDiskFull, err)
	}
	return fmt.Errorf("%w: %w", state.ErrStorage, err)
}

// failure returns the error of a commit whose outcome is unknown, or nil.
func (s *Store) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// visibleTxID returns the id of the newest transaction the process sees
// in the file: that of the newest valid meta page in bbolt's map of the
// file, which is the page cache's content, durable or not.
func (s *Store) visibleTxID() int {
	id := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		id = tx.ID()
		return nil
	})
	return id
}

// noSpace reports whether err says the disk is full. bbolt formats the
// error of growing the file with %s, which drops the errno, hence the
// text.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(err.Error(), syscall.ENOSPC.Error()) || strings.Contains(err.Error(), syscall.EDQUOT.Error())
}
