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

	// seen holds the workers that called Lease, Heartbeat or Complete
	// lately, for pinnsweep_connected_workers.
	seen *workersSeen
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
		seen:       newWorkersSeen(c.opts.LeaseTTL),
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
func (m *metrics) saw(worker string, now time.Time) { m.seen.saw(worker, now) }

// connected returns the number of workers seen within ttl of now.
func (m *metrics) connected(now time.Time) int { return m.seen.connected(now) }

// maxWorkersSeen bounds the worker ids workersSeen remembers: ids are
// whatever callers send, and a flood of new ones must not grow the map
// without bound. Beyond it, new ids are not counted until old ones go.
const maxWorkersSeen = 1 << 16

// minPruneAt is the size from which workersSeen.saw prunes.
const minPruneAt = 1024

// workersSeen maps worker ids to the last time they called. It forgets a
// worker not seen for a TTL as it goes (saw prunes whenever the map has
// doubled since the last pruning: amortised O(1) per call), not only when
// the metrics are scraped, so that it stays bounded on a coordinator
// nobody scrapes.
type workersSeen struct {
	ttl time.Duration

	mu        sync.Mutex
	seen      map[string]time.Time
	pruneAt   int       // prune when a new id would make the map this large
	lastPrune time.Time // when full: prune at most once per TTL
}

func newWorkersSeen(ttl time.Duration) *workersSeen {
	return &workersSeen{ttl: ttl, seen: map[string]time.Time{}, pruneAt: minPruneAt}
}

// saw records that worker called at now.
func (w *workersSeen) saw(worker string, now time.Time) {
	if worker == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.seen[worker]; !ok && len(w.seen) >= w.pruneAt {
		if len(w.seen) < maxWorkersSeen || now.Sub(w.lastPrune) >= w.ttl {
			w.prune(now)
			w.lastPrune = now
			w.pruneAt = min(max(2*len(w.seen), minPruneAt), maxWorkersSeen)
		}
		if len(w.seen) >= maxWorkersSeen {
			return
		}
	}
	w.seen[worker] = now
}

// connected returns the number of workers seen within the TTL of now, and
// forgets the others.
func (w *workersSeen) connected(now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prune(now)
	return len(w.seen)
}

// prune forgets the workers not seen within the TTL of now. w.mu is held.
func (w *workersSeen) prune(now time.Time) {
	for id, t := range w.seen {
		if now.Sub(t) > w.ttl {
			delete(w.seen, id)
		}
	}
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
	ch <- prometheus.MustNewConstMetric(descWorkers, prometheus.GaugeValue, float64(c.metrics.connected(c.now())))
	st := c.Stats()
	ch <- prometheus.MustNewConstMetric(descCommits, prometheus.CounterValue, float64(st.Commits))
	ch <- prometheus.MustNewConstMetric(descCommitOps, prometheus.CounterValue, float64(st.Operations))
	ch <- prometheus.MustNewConstMetric(descCommitSeconds, prometheus.CounterValue, st.CommitTime.Seconds())
}

// Registerer returns the registry that Metrics serves, so that the process
// running the coordinator can add its own collectors (build information,
// gRPC server metrics) to the same /metrics endpoint.
func (c *Coordinator) Registerer() prometheus.Registerer { return c.metrics.reg }
