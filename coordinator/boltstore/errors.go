package boltstore

import "errors"

// Sentinel errors of the bbolt store. The coordinator's other sentinels
// are in package state.
var (
	// ErrLocked reports a database file locked by another process,
	// normally a running coordinator.
	ErrLocked = errors.New("coordinator: database is locked by a running coordinator")

	// ErrForeignDatabase reports a bbolt database that was not written by
	// pinnsweep (it has buckets but no pinnsweep meta bucket).
	ErrForeignDatabase = errors.New("coordinator: not a pinnsweep database")

	// ErrInconsistent reports a database that fails the consistency check
	// (CheckDatabase): bbolt's page check or one of the store's
	// invariants.
	ErrInconsistent = errors.New("coordinator: database is inconsistent")

	// ErrSchemaVersion reports a pinnsweep database whose schema version
	// this build does not support.
	ErrSchemaVersion = errors.New("coordinator: unsupported database schema version")
)
