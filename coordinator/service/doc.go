// Package service serves the coordinator's gRPC API
// (proto/pinnsweep/v1/pinnsweep.proto): SweepService for users, and
// WorkerService for the lease protocol, over a *coordinator.Coordinator,
// with grpc.health.v1 and server reflection. Serve runs a server until its
// context is done and stops it gracefully.
//
// The handlers are thin: each checks its request, calls one engine
// operation and converts the answer (convert.go); nothing else happens
// here. Checking covers lengths of names, ids, reasons, spec sources and
// results, ranges of slots, wait_ms and evals, finite losses, known
// completion statuses, required fields and control characters in names
// and ids, and answers InvalidArgument naming the field and the offending
// value or length (the limits are constants in handlers.go); MaxRecvMsgSize
// bounds a whole request (ResourceExhausted). A spec is parsed once, here,
// and handed to the engine parsed. toStatus is the only place the
// sentinel errors of package state become status codes; any other error
// is Internal (and logged).
//
// A spec whose trials run a command (a runner with a command) makes every
// worker that allows its program run it with the spec's arguments, so
// SubmitSweep refuses one (PermissionDenied) unless the server was given
// AcceptCommandSpecs, whose gate decides per caller (`pinnsweep serve`
// gives one that requires an authenticated admin, see internal/auth).
// Lease requests say what their slot offers (gpus, 0 to 64, and
// commands); a grant carries a command sweep's command and the GPUs its
// trial needs; a completion's stderr_tail (at most 64 KiB) is stored with
// the attempt and returned with the trial.
//
// Authentication is not this package's concern: Serve takes the
// credentials and interceptors of internal/auth as extra
// grpc.ServerOptions, which run inside the server's own (logging, and a
// handler's panic turned into Internal).
//
// On shutdown, health turns NOT_SERVING, Lease calls and the long-poll of
// a Complete that asked for its next trial answer empty, WatchSweep
// streams end with Unavailable, and in-flight calls and their
// transactions finish; after the coordinator's ShutdownTimeout the rest
// are cut.
package service
