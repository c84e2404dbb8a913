package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/internal/auth"
	"github.com/pinnsweep/pinnsweep/internal/coordfile"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// serveContext returns the context that ends `pinnsweep serve`: cancelled
// by SIGINT or SIGTERM. Tests replace it.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// serveFlags are the settings of `pinnsweep serve`.
type serveFlags struct {
	listen, db, httpAddr, metricsAddr string
	addressFile, advertiseHost        string
	ttl                               time.Duration
	allowCommandSpecs                 bool
	log                               logFlags
	auth                              *serverAuthFlags
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --db FILE",
		Short: "run a coordinator that farms sweeps out to workers",
		Long: `Serves sweeps to workers (pinnsweep work) until SIGINT or SIGTERM. Restarting it on the
same database resumes every sweep.

Without credentials the API is open to anyone who can connect, so serve refuses a
non-loopback address unless it authenticates callers: by token (the admin token allows
every call, the worker token only the lease protocol), by client certificate (--client-ca:
mutual TLS, the certificate's OU admin or worker being the role), or both (a caller then
needs both and gets the lesser role); --insecure overrides the refusal. Tokens are read
from files or $` + auth.EnvAdminToken + ` and $` + auth.EnvWorkerToken + `, never from arguments.
'pinnsweep certs' writes development certificates.

A spec whose trials run a command (runner: {command: [...]}) is accepted only from a caller
authenticated as admin: a server without authentication refuses one unless
--allow-command-specs says that everyone who can connect may submit them. Workers run only
the programs their --allow-exec lists.

--metrics serves Prometheus metrics: the coordinator's (trials by state, leases, workers,
commits), gRPC server metrics by method and code, calls refused for their credentials by
code, pinnsweep_build_info, and the Go runtime's.

--address-file writes the address workers should dial, HOST:PORT, to a file once serve
listens (atomically; on a shared filesystem): 'pinnsweep work --coordinator-file' reads it
and follows the coordinator when it moves to another machine. HOST is --advertise-host,
else the --listen host, else (listening on every interface) this machine's host name. The
file stays when serve stops: the coordinator's next start overwrites it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.listen, "listen", "127.0.0.1:7433", "`address` to serve gRPC on (e.g. :7433 to accept workers from other machines)")
	fs.StringVar(&f.db, "db", "", "sweep database `file`, created if missing (required)")
	fs.DurationVar(&f.ttl, "lease-ttl", coordinator.DefaultLeaseTTL, "how long a lease lives without a heartbeat")
	fs.StringVar(&f.httpAddr, "http", "", httpFlagUsage)
	fs.StringVar(&f.metricsAddr, "metrics", "", metricsFlagUsage)
	fs.StringVar(&f.addressFile, "address-file", "", "write the address workers should dial to `file` once listening (see work --coordinator-file)")
	fs.StringVar(&f.advertiseHost, "advertise-host", "", "`host` to write to --address-file (default: the --listen host, else this machine's host name)")
	fs.BoolVar(&f.allowCommandSpecs, "allow-command-specs", false, "without authentication, accept specs that run a command from anyone who can connect (with authentication only the admin role may submit them)")
	f.log.add(fs, "info")
	f.auth = addServerAuthFlags(fs)
	return cmd
}

// runServe implements `pinnsweep serve`: it opens the database and serves
// the coordinator's gRPC API (and, with --http, the dashboard; with
// --metrics, Prometheus metrics) until SIGINT or SIGTERM, then stops
// accepting calls, lets in-flight ones (and their transactions) finish
// within a bounded time, and closes the database.
func runServe(cmd *cobra.Command, f serveFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	switch {
	case f.db == "":
		return usageErrorf("--db is required")
	case f.ttl < time.Second:
		return usageErrorf("--lease-ttl %v: must be at least 1s", f.ttl)
	case f.advertiseHost != "" && f.addressFile == "":
		return usageErrorf("--advertise-host needs --address-file")
	}
	if err := safefile.CheckRegular(f.db); err != nil {
		return usageErrorf("--db: %w", err)
	}
	if err := f.log.check(); err != nil {
		return err
	}
	if f.httpAddr != "" {
		if _, err := listenAddr("http", f.httpAddr); err != nil {
			return err
		}
	}
	metricsAt := ""
	if f.metricsAddr != "" {
		var err error
		if metricsAt, err = listenAddr("metrics", f.metricsAddr); err != nil {
			return err
		}
	}
	log := f.log.logger(stderr)
	// Catch SIGTERM from here on, before anything says the server is up.
	ctx, stop := serveContext()
	defer stop()
	authCfg, err := f.auth.config(log.Named("auth"))
	if err != nil {
		return usageError{err}
	}
	authCfg.Refused = auth.NewRefusedCounter()
	serverOpts, err := authCfg.ServerOptions()
	if err != nil {
		return usageError{err}
	}
	serverOpts = append(serverOpts, service.AcceptCommandSpecs(auth.CommandSpecs{
		Authenticated: authCfg.Authenticates(), AllowUnauthenticated: f.allowCommandSpecs}))
	lis, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	if err := checkExposure(lis.Addr(), authCfg, f.auth.insecure); err != nil {
		lis.Close()
		return usageError{err}
	}

	c, err := coordinator.Open(coordinator.Options{
		Path:        f.db,
		LeaseTTL:    f.ttl,
		Logger:      log,
		SpecOptions: specOptions(),
	})
	if err != nil {
		lis.Close()
		if errors.Is(err, boltstore.ErrLocked) {
			return fmt.Errorf("database %s is locked by a running coordinator", f.db)
		}
		return err
	}
	logServerAuth(log, authCfg, f.auth.insecure)
	if f.allowCommandSpecs && !authCfg.Authenticates() {
		log.Warn("accepting command specs from anyone who can connect (--allow-command-specs): they make workers run the programs they allow with any arguments")
	}
	// gRPC server metrics, the build information and the count of calls
	// refused for their credentials join the coordinator's own registry:
	// one /metrics endpoint. The metrics interceptors come before the
	// credential interceptors, but the credentials are checked first in
	// the tap handle, before any interceptor: refused calls are counted in
	// pinnsweep_refused_calls_total, not in grpc_server_*.
	grpcMetrics, err := registerServerMetrics(c.Registerer(), authCfg.Refused)
	if err != nil {
		lis.Close()
		c.Close()
		return err
	}
	serverOpts = append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(grpcMetrics.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(grpcMetrics.StreamServerInterceptor()),
	}, serverOpts...)
	var metricsLis net.Listener
	if metricsAt != "" {
		if metricsLis, err = net.Listen("tcp", metricsAt); err != nil {
			lis.Close()
			c.Close()
			return fmt.Errorf("--metrics: %w", err)
		}
	}
	if f.addressFile != "" {
		addr, err := coordfile.Advertise(lis.Addr(), f.advertiseHost)
		if err == nil {
			err = coordfile.Write(f.addressFile, addr)
		}
		if err != nil {
			lis.Close()
			if metricsLis != nil {
				metricsLis.Close()
			}
			c.Close()
			return fmt.Errorf("--address-file: %w", err)
		}
		log.Info("address written", "file", f.addressFile, "address", addr)
	}
	fmt.Fprintf(stdout, "listening on %s\n", lis.Addr())
	stopDashboard := func() {}
	if f.httpAddr != "" {
		if stopDashboard, err = startDashboard(f.httpAddr, c, stdout, log); err != nil {
			lis.Close()
			c.Close()
			return err
		}
	}

	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	var merr chan error
	if metricsLis != nil {
		fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", metricsLis.Addr())
		merr = serveMetrics(ctx, c.Metrics(), metricsLis, log)
	}
	serr := service.Serve(ctx, c, lis, serverOpts...)
	stopDashboard()
	if merr != nil && serr == nil {
		serr = <-merr
	}
	cerr := c.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

// logServerAuth logs how callers are authenticated, and warns where that
// is weak.
func logServerAuth(log hclog.Logger, cfg auth.ServerConfig, insecure bool) {
	tls, mtls := cfg.CertFile != "", cfg.ClientCAFile != ""
	log.Info("authentication", "admin_token", cfg.AdminToken != "", "worker_token", cfg.WorkerToken != "",
		"tls", tls, "mtls", mtls)
	switch {
	case !cfg.Authenticates() && insecure:
		log.Warn("serving without authentication (--insecure): anyone who can connect may submit and cancel sweeps")
	case (cfg.AdminToken != "" || cfg.WorkerToken != "") && !tls:
		log.Warn("tokens travel in plaintext without TLS: use --tls-cert and --tls-key on untrusted networks")
	}
}

// serveMetrics serves h at /metrics on lis until ctx is done, then shuts
// the HTTP server down; the returned channel gets its error (nil after a
// clean shutdown).
func serveMetrics(ctx context.Context, h http.Handler, lis net.Listener, log hclog.Logger) chan error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(lis)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	out := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				log.Named("metrics").Warn("metrics server shutdown", "error", err)
			}
			out <- <-done
		case err := <-done:
			out <- fmt.Errorf("metrics server: %w", err)
		}
	}()
	return out
}
