// Package boltstore is the coordinator's durable state.Store: one bbolt
// file, every Commit one read-write transaction fsynced before it returns.
//
// Open validates the file before using it: a locked file gives ErrLocked,
// a truncated, damaged or non-bbolt file state.ErrCorrupt, a bbolt file of
// another application ErrForeignDatabase, and an unknown schema version
// ErrSchemaVersion, each naming the path; a damaged page is reported,
// never a crash. It reads files of schema version 1 and upgrades one to
// version 2 when it opens it read-write. CheckDatabase checks a file no
// coordinator holds (bbolt's page check and the store's invariants);
// ReadDatabase reads one sweep from such a file.
//
// A submission of more than 65,536 new trials is written in several
// transactions, and stays all or nothing for every reader and across a
// crash.
//
// A failed commit says what it left behind: nothing (state.ErrDiskFull,
// state.ErrStorage; the store stays usable), or an unknown outcome after a
// failed final sync (state.ErrCommitUnknown; the store commits nothing
// more, and the file is to be reopened by a new process).
//
// The file format — buckets, the binary trial record, the upgrade from
// schema version 1, chunked submissions — is described in DESIGN.md, next
// to this file; the status and lease codes of the trial record are the
// record-code column of the status table in package state. The golden
// files in testdata/ (a schema 1 and a schema 2 database) pin it.
package boltstore
