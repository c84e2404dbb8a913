package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/internal/auth"
)

func init() {
	register("serve", command{
		summary: "run a coordinator that farms sweeps out to workers",
		run:     runServe,
	})
}

// serveContext returns the context that ends `pinnsweep serve`: cancelled
// by SIGINT or SIGTERM. Tests replace it.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runServe implements `pinnsweep serve`: it opens the database and serves
// the coordinator's gRPC API (and, with --http, the dashboard) until SIGINT
// or SIGTERM, then stops accepting calls, lets in-flight ones (and their
// transactions) finish within a bounded time, and closes the database.
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:7433", "`address` to serve gRPC on (e.g. :7433 to accept workers from other machines)")
	db := fs.String("db", "", "sweep database `file`, created if missing (required)")
	ttl := fs.Duration("lease-ttl", coordinator.DefaultLeaseTTL, "how long a lease lives without a heartbeat")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	httpAddr := fs.String("http", "", httpFlagUsage)
	metricsAddr := fs.String("metrics", "", "also serve Prometheus metrics over HTTP at `address`/metrics (e.g. :9433)")
	authFlags := addServerAuthFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep serve --db FILE [--listen ADDR] [--http ADDR] [--metrics ADDR] [--lease-ttl 30s] [--log-json] [--log-level info]")
		fmt.Fprintln(fs.Output(), "         [--admin-token-file FILE] [--worker-token-file FILE] [--tls-cert FILE --tls-key FILE] [--client-ca FILE] [--insecure]")
		fmt.Fprintln(fs.Output(), "\nServes sweeps to workers (pinnsweep work) until SIGINT or SIGTERM. Restarting it on the")
		fmt.Fprintln(fs.Output(), "same database resumes every sweep.")
		fmt.Fprintln(fs.Output(), "\nWithout credentials the API is open to anyone who can connect, so serve refuses a")
		fmt.Fprintln(fs.Output(), "non-loopback address unless it authenticates callers: by token (the admin token allows")
		fmt.Fprintln(fs.Output(), "every call, the worker token only the lease protocol), by client certificate (--client-ca:")
		fmt.Fprintln(fs.Output(), "mutual TLS, the certificate's OU admin or worker being the role), or both (a caller then")
		fmt.Fprintln(fs.Output(), "needs both and gets the lesser role); --insecure overrides the refusal. Tokens are read")
		fmt.Fprintf(fs.Output(), "from files or $%s and $%s, never from arguments.\n", auth.EnvAdminToken, auth.EnvWorkerToken)
		fmt.Fprintln(fs.Output(), "'pinnsweep certs' writes development certificates.")
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "pinnsweep serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *db == "":
		fmt.Fprintln(stderr, "pinnsweep serve: --db is required")
		return 2
	case *ttl < time.Second:
		fmt.Fprintf(stderr, "pinnsweep serve: --lease-ttl %v: must be at least 1s\n", *ttl)
		return 2
	}
	if *httpAddr != "" {
		if _, err := dashboardListenAddr(*httpAddr); err != nil {
			fmt.Fprintf(stderr, "pinnsweep serve: %v\n", err)
			return 2
		}
	}
	log := newRootLogger(stderr, *logLevel, *logJSON)
	// Catch SIGTERM from here on, before anything says the server is up.
	ctx, stop := serveContext()
	defer stop()
	authCfg, err := authFlags.config(log.Named("auth"))
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
		return 2
	}
	serverOpts, err := authCfg.ServerOptions()
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
		return 2
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
		return 1
	}
	if err := checkExposure(lis.Addr(), authCfg, authFlags.insecure); err != nil {
		lis.Close()
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", err)
		return 2
	}

	c, err := coordinator.Open(coordinator.Options{
		Path:        *db,
		LeaseTTL:    *ttl,
		Logger:      log,
		SpecOptions: specOptions(),
	})
	if err != nil {
		lis.Close()
		if errors.Is(err, boltstore.ErrLocked) {
			fmt.Fprintf(stderr, "pinnsweep serve: database %s is locked by a running coordinator\n", *db)
		} else {
			fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
		}
		return 1
	}
	logServerAuth(log, authCfg, authFlags.insecure)
	var metricsLis net.Listener
	if *metricsAddr != "" {
		if metricsLis, err = net.Listen("tcp", *metricsAddr); err != nil {
			lis.Close()
			c.Close()
			fmt.Fprintf(stderr, "pinnsweep serve: --metrics: %v\n", oneLine(err))
			return 1
		}
	}
	fmt.Fprintf(stdout, "listening on %s\n", lis.Addr())
	stopDashboard := func() {}
	if *httpAddr != "" {
		if stopDashboard, err = startDashboard(*httpAddr, c, stdout, log); err != nil {
			lis.Close()
			c.Close()
			fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
			return 1
		}
	}

	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	var merr chan error
	if metricsLis != nil {
		fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", metricsLis.Addr())
		merr = serveMetrics(ctx, c, metricsLis, log)
	}
	serr := service.Serve(ctx, c, lis, serverOpts...)
	stopDashboard()
	if merr != nil && serr == nil {
		serr = <-merr
	}
	cerr := c.Close()
	switch {
	case serr != nil:
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(serr))
		return 1
	case cerr != nil:
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(cerr))
		return 1
	}
	return 0
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

// serveMetrics serves c's metrics at /metrics on lis until ctx is done,
// then shuts the HTTP server down; the returned channel gets its error (nil
// after a clean shutdown).
func serveMetrics(ctx context.Context, c *coordinator.Coordinator, lis net.Listener, log hclog.Logger) chan error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", c.Metrics())
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
