package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names of a worker (see Metrics).
const (
	MetricSlots        = "pinnsweep_worker_slots"
	MetricSlotsBusy    = "pinnsweep_worker_slots_busy"
	MetricTrialSeconds = "pinnsweep_worker_trial_seconds"
	MetricLateResults  = "pinnsweep_worker_results_late_total"
	MetricDropped      = "pinnsweep_worker_results_dropped_total"
)

// Outcomes of a trial on a worker that are not statuses reported to the
// coordinator, as the trial-seconds histogram labels them.
const (
	// outcomeReleased: the worker stopped and handed the lease back.
	outcomeReleased = "released"
	// outcomeLost: the coordinator gave the trial to another attempt.
	outcomeLost = "lost"
)

// Reasons a result was dropped, as the dropped counter labels them.
const (
	dropStale       = "stale"
	dropRejected    = "rejected"
	dropUndelivered = "undelivered"
)

// trialBuckets span trials of a second to several hours.
var trialBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}

// Metrics is a worker's Prometheus instrumentation, set in
// Options.Metrics: its slots and how many are busy, how long trials ran by
// outcome, and results that reached the coordinator late or not at all.
// A nil *Metrics records nothing.
type Metrics struct {
	slots, busy prometheus.Gauge
	seconds     *prometheus.HistogramVec
	late        prometheus.Counter
	dropped     *prometheus.CounterVec
}

// NewMetrics returns a worker's metrics, registered with reg:
//
//   - pinnsweep_worker_slots: the trials the worker runs at once;
//   - pinnsweep_worker_slots_busy: the slots running a trial now;
//   - pinnsweep_worker_trial_seconds{outcome}: a histogram of the wall time
//     from lease to outcome, by outcome (done, diverged, failed, timeout,
//     cancelled; released when the worker stopped and handed the trial
//     back, lost when the coordinator gave it to another attempt);
//   - pinnsweep_worker_results_late_total: results the coordinator
//     accepted only after Complete had failed at least once (the
//     coordinator was unreachable when the trial ended);
//   - pinnsweep_worker_results_dropped_total{reason}: results that never
//     counted: stale (the lease had passed to another attempt), rejected
//     (the coordinator refused the completion), undelivered (the worker
//     stopped before the coordinator came back).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		slots: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricSlots, Help: "Trials the worker runs at once."}),
		busy:  prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricSlotsBusy, Help: "Slots running a trial now."}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricTrialSeconds,
			Help:    "Wall time from a trial's lease to its outcome, by outcome (a status, or released or lost).",
			Buckets: trialBuckets,
		}, []string{"outcome"}),
		late: prometheus.NewCounter(prometheus.CounterOpts{
			Name: MetricLateResults,
			Help: "Results the coordinator accepted after at least one failed delivery (it was unreachable when the trial ended).",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricDropped,
			Help: "Results that never counted, by reason: stale (the lease had passed on), rejected, undelivered (the worker stopped first).",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.slots, m.busy, m.seconds, m.late, m.dropped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// setSlots records the number of slots.
func (m *Metrics) setSlots(n int) {
	if m != nil {
		m.slots.Set(float64(n))
	}
}

// slotBusy records a slot starting (+1) or ending (-1) a trial.
func (m *Metrics) slotBusy(delta float64) {
	if m != nil {
		m.busy.Add(delta)
	}
}

// trialEnded records a trial's wall time by outcome.
func (m *Metrics) trialEnded(outcome string, d time.Duration) {
	if m != nil {
		m.seconds.WithLabelValues(outcome).Observe(d.Seconds())
	}
}

// delivered records an accepted completion, late when earlier attempts
// failed.
func (m *Metrics) delivered(failedAttempts int) {
	if m != nil && failedAttempts > 0 {
		m.late.Inc()
	}
}

// drop records a result that never counted.
func (m *Metrics) drop(reason string) {
	if m != nil {
		m.dropped.WithLabelValues(reason).Inc()
	}
}
