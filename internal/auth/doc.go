// Package auth authenticates and authorises calls to a pinnsweep
// coordinator. It is shared by the coordinator side (cmd/pinnsweep serve)
// and the client side (work, submit, status, cancel, export); the
// coordinator's engine and gRPC service know nothing of it: its
// interceptors and credentials are added at the edge, as grpc options.
//
// # Roles
//
// A caller has one of two roles. RoleWorker may call the lease protocol
// (pinnsweep.v1.WorkerService: Lease, Heartbeat, Complete, Release) and
// grpc.health.v1; RoleAdmin may call everything (SweepService: submit,
// cancel, status, export; reflection). Policy maps a method to the role it
// needs; a method it does not know needs RoleAdmin. One method needs no
// credentials at all: grpc.health.v1.Health/Check, which kubelets and load
// balancers call without any (deploy/k8s probes it so); it tells only
// whether the coordinator serves.
//
// # Where calls are refused
//
// The server checks credentials in a tap handle (grpc.InTapHandle) when a
// call's stream opens, from its headers and its connection's client
// certificate, before gRPC reads its request message: a caller without
// credentials costs the coordinator a HEADERS frame, not the read and
// decoding of a message of up to 16 MiB (RELIABILITY.md has the
// figures). Interceptors check again for calls that reach the server
// another way (ServeHTTP runs no tap handle). Refusals are logged at most
// ten a second, with a count of those left out, and counted by code in
// pinnsweep_refused_calls_total (ServerConfig.Refused): a call refused
// in the tap handle never reaches the gRPC metrics interceptors.
//
// # Credentials
//
// A shared token travels in the "authorization" metadata as
// "Bearer TOKEN". The server holds an admin token, a worker token, or both,
// and compares their SHA-256 digests with the presented token's in constant
// time (so neither a token's bytes nor its length leak through timing).
// Tokens are read from a file (its trailing newline trimmed) or an
// environment variable, never from a command-line argument, and never
// appear in logs or error messages.
//
// With mutual TLS the server verifies every client certificate against a
// CA, and the certificate's Organizational Unit ("admin" or "worker")
// gives the role. A client that presents no certificate completes the
// TLS handshake (so that health checks get through) and is refused every
// other call; one whose certificate fails verification fails the
// handshake. When both tokens and mTLS are configured a caller needs
// both, and gets the lesser of the two roles.
//
// Refusals are gRPC statuses naming the method: Unauthenticated for a
// missing or wrong credential, PermissionDenied for a role that does not
// allow the method.
//
// # Command specs
//
// A sweep spec whose trials run a command makes the workers that allow
// its program run it with the spec's arguments. CommandSpecs is the gate
// `pinnsweep serve` puts before SubmitSweep's acceptance of such specs
// (coordinator/service.AcceptCommandSpecs): an authenticating server
// accepts them from callers it authenticated as admin only (checked
// again from the role the interceptor hands the handler, CallerRole); a
// server that authenticates nobody refuses them unless its operator
// accepts them from everyone (--allow-command-specs).
//
// # Development certificates
//
// WriteDevCerts writes a CA, a server certificate and one client
// certificate per role (`pinnsweep certs`), for tests and trials; a
// deployment should use its own PKI.
package auth
