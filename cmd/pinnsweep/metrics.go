package main

import (
	"net/http"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pinnsweep/pinnsweep/internal/buildinfo"
)

// metricsFlagUsage documents --metrics for serve and work.
const metricsFlagUsage = "serve Prometheus metrics over HTTP at `address`/metrics, unauthenticated (e.g. :9433; an address without a host listens on 127.0.0.1 only, 0.0.0.0:9433 on every interface)"

// registerServerMetrics registers the gRPC server metrics (grpc_server_*
// by service, method and code, with handling-time histograms),
// pinnsweep_build_info and the collectors extra with reg, and returns the
// interceptors' source.
func registerServerMetrics(reg prometheus.Registerer, extra ...prometheus.Collector) (*grpcprom.ServerMetrics, error) {
	m := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60}),
	))
	for _, c := range append([]prometheus.Collector{m, buildinfo.Read(version).Collector()}, extra...) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newWorkerRegistry returns the registry of `work --metrics`: the Go
// runtime and process collectors and pinnsweep_build_info (the worker
// adds its own metrics), and the handler that serves it.
func newWorkerRegistry() (*prometheus.Registry, http.Handler) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.Read(version).Collector(),
	)
	return reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
