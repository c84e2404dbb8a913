package dashboard_test

import (
	"context"
	"fmt"
	"image/color"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/dashboard"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/report"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/verdict"
	"github.com/pinnsweep/pinnsweep/worker"
)

// browserSpec is 2 β values × 2 seeds = 4 trials in 2 cells; the tests
// train one of them with a tiny budget. A failed trial is final.
const browserSpec = `name: dash
fixed:
  pde: convection
  ic: sin
  nf: 64
  layers: [8, 8]
axes:
  beta: [1, 5]
replicates: 2
budget:
  iterations: 20
  seconds: 60
retries: 0
`

// findChromium returns the Chromium binary ($PINNSWEEP_CHROMIUM, or
// chromium / chromium-browser on PATH, or /usr/bin/chromium), or "".
// Without one the browser test skips, unless PINNSWEEP_REQUIRE_BROWSER=1
// (set by .ci/run) makes it fail.
func findChromium() string {
	if p := os.Getenv("PINNSWEEP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// cluster is a real coordinator on a bbolt file, serving gRPC on a
// loopback port, and a client of it.
type cluster struct {
	coord  *coordinator.Coordinator
	conn   *grpc.ClientConn
	sweeps pb.SweepServiceClient
	work   pb.WorkerServiceClient
}

func startCluster(t *testing.T, spec string) *cluster {
	t.Helper()
	c, err := coordinator.Open(coordinator.Options{
		Path:        filepath.Join(t.TempDir(), "dash.db"),
		Logger:      hclog.NewNullLogger(),
		SpecOptions: sweeps.Options{Validate: func(k string, v any) error { cfg := trainer.DefaultConfig(); return cfg.Set(k, v) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- service.Serve(ctx, c, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if _, err := c.Submit(context.Background(), "dash.yaml", []byte(spec)); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(service.MaxSendMsgSize)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &cluster{coord: c, conn: conn, sweeps: pb.NewSweepServiceClient(conn), work: pb.NewWorkerServiceClient(conn)}
}

// serveDashboard serves a dashboard over the cluster's coordinator on a
// loopback port and returns its base URL.
func serveDashboard(t *testing.T, cl *cluster, opts dashboard.Options) string {
	t.Helper()
	return httptestServer(t, dashboard.New(cl.coord, opts))
}

// httptestServer serves h on a loopback port until the test ends and
// returns its base URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Close() })
	return "http://" + lis.Addr().String() + "/"
}

// trainOne leases the next trial through the WorkerService, trains it with
// the real trainer and completes it; it returns the trial's key and result.
func trainOne(t *testing.T, ctx context.Context, cl *cluster) (string, *trainer.Result) {
	t.Helper()
	lease := leaseOne(t, ctx, cl)
	cfg, err := worker.DecodeParams(lease.GetTrial().GetParamsJson())
	if err != nil {
		t.Fatal(err)
	}
	res, err := trainer.Train(ctx, cfg, trainer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != trainer.StatusDone {
		t.Fatalf("trial ended %s, want done", res.Status)
	}
	completeDone(t, ctx, cl, lease, res)
	return lease.GetTrial().GetKey(), res
}

// leaseOne leases the next trial through the WorkerService.
func leaseOne(t *testing.T, ctx context.Context, cl *cluster) *pb.LeaseResponse {
	t.Helper()
	lease, err := cl.work.Lease(ctx, &pb.LeaseRequest{WorkerId: "browser-test", Slots: 1, WaitMs: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if lease.GetTrial() == nil {
		t.Fatal("no trial to lease")
	}
	return lease
}

// endOne leases the next trial and completes it with status st and
// result (no result when empty).
func endOne(t *testing.T, ctx context.Context, cl *cluster, st pb.TrialStatus, result string) {
	t.Helper()
	lease := leaseOne(t, ctx, cl)
	completeLease(t, ctx, cl, lease, st, result)
}

// completeLease completes lease with status st and result.
func completeLease(t *testing.T, ctx context.Context, cl *cluster, lease *pb.LeaseResponse, st pb.TrialStatus, result string) {
	t.Helper()
	if _, err := cl.work.Complete(ctx, &pb.CompleteRequest{
		LeaseId: lease.GetLeaseId(), Token: lease.GetToken(), WorkerId: "browser-test", LeaseSecret: lease.GetLeaseSecret(),
		Status: st, ResultJson: result, Reason: "ended by the test",
	}); err != nil {
		t.Fatal(err)
	}
}

// pageEvents records what the page did that the test forbids: requests
// to other origins, uncaught exceptions and console errors.
type pageEvents struct {
	mu       sync.Mutex
	base     string
	foreign  []string
	problems []string
}

func (p *pageEvents) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if u := e.Request.URL; !strings.HasPrefix(u, p.base) && !strings.HasPrefix(u, "data:") {
			p.foreign = append(p.foreign, u)
		}
	case *runtime.EventExceptionThrown:
		p.problems = append(p.problems, fmt.Sprintf("exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception))
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value))
			}
			p.problems = append(p.problems, "console.error: "+strings.Join(args, " "))
		}
	}
}

func (p *pageEvents) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.foreign) > 0 {
		t.Errorf("the page requested %d URLs outside %s: %v", len(p.foreign), p.base, p.foreign)
	}
	if len(p.problems) > 0 {
		t.Errorf("the page reported errors: %v", p.problems)
	}
}

// TestBrowserLiveDiagram drives the dashboard in headless Chromium: the
// cells start unfinished, the diagram shows a trial's rel_l2 once it is
// completed over gRPC, clicking the cell lists its trials and clicking
// the trial draws its solution.
func TestBrowserLiveDiagram(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the headless-browser test")
	}
	chromium := findChromium()
	if chromium == "" && os.Getenv("PINNSWEEP_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium binary found and PINNSWEEP_REQUIRE_BROWSER=1 (apt-get install chromium, or set PINNSWEEP_CHROMIUM)")
	}
	if chromium == "" {
		t.Skip("no chromium binary found (apt-get install chromium, or set PINNSWEEP_CHROMIUM): skipping the headless-browser test")
	}
	// A failure threshold far above any rel_l2 the tiny network reaches,
	// so that the trained cell passes whatever its value.
	cl := startCluster(t, strings.Replace(browserSpec, "retries: 0\n", "retries: 0\nfailure_threshold: 100\n", 1))
	base := serveDashboard(t, cl, dashboard.Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // root in CI containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	events := &pageEvents{base: base}
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(events.listen))
	defer cancelBrowser()

	// The page loads and shows both cells as unfinished.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(base),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#diagram g.cell').length === 2`),
	); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	open, err := chromedp.Run(bctx, chromedp.Evaluate[int](
		`document.querySelectorAll('#diagram g.cell[data-state="open"]:not([data-median])').length`))
	if err != nil || open != 2 {
		t.Fatalf("%d of 2 cells shown as unfinished at the start (%v)", open, err)
	}

	// A trial finishes: its cell (β = 1, the first) shows its rel_l2.
	key, res := trainOne(t, ctx, cl)
	median, err := chromedp.Run(bctx, chromedp.Poll[string](
		`document.querySelector('#cell-0-0') && document.querySelector('#cell-0-0').getAttribute('data-median')`))
	if err != nil {
		t.Fatalf("waiting for the diagram to update: %v", err)
	}
	got, err := strconv.ParseFloat(median, 64)
	if err != nil {
		t.Fatalf("data-median %q: %v", median, err)
	}
	cells, err := chromedp.Run(bctx, chromedp.Evaluate[[]map[string]string](
		`[...document.querySelectorAll('#diagram g.cell')].map(g => ({cell: g.dataset.cell, state: g.dataset.state, done: g.dataset.done}))`))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"cell": "0,0", "state": dashboard.CellPartial, "done": "1"},
		{"cell": "1,0", "state": dashboard.CellOpen, "done": "0"},
	}
	if got != res.RelL2 || fmt.Sprint(cells) != fmt.Sprint(want) {
		t.Errorf("after one trial: median %v, want %v; cells %v, want %v", got, res.RelL2, cells, want)
	}

	// β = 1's other trial starts running and both trials of β = 5 fail (a
	// fault, not a result): that cell has no value and a void verdict, so
	// it takes no side of the threshold and no boundary is drawn (it used
	// to count as above the threshold here, and void for refinement).
	running := leaseOne(t, ctx, cl)
	endOne(t, ctx, cl, pb.TrialStatus_TRIAL_STATUS_FAILED, "")
	endOne(t, ctx, cl, pb.TrialStatus_TRIAL_STATUS_FAILED, "")
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](
		`document.querySelector('#cell-1-0').getAttribute('data-state') === 'ended'`)); err != nil {
		t.Fatalf("waiting for the ended cell: %v", err)
	}
	cells, err = chromedp.Run(bctx, chromedp.Evaluate[[]map[string]string](
		`[...document.querySelectorAll('#diagram g.cell')].map(g => ({cell: g.dataset.cell, state: g.dataset.state, verdict: g.dataset.verdict, failed: g.dataset.failed, open: g.dataset.open, hatch: g.dataset.hatch}))`))
	if err != nil {
		t.Fatal(err)
	}
	want = []map[string]string{
		{"cell": "0,0", "state": dashboard.CellPartial, "verdict": "pending", "failed": "0", "open": "1", "hatch": ""},
		{"cell": "1,0", "state": dashboard.CellEnded, "verdict": "void", "failed": "2", "open": "0", "hatch": dashboard.HatchOpen},
	}
	if fmt.Sprint(cells) != fmt.Sprint(want) {
		t.Errorf("after two failures: cells %v, want %v", cells, want)
	}
	boundary, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#diagram g.boundary line').length`))
	if err != nil || boundary != 0 {
		t.Errorf("%d threshold boundary segments next to a void cell, want none (%v)", boundary, err)
	}

	// β = 1 ends below the threshold (pass); β = 5 is rerun and diverges
	// twice (fail, red hatch): now the boundary lies between the two.
	completeLease(t, ctx, cl, running, pb.TrialStatus_TRIAL_STATUS_DONE, `{"rel_l2":0.5,"status":"done"}`)
	if _, err := cl.coord.RequeueFailed(ctx, "dash"); err != nil {
		t.Fatal(err)
	}
	endOne(t, ctx, cl, pb.TrialStatus_TRIAL_STATUS_DIVERGED, `{"rel_l2":"NaN","status":"diverged"}`)
	endOne(t, ctx, cl, pb.TrialStatus_TRIAL_STATUS_DIVERGED, `{"rel_l2":"NaN","status":"diverged"}`)
	if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](
		`document.querySelector('#cell-1-0').getAttribute('data-verdict') === 'fail' && document.querySelectorAll('#diagram g.boundary line').length === 1`)); err != nil {
		t.Fatalf("waiting for the boundary between the passing and the failing cell: %v", err)
	}
	cells, err = chromedp.Run(bctx, chromedp.Evaluate[[]map[string]string](
		`[...document.querySelectorAll('#diagram g.cell')].map(g => ({cell: g.dataset.cell, state: g.dataset.state, verdict: g.dataset.verdict, hatch: g.dataset.hatch,
			class: g.dataset.class, classes: g.dataset.classes, marker: [...g.querySelectorAll('g.marker')].map(m => m.dataset.class).join(',')}))`))
	if err != nil {
		t.Fatal(err)
	}
	// Each cell is marked with its median replicate's failure class, as
	// the server classified it (the browser only looks the marker up).
	want = []map[string]string{
		{"cell": "0,0", "state": dashboard.CellDone, "verdict": "pass", "hatch": "", "class": "pass", "classes": "2 pass", "marker": "pass"},
		{"cell": "1,0", "state": dashboard.CellEnded, "verdict": "fail", "hatch": dashboard.HatchFailed, "class": "diverged", "classes": "2 div", "marker": "diverged"},
	}
	if fmt.Sprint(cells) != fmt.Sprint(want) {
		t.Errorf("after the divergences: cells %v, want %v", cells, want)
	}
	// The page draws the server's colours and legend: the cell's fill is
	// the one the API computed, on the report's scale, and the legend's
	// threshold is the spec's.
	var d dashboard.Diagram
	getJSON(t, base+"api/sweeps/dash", &d)
	fill, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#cell-0-0 rect.fill').getAttribute('fill')`))
	if err != nil || d.Cells[0].Fill == "" || fill != d.Cells[0].Fill || d.Cells[0].Fill != hexColor(report.ScaleFor(verdict.Metric{Threshold: 100}).Color(*d.Cells[0].Median)) {
		t.Errorf("cell β=1 drawn %q, the API says %q (%v)", fill, d.Cells[0].Fill, err)
	}
	legend, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#diagram g.legend').getAttribute('data-threshold')`))
	if err != nil || legend != "fail > 100" {
		t.Errorf("legend threshold %q (%v), want fail > 100", legend, err)
	}
	keys, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#diagram g.legend g.class-key')].filter(k => k.querySelector('g.marker *')).map(k => k.dataset.class)`))
	if err != nil || strings.Join(keys, ",") != "pass,optimization,collocation-overfit,consistent-but-wrong,unexplained,diverged,timeout" {
		t.Errorf("legend keys the classes %v (%v)", keys, err)
	}

	// Clicking the cell lists its two trials, the finished one done;
	// clicking that one draws its solution and loss curves.
	row := chromedp.CSS(fmt.Sprintf(`#trial-list tbody tr[data-key=%q]`, key))
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`#cell-0-0 rect.fill`)),
		chromedp.WaitVisible(row),
	); err != nil {
		t.Fatalf("clicking the cell: %v", err)
	}
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#trial-list tbody tr').length`))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(bctx, chromedp.AttributeValue(row, "data-status"))
	if err != nil {
		t.Fatal(err)
	}
	class, err := chromedp.Run(bctx, chromedp.AttributeValue(row, "data-class"))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 2 || status.Value != "done" || class.Value != "pass" {
		t.Errorf("cell β=1 lists %d trials (want 2), the trained one %q (want done), class %q (want pass)", rows, status.Value, class.Value)
	}
	if err := chromedp.Do(bctx,
		chromedp.Click(row),
		chromedp.Poll[chromedp.Void](`['canvas-exact','canvas-pred','canvas-err'].every(id => document.getElementById(id).getAttribute('data-drawn') === '1')`),
	); err != nil {
		t.Fatalf("clicking the trial: %v", err)
	}
	// The number of distinct colours in each canvas: a drawn field has many.
	colours, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]int](`Object.fromEntries(['canvas-exact','canvas-pred','canvas-err'].map(id => {
		const c = document.getElementById(id), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		const seen = new Set();
		for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
		return [id, seen.size];
	}))`))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"canvas-exact", "canvas-pred", "canvas-err"} {
		if colours[id] < 10 {
			t.Errorf("%s has %d colours: the field was not drawn", id, colours[id])
		}
	}
	lossLines, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#loss-svg polyline').length`))
	if err != nil || lossLines == 0 {
		t.Errorf("%d loss curves drawn (%v)", lossLines, err)
	}
	events.check(t)
}

// hexColor formats a colour as the API does: "#rrggbb".
func hexColor(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
