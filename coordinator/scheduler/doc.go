// Package scheduler is the coordinator's deterministic core: a state
// machine with no I/O and no clock, in the style of etcd-raft. Events go
// in with the current time (Submit, Lease, LeaseOffer, Heartbeat,
// Complete, Release, ReleaseAll, Expire, RestoreGrace, Cancel,
// RequeueFailed, AddTrials, SetNeeds) and
// a state.Change comes out, without touching the scheduler; Apply installs
// a change and returns an Undo that Revert uses to take it back. Queries
// (Progress, List, Sweep, Trial, Briefs, NextExpiry) read what was
// applied.
//
// A sweep's pending trials are a queue of one resource class (the
// sweep's state.Needs: GPUs, and a worker that runs commands); LeaseOffer
// leases only from the queues a request's offer fits, so that trials no
// request can take block no other (see resources.go).
//
// The engine (package coordinator) serialises every call: it applies each
// change of a batch of operations provisionally, commits the batch to its
// store, and reverts the batch, newest change first, if the commit fails.
// The rules themselves — which trial a lease hands out, what a completion,
// an expiry or a cancellation does to a trial, the retry limit, fencing —
// are in this package alone and are tested by the scripts in testdata/
// (go test -run TestScripts; -rewrite updates their expected output).
//
// The package imports only the standard library, package sweeps (a
// submission's grid and key collisions) and package state.
//
// # Memory
//
// A trial is kept as a compact state of about 50 bytes (token, lease
// expiry, update time, metric value, attempts, expiries, an interned
// worker id, status and lease state as the tables' ordinals, flags), its
// key in a per-sweep slice and map, its reason (when it has one) in a map,
// and a sweep's pending trials as a bitmap over their indexes: about 120
// bytes per trial. Params and point stay in the store.
package scheduler
