package worker

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestMetrics runs 3 trials through a fake coordinator: the first result
// is delivered after two failed attempts (late), the second is refused as
// stale (dropped), the third blocks so that a slot is busy when the
// metrics are read, then is released on shutdown.
func TestMetrics(t *testing.T) {
	f := newFake(3)
	f.onComplete = func(n int, _ *pb.CompleteRequest) error {
		switch n {
		case 1, 2:
			return status.Error(codes.Unavailable, "coordinator away")
		case 4:
			return status.Error(codes.FailedPrecondition, "stale fencing token")
		}
		return nil
	}
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cc := serve(t, f)
	var runs atomic.Int32
	runner := funcRunner(func(ctx context.Context, params string, progress func(int64, float64)) (Outcome, error) {
		if runs.Add(1) == 3 {
			<-ctx.Done()
			return Outcome{Status: StatusCancelled}, nil
		}
		return NoopRunner{}.Run(ctx, params, progress)
	})
	stop := startWorker(t, Options{Conn: cc, Slots: 2, Runner: runner, Metrics: m, NoLeaseNext: true,
		Backoff: Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}})
	waitFor(t, "4 completion attempts and a busy slot", func() bool {
		c, _, _ := f.snapshot()
		return len(c) >= 4 && testutil.ToFloat64(m.busy) == 1
	})
	want := `
# HELP pinnsweep_worker_results_dropped_total Results that never counted, by reason: stale (the lease had passed on), rejected, undelivered (the worker stopped first).
# TYPE pinnsweep_worker_results_dropped_total counter
pinnsweep_worker_results_dropped_total{reason="stale"} 1
# HELP pinnsweep_worker_results_late_total Results the coordinator accepted after at least one failed delivery (it was unreachable when the trial ended).
# TYPE pinnsweep_worker_results_late_total counter
pinnsweep_worker_results_late_total 1
# HELP pinnsweep_worker_slots Trials the worker runs at once.
# TYPE pinnsweep_worker_slots gauge
pinnsweep_worker_slots 2
# HELP pinnsweep_worker_slots_busy Slots running a trial now.
# TYPE pinnsweep_worker_slots_busy gauge
pinnsweep_worker_slots_busy 1
`
	// Counters move as calls return: poll until they settle.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if err = testutil.GatherAndCompare(reg, strings.NewReader(want), MetricDropped, MetricLateResults, MetricSlots, MetricSlotsBusy); err == nil {
			break
		}
	}
	if err != nil {
		t.Error(err)
	}
	stop()
	if got := testutil.ToFloat64(m.busy); got != 0 {
		t.Errorf("busy slots after stop: %g", got)
	}
	if n := testutil.CollectAndCount(m.seconds); n != 2 {
		t.Errorf("trial-seconds series: %d, want done and released", n)
	}
	for outcome, want := range map[string]uint64{"done": 2, "released": 1} {
		var d dto.Metric
		if err := m.seconds.WithLabelValues(outcome).(prometheus.Metric).Write(&d); err != nil {
			t.Fatal(err)
		}
		if got := d.GetHistogram().GetSampleCount(); got != want {
			t.Errorf("trial seconds{outcome=%q}: %d observations, want %d", outcome, got, want)
		}
	}
}

func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.setSlots(1)
	m.slotBusy(1)
	m.trialEnded("done", time.Second)
	m.delivered(1)
	m.drop(dropStale)
}
