// Package state holds what the coordinator's layers share: the records of
// sweeps and trials, the trial statuses (one table: record codes, wire
// values, roles), the Change that moves the state from one version to the
// next, the Store interface that persists it, the types of the worker
// protocol (Grant, Beat, Completion) and the sentinel errors.
//
// It imports only the standard library, so that every layer can depend on
// it and readers of trials (report, dashboard) need nothing else of the
// coordinator: not its engine, its bbolt store or its gRPC service.
//
//	state        records, statuses, Change, Store, errors (this package)
//	scheduler    the deterministic state machine: events in, Changes out
//	refine       refinement of a sweep's failure boundary, given the scheduler's state
//	boltstore    the durable Store (bbolt), its file format and consistency check
//	export       CSV and JSON exports of trials
//	coordinator  the engine: the commit loop over a Store, long-polls, metrics
//	service      the gRPC API over the engine
//
// NewMemoryStore is a Store for tests and for runs that need no
// durability.
package state
