package coordinator

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Metric names, all under the "pinnsweep_" namespace (see "Metrics" in the
// package documentation).
const (
	metricTrials           = "pinnsweep_trials"
	metricActiveLeases     = "pinnsweep_active_leases"
	metricConnectedWorkers = "pinnsweep_connected_workers"
	metricLeaseSeconds     = "pinnsweep_lease_call_duration_seconds"
	metricQueueWait        = "pinnsweep_queue_wait_seconds"
	metricCompletions      = "pinnsweep_completions_total"
	metricDuplicates       = "pinnsweep_duplicate_completions_total"
	metricRefused          = "pinnsweep_refused_completions_total"
	metricExpired          = "pinnsweep_expired_leases_total"
	metricRefined          = "pinnsweep_refined_trials_total"
	metricCommits          = "pinnsweep_commits_total"
	metricCommitOps        = "pinnsweep_committed_operations_total"
	metricCommitSeconds    = "pinnsweep_commit_seconds_total"
)

// metrics is the coordinator's Prometheus instrumentation. It lives in the
// engine: the scheduler knows nothing of it. Counters and histograms are
// updated as operations end; gauges are read from the engine's state when
// the registry is scraped (stateCollector).
type metrics struct {
	reg         *prometheus.Registry
	leaseCall   *prometheus.HistogramVec
	queueWait   prometheus.Histogram
	completions *prometheus.CounterVec
	duplicates  prometheus.Counter
	refused     prometheus.Counter
	expired     prometheus.Counter
	refined     prometheus.Counter

	// seen maps worker ids to the last time they called Lease, Heartbeat
	// or Complete.
	mu   sync.Mutex
	seen map[string]time.Time
}

// dispatchBuckets are the buckets of the lease-call and queue-wait
// histograms, in seconds: from a millisecond (a commit) to the default
// long-poll limit and beyond.
var dispatchBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800}

func newMetrics(c *Coordinator) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		leaseCall: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricLeaseSeconds,
			Help:    "Duration of Lease calls, long-poll wait included, by outcome (granted: a trial was leased; empty: none was pending in time).",
			Buckets: dispatchBuckets,
		}, []string{"outcome"}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricQueueWait,
			Help:    "Time from a trial becoming pending (submission, refinement or requeue) to its lease.",
			Buckets: dispatchBuckets,
		}),
		completions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricCompletions,
			Help: "Completions accepted, by the status the worker reported (duplicates not counted).",
		}, []string{"reported"}),
		duplicates: newCounter(metricDuplicates, "Repeated completions of a lease that had already completed."),
		refused:    newCounter(metricRefused, "Completions refused: stale token, expired or released lease, invalid request."),
		expired:    newCounter(metricExpired, "Leases that expired without a heartbeat."),
		refined:    newCounter(metricRefined, "Trials added by refinement of the failure boundary."),
		seen:       map[string]time.Time{},
	}
	m.reg.MustRegister(m.leaseCall, m.queueWait, m.completions, m.duplicates, m.refused, m.expired, m.refined,
		&stateCollector{c: c},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// newCounter returns a counter without labels.
func newCounter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

// saw records that worker called the coordinator at now.
func (m *metrics) saw(worker string, now time.Time) {
	if worker == "" {
		return
	}
	m.mu.Lock()
	m.seen[worker] = now
	m.mu.Unlock()
}

// connected returns the number of workers seen within ttl of now, and
// forgets the others.
func (m *metrics) connected(now time.Time, ttl time.Duration) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for w, t := range m.seen {
		if now.Sub(t) > ttl {
			delete(m.seen, w)
			continue
		}
		n++
	}
	return n
}

// granted records a lease: its queue wait, from enqueued to now.
func (m *metrics) granted(g *state.Grant, now time.Time) {
	if g != nil && !g.Enqueued.IsZero() {
		m.queueWait.Observe(max(now.Sub(g.Enqueued), 0).Seconds())
	}
}

// Metrics returns an http.Handler that serves the coordinator's metrics in
// the Prometheus exposition format, from a registry the coordinator owns
// (not the process-wide default): trials by sweep and state, active
// leases, connected workers, the duration of Lease calls and the queue
// wait of leased trials, completion, duplicate, refusal, expiry and
// refinement counters, commit counters, and the Go runtime and process
// collectors. Mount it on any mux, typically at /metrics.
func (c *Coordinator) Metrics() http.Handler {
	return promhttp.HandlerFor(c.metrics.reg, promhttp.HandlerOpts{ErrorLog: promLogger{c}})
}

// promLogger routes promhttp's errors to the coordinator's log.
type promLogger struct{ c *Coordinator }

// Println implements promhttp.Logger.
func (l promLogger) Println(v ...any) {
	l.c.opts.Logger.Named("metrics").Error("serving metrics", "error", v)
}

// stateCollector reads the engine's state when the registry is scraped.
type stateCollector struct{ c *Coordinator }

var (
	descTrials = prometheus.NewDesc(metricTrials,
		"Trials by sweep and state.", []string{"sweep", "state"}, nil)
	descActive = prometheus.NewDesc(metricActiveLeases,
		"Leases held by workers now (running trials).", nil, nil)
	descWorkers = prometheus.NewDesc(metricConnectedWorkers,
		"Workers that called Lease, Heartbeat or Complete within the lease TTL.", nil, nil)
	descCommits = prometheus.NewDesc(metricCommits,
		"Transactions committed by operations (group commits).", nil, nil)
	descCommitOps = prometheus.NewDesc(metricCommitOps,
		"Operations carried by the committed transactions.", nil, nil)
	descCommitSeconds = prometheus.NewDesc(metricCommitSeconds,
		"Time spent committing to the store (mostly fsync).", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTrials, descActive, descWorkers, descCommits, descCommitOps, descCommitSeconds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. It holds the engine's lock
// only to copy the counts, so a scrape waits at most for one commit.
func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c := s.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	list := c.sched.List()
	active := c.sched.ActiveLeases()
	c.mu.Unlock()
	for _, p := range list {
		for _, st := range state.Statuses() {
			ch <- prometheus.MustNewConstMetric(descTrials, prometheus.GaugeValue, float64(p.Of(st)), p.Sweep, string(st))
		}
	}
	ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(active))
	ch <- prometheus.MustNewConstMetric(descWorkers, prometheus.GaugeValue, float64(c.metrics.connected(c.now(), c.opts.LeaseTTL)))
	st := c.Stats()
	ch <- prometheus.MustNewConstMetric(descCommits, prometheus.CounterValue, float64(st.Commits))
	ch <- prometheus.MustNewConstMetric(descCommitOps, prometheus.CounterValue, float64(st.Operations))
	ch <- prometheus.MustNewConstMetric(descCommitSeconds, prometheus.CounterValue, st.CommitTime.Seconds())
}

// Registerer returns the registry that Metrics serves, so that the process
// running the coordinator can add its own collectors (build information,
// gRPC server metrics) to the same /metrics endpoint.
func (c *Coordinator) Registerer() prometheus.Registerer { return c.metrics.reg }
