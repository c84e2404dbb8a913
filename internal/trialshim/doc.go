// Package trialshim is the command-trial shim of package worker: the
// process that stands between a worker and a trial's program, makes
// itself the child subreaper of the program's process tree, and stops
// and reaps every process of the trial (worker/doc.go, "Process
// control").
//
// The worker starts the shim by re-executing its own binary with Arg as
// the first argument. The shim runs from this package's init function,
// which exits the process: the package imports the standard library
// only, and Go initialises packages in the order of their import paths
// among those whose imports are initialised (The Go Programming Language
// Specification, "Package initialization"), so that of a pinnsweep
// binary only the standard library and the few packages that sort before
// this one are initialised when the shim runs, not gRPC, protobuf,
// Prometheus, cobra or gonum. Any binary that imports package worker (a
// test binary too) is a shim this way; Main is the same check, for a
// program that wants to make it explicitly.
package trialshim
