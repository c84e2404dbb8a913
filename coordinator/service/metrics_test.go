package service_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pinnsweep/pinnsweep/coordinator/internal/coordtest"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// scrape fetches url and returns the body.
func scrape(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return body
}

func TestMetricsEndpoint(t *testing.T) {
	clock := coordtest.NewFakeClock()
	s := startServer(t, clock)
	web := httptest.NewServer(s.c.Metrics())
	defer web.Close()
	url := web.URL + "/metrics"
	ctx := context.Background()
	if _, err := s.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: coordtest.SpecYAML("m", []int{1, 2, 3}, 2, 0, 100)}}); err != nil {
		t.Fatal(err)
	}
	lease := func(worker string) *pb.LeaseResponse {
		t.Helper()
		l, err := s.worker.Lease(ctx, &pb.LeaseRequest{WorkerId: worker, Slots: 1})
		if err != nil || l.GetTrial() == nil {
			t.Fatalf("Lease by %s = %v, %v", worker, l, err)
		}
		return l
	}
	complete := func(l *pb.LeaseResponse, st pb.TrialStatus, result string) (*pb.CompleteResponse, error) {
		return s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "A", LeaseSecret: l.GetLeaseSecret(), Status: st, ResultJson: result})
	}

	// B takes a trial and goes silent: its lease expires (no retries: the
	// trial fails) and B stops counting as connected.
	b := lease("B")
	clock.Advance(31 * time.Second)
	// A: one done (and its result sent twice), one diverged, one held.
	a1 := lease("A")
	for range 2 {
		if _, err := complete(a1, pb.TrialStatus_TRIAL_STATUS_DONE, coordtest.ResultJSON(0.05)); err != nil {
			t.Fatal(err)
		}
	}
	a2 := lease("A")
	if _, err := complete(a2, pb.TrialStatus_TRIAL_STATUS_DIVERGED, ""); err != nil {
		t.Fatal(err)
	}
	lease("A")

	const want = `
# HELP pinnsweep_trials Trials by sweep and state.
# TYPE pinnsweep_trials gauge
pinnsweep_trials{state="cancelled",sweep="m"} 0
pinnsweep_trials{state="diverged",sweep="m"} 1
pinnsweep_trials{state="done",sweep="m"} 1
pinnsweep_trials{state="failed",sweep="m"} 1
pinnsweep_trials{state="pending",sweep="m"} 2
pinnsweep_trials{state="running",sweep="m"} 1
pinnsweep_trials{state="timeout",sweep="m"} 0
# HELP pinnsweep_completions_total Completions accepted, by the status the worker reported (duplicates not counted).
# TYPE pinnsweep_completions_total counter
pinnsweep_completions_total{reported="diverged"} 1
pinnsweep_completions_total{reported="done"} 1
# HELP pinnsweep_duplicate_completions_total Repeated completions of a lease that had already completed.
# TYPE pinnsweep_duplicate_completions_total counter
pinnsweep_duplicate_completions_total 1
# HELP pinnsweep_refused_completions_total Completions refused: stale token, expired or released lease, invalid request.
# TYPE pinnsweep_refused_completions_total counter
pinnsweep_refused_completions_total 0
# HELP pinnsweep_expired_leases_total Leases that expired without a heartbeat.
# TYPE pinnsweep_expired_leases_total counter
pinnsweep_expired_leases_total 1
# HELP pinnsweep_connected_workers Workers that called Lease, Heartbeat or Complete within the lease TTL.
# TYPE pinnsweep_connected_workers gauge
pinnsweep_connected_workers 1
# HELP pinnsweep_active_leases Leases held by workers now (running trials).
# TYPE pinnsweep_active_leases gauge
pinnsweep_active_leases 1
`
	names := []string{"pinnsweep_trials", "pinnsweep_completions_total", "pinnsweep_duplicate_completions_total",
		"pinnsweep_refused_completions_total", "pinnsweep_expired_leases_total", "pinnsweep_connected_workers",
		"pinnsweep_active_leases"}
	if err := testutil.ScrapeAndCompare(url, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}

	// B's late result is refused, and B is in touch again.
	if _, err := s.worker.Complete(ctx, &pb.CompleteRequest{LeaseId: b.GetLeaseId(), Token: b.GetToken(), WorkerId: "B", LeaseSecret: b.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: coordtest.ResultJSON(0.5)}); err == nil {
		t.Fatal("B's expired lease completed")
	}
	body := scrape(t, url)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	value := func(name, label string) float64 {
		t.Helper()
		f := fams[name]
		for _, m := range f.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			}
			return float64(m.GetHistogram().GetSampleCount())
		}
		t.Fatalf("no %s{%s} in\n%s", name, label, body)
		return 0
	}
	for _, c := range []struct {
		name, label string
		want        float64
	}{
		{"pinnsweep_connected_workers", "", 2},
		{"pinnsweep_refused_completions_total", "", 1},
		{"pinnsweep_queue_wait_seconds", "", 4},                 // one per lease
		{"pinnsweep_lease_call_duration_seconds", "granted", 4}, // B, A ×3
	} {
		if got := value(c.name, c.label); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, c.label, got, c.want)
		}
	}
	if value("pinnsweep_commits_total", "") == 0 || value("go_goroutines", "") == 0 {
		t.Errorf("commit or runtime metrics missing:\n%s", body)
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "pinnsweep_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}
