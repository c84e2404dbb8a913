// Package model holds a Promela model of pinnsweep's lease protocol
// (lease.pml) and the tests that check it with the Spin model checker:
// a bounded exhaustive check and mutations of the protocol that Spin must
// refute, run by go test (make test), and the full exhaustive check run
// by make model. README.md in this directory explains the model, what it
// abstracts away, its bounds and its properties.
//
// The tests need spin and gcc (Debian: apt-get install spin gcc).
// Without them they skip, unless PINNSWEEP_REQUIRE_SPIN=1 (set by .ci/run
// and make model) makes them fail.
package model
