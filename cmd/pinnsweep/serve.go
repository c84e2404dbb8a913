package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator"
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
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep serve --db FILE [--listen ADDR] [--http ADDR] [--lease-ttl 30s] [--log-json] [--log-level info]")
		fmt.Fprintln(fs.Output(), "\nServes sweeps to workers (pinnsweep work) until SIGINT or SIGTERM. Restarting it on the")
		fmt.Fprintln(fs.Output(), "same database resumes every sweep. The API is unauthenticated: listen on a trusted network.")
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

	c, err := coordinator.Open(coordinator.Options{
		Path:        *db,
		LeaseTTL:    *ttl,
		Logger:      log,
		SpecOptions: specOptions(),
	})
	if err != nil {
		if errors.Is(err, coordinator.ErrLocked) {
			fmt.Fprintf(stderr, "pinnsweep serve: database %s is locked by a running coordinator\n", *db)
		} else {
			fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
		}
		return 1
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		c.Close()
		fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
		return 1
	}
	fmt.Fprintf(stdout, "listening on %s\n", lis.Addr())
	stopDashboard := func() {}
	if *httpAddr != "" {
		if stopDashboard, err = startDashboard(*httpAddr, lis.Addr(), stdout, log); err != nil {
			lis.Close()
			c.Close()
			fmt.Fprintf(stderr, "pinnsweep serve: %v\n", oneLine(err))
			return 1
		}
	}

	ctx, stop := serveContext()
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	serr := c.Serve(ctx, lis)
	stopDashboard()
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
