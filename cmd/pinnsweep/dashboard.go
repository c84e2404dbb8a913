package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/dashboard"
)

// httpFlagUsage documents --http for serve and run.
const httpFlagUsage = "serve the live web dashboard on `addr`ess (e.g. :8080; an address without a host listens on 127.0.0.1 only, 0.0.0.0:8080 on every interface)"

// dashboardShutdown bounds how long the dashboard's in-flight requests may
// take once its command stops.
const dashboardShutdown = 5 * time.Second

// dashboardListenAddr returns the address to listen on for --http addr:
// HOST:PORT as given, :PORT and PORT on the loopback interface.
func dashboardListenAddr(addr string) (string, error) { return listenAddr("http", addr) }

// dashboardHosts returns the host names the dashboard at addr answers to
// besides IP addresses and localhost: the name it listens on, if any, and
// the machine's host name.
func dashboardHosts(addr string) []string {
	var hosts []string
	if host, _, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host) == nil {
		hosts = append(hosts, host)
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	return hosts
}

// startDashboard serves the dashboard on httpAddr (see dashboardListenAddr),
// reading sweeps from the coordinator c of this process (no network round
// trip, no API credentials: the dashboard is part of the coordinator's
// process and read-only), and prints its URL to out. stop shuts it down:
// it waits up to dashboardShutdown for requests in flight, then closes the
// connections.
func startDashboard(httpAddr string, c *coordinator.Coordinator, out io.Writer, log hclog.Logger) (stop func(), err error) {
	addr, err := dashboardListenAddr(httpAddr)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	srv := &http.Server{
		Handler:           dashboard.New(c, dashboard.Options{Logger: log, Hosts: dashboardHosts(addr)}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	fmt.Fprintf(out, "dashboard on http://%s/\n", lis.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), dashboardShutdown)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("dashboard shutdown timed out; closing its connections", "error", err)
			srv.Close()
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("dashboard stopped", "error", err)
		}
	}, nil
}
