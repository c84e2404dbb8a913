package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// clusterSpec is a sweep of 2 β values × 2 seeds; its trials are driven by
// the test itself, so the trainer never runs.
const clusterSpec = `name: cluster
fixed:
  pde: convection
  nf: 100
axes:
  beta: [1, 5]
replicates: 2
budget:
  iterations: 5
  seconds: 60
retries: 1
`

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cli runs one pinnsweep command line.
func cli(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

// workerClient dials the coordinator at addr as a worker; the connection
// closes when the test ends.
func workerClient(t *testing.T, addr string) pb.WorkerServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewWorkerServiceClient(conn)
}

// startServe runs `pinnsweep serve` in the background and returns its
// address and a function that stops it (as SIGTERM would) and returns its
// exit code.
func startServe(t *testing.T, db string) (addr string, stop func() int) {
	t.Helper()
	return startServeArgs(t, "--listen", "127.0.0.1:0", "--db", db, "--lease-ttl", "30s", "--log-level", "warn")
}

// startServeArgs is startServe with the given command line.
func startServeArgs(t *testing.T, args ...string) (addr string, stop func() int) {
	t.Helper()
	addr, _, stop = startServeCmd(t, args...)
	return addr, stop
}

// startServeCmd is startServeArgs that also returns serve's stdout.
func startServeCmd(t *testing.T, args ...string) (addr string, stdout *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { serveContext = old })
	stdout = &syncBuffer{}
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(append([]string{"serve"}, args...), stdout, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if line, _, ok := strings.Cut(stdout.String(), "\n"); ok {
			addr, ok = strings.CutPrefix(line, "listening on ")
			if !ok {
				t.Fatalf("first line %q", line)
			}
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not print its address")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Logf("serve stderr: %s", stderr.String())
			}
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return addr, stdout, stop
}

func TestServeSubmitStatusExportCancel(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	spec := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(spec, []byte(clusterSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, stop := startServe(t, db)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("address %q", addr)
	}

	code, out, errOut := cli("submit", spec, "--coordinator", addr)
	if code != 0 || out != "sweep cluster: 4 trials\n" {
		t.Fatalf("submit: %d %q %q", code, out, errOut)
	}
	code, out, _ = cli("submit", "--coordinator", addr, spec)
	if code != 0 || out != "sweep cluster: 4 trials (0 added)\n" {
		t.Fatalf("resubmit: %d %q", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(clusterSpec, "nf: 100", "nf: 200", 1)), 0o644)
	if code, _, errOut := cli("submit", bad, "--coordinator", addr); code != 1 || !strings.Contains(errOut, `"nf"`) || strings.Contains(errOut, "rpc error") {
		t.Fatalf("incompatible submit: %d %q", code, errOut)
	}
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte(strings.Replace(clusterSpec, "nf: 100", "nff: 100", 1)), 0o644)
	if code, _, errOut := cli("submit", typo, "--coordinator", addr); code != 1 || !strings.Contains(errOut, "nff") {
		t.Fatalf("submit with an unknown trainer setting: %d %q", code, errOut)
	}

	// A worker's part, over gRPC: complete one trial, hold another.
	w := workerClient(t, addr)
	ctx := context.Background()
	l1, err := w.Lease(ctx, &pb.LeaseRequest{WorkerId: "w1", WaitMs: 1000})
	if err != nil || l1.GetTrial() == nil {
		t.Fatalf("Lease: %v %v", l1, err)
	}
	if _, err := w.Complete(ctx, &pb.CompleteRequest{LeaseId: l1.GetLeaseId(), Token: l1.GetToken(), WorkerId: "w1", LeaseSecret: l1.GetLeaseSecret(),
		Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: `{"rel_l2":0.0625,"abs_err":0.01,"iterations":5,"seconds":0.5}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Lease(ctx, &pb.LeaseRequest{WorkerId: "w2", WaitMs: 1000}); err != nil {
		t.Fatal(err)
	}

	code, out, _ = cli("status", "--coordinator", addr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "SWEEP TOTAL PENDING RUNNING DONE FAILED TIMEOUT DIVERGED CANCELLED" ||
		strings.Join(strings.Fields(lines[1]), " ") != "cluster 4 2 1 1 0 0 0 0" {
		t.Fatalf("status:\n%s", out)
	}
	code, out, _ = cli("status", "cluster", "--coordinator", addr)
	if code != 0 || !strings.Contains(out, "cluster") {
		t.Fatalf("status cluster: %d %q", code, out)
	}
	if code, _, errOut := cli("status", "nosuch", "--coordinator", addr); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("status nosuch: %d %q", code, errOut)
	}

	csvPath := filepath.Join(dir, "out.csv")
	if code, _, errOut := cli("export", "cluster", "--coordinator", addr, "--format", "csv", "--out", csvPath); code != 0 {
		t.Fatalf("export csv: %s", errOut)
	}
	if fi, err := os.Stat(csvPath); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("export --out: mode %v (%v), want 0644", fi.Mode(), err)
	}
	data, _ := os.ReadFile(csvPath)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) != 5 || strings.Join(rows[0][:5], ",") != "key,status,attempts,beta,seed" || rows[1][1] != "done" || rows[1][5] != "0.0625" {
		t.Fatalf("csv export (%v):\n%s", err, data)
	}
	code, out, errOut = cli("export", "cluster", "--coordinator", addr, "--format", "json")
	var objs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &objs) != nil || len(objs) != 4 || objs[0]["rel_l2"] != 0.0625 || objs[0]["worker"] != "w1" {
		t.Fatalf("json export: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli("export", "cluster", "--db", db); code != 1 || !strings.Contains(errOut, "database "+db+" is locked by a running coordinator; use --coordinator") {
		t.Fatalf("export --db of a served database: %d %q", code, errOut)
	}

	code, out, _ = cli("cancel", "cluster", "--coordinator", addr)
	if code != 0 || !strings.Contains(out, "cancelled 3 trials") {
		t.Fatalf("cancel: %d %q", code, out)
	}
	code, out, _ = cli("submit", spec, "--coordinator", addr, "--rerun-failed")
	if code != 0 || !strings.Contains(out, "requeued 2 failed trials") {
		t.Fatalf("submit --rerun-failed: %d %q", code, out)
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	// Stopped: the file is free, and the done trial kept its result.
	code, out, errOut = cli("export", "cluster", "--db", db, "--format", "json")
	if code != 0 || json.Unmarshal([]byte(out), &objs) != nil || objs[0]["status"] != "done" || objs[0]["rel_l2"] != 0.0625 {
		t.Fatalf("export --db after stop: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli("status", "--coordinator", addr); code != 1 || !strings.Contains(errOut, "unavailable") {
		t.Fatalf("status of a stopped coordinator: %d %q", code, errOut)
	}
}

func TestClusterUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "--db is required"},
		{[]string{"serve", "--db", "x.db", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "--db", "x.db", "--lease-ttl", "10ms"}, "--lease-ttl"},
		{[]string{"serve", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"serve", "--db", "x.db", "--listn", ":1"}, "unknown flag: --listn (did you mean --listen?)"},
		{[]string{"serve", "--db", "x.db", "--metrics", "a:b:c"}, `--metrics "a:b:c"`},
		{[]string{"serve", "--db", "x.db", "--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"work", "--coordinator", "x:1", "--metrics", "localhost"}, `--metrics "localhost"`},
		{[]string{"work", "--coordinator", "x:1", "--coordinator-file", "c.addr"}, "give --coordinator or --coordinator-file, not both"},
		{[]string{"work", "--coordinator", "x:1", "--checkpoint-every", "-1s"}, "--checkpoint-every -1s"},
		{[]string{"serve", "--db", "x.db", "--advertise-host", "n1"}, "--advertise-host needs --address-file"},
		{[]string{"stauts"}, `unknown command "stauts" (did you mean status?)`},
		{[]string{"submit", "--coordinator", "x:1"}, "missing SPEC"},
		{[]string{"submit", "a.yaml"}, "--coordinator is required"},
		{[]string{"submit", "a.yaml", "b.yaml", "--coordinator", "x:1"}, `unexpected argument "b.yaml"`},
		{[]string{"status"}, "--coordinator is required"},
		{[]string{"status", "a", "b", "--coordinator", "x:1"}, `unexpected argument "b"`},
		{[]string{"status", "--watch", "--coordinator", "x:1"}, "--watch needs a SWEEP"},
		{[]string{"cancel", "--coordinator", "x:1"}, "missing SWEEP"},
		{[]string{"cancel", "s"}, "--coordinator is required"},
		{[]string{"export", "s", "--db", "a", "--coordinator", "x:1"}, "at most one of --db and --coordinator"},
		{[]string{"export", "s", "--db", ""}, "--db must not be empty"},
		{[]string{"export", "s", "--db", "a", "--format", "xml"}, `--format "xml"`},
		{[]string{"export", "--db", "a"}, "missing SWEEP"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := cli(tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}

func TestServeRefusesHeldDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sweeps.db")
	startServe(t, db)
	code, _, stderr := cli("serve", "--db", db, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "locked by a running coordinator") {
		t.Fatalf("second serve: %d %q", code, stderr)
	}
}

func TestServeRefusesForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o644)
	code, _, stderr := cli("serve", "--db", path, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "not a bbolt database") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("serve on a text file: %d %q", code, stderr)
	}
	code, _, stderr = cli("export", "x", "--db", path)
	if code != 1 || !strings.Contains(stderr, "not a bbolt database") {
		t.Fatalf("export of a text file: %d %q", code, stderr)
	}
}

// refineCluster is a sweep of 2 strategies × β from 10 to 40, refined on β;
// the test drives its trials with rel_l2 = 0.01 below β* (22 for regular,
// 33 for curriculum) and 0.5 above.
const refineCluster = `name: edge
fixed: {pde: convection, nf: 100}
axes:
  beta: [10, 40]
  strategy: [regular, curriculum]
budget: {iterations: 5, seconds: 60}
refine:
  - {axis: beta, tolerance: 4, max_depth: 5}
`

// metricsURL waits for serve's "metrics on URL" line in stdout and returns
// the URL.
func metricsURL(t *testing.T, stdout *syncBuffer) string {
	t.Helper()
	line := regexp.MustCompile(`(?m)^metrics on (.*)$`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := line.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("serve did not print the metrics address:\n%s", stdout.String())
	return ""
}

// TestServeMetricsLoopback: --metrics with a port only listens on the
// loopback interface (it served every interface, unauthenticated).
func TestServeMetricsLoopback(t *testing.T) {
	_, stdout, stop := startServeCmd(t, "--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "sweeps.db"), "--log-level", "warn", "--metrics", ":0")
	defer stop()
	if u := metricsURL(t, stdout); !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/metrics$`).MatchString(u) {
		t.Fatalf("serve --metrics :0 printed %q; want the metrics on 127.0.0.1", stdout.String())
	}
	if code, _, stderr := cli("serve", "--db", filepath.Join(t.TempDir(), "x.db"), "--metrics", "a:b:c"); code != 2 || !strings.Contains(stderr, `--metrics "a:b:c": want HOST:PORT, :PORT or PORT`) {
		t.Errorf("serve --metrics a:b:c: exit %d, %q", code, stderr)
	}
}

// TestServeMetricsRefusals: calls refused for their credentials, which the
// tap handle refuses before any interceptor (so grpc_server_* never sees
// them), are counted by code in pinnsweep_refused_calls_total.
func TestServeMetricsRefusals(t *testing.T) {
	clearTokenEnv(t)
	dir := t.TempDir()
	admin := writeToken(t, dir, "admin.token", "adm1n-secret")
	worker := writeToken(t, dir, "worker.token", "w0rker-secret")
	addr, stdout, stop := startServeCmd(t, "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "sweeps.db"), "--log-level", "off",
		"--admin-token-file", admin, "--worker-token-file", worker, "--metrics", "127.0.0.1:0")
	defer stop()
	url := metricsURL(t, stdout)
	wrong := writeToken(t, dir, "wrong.token", "wr0ng-secret")
	for _, tt := range []struct {
		tokenFile string // "": none
		code      int
	}{{"", 1}, {wrong, 1}, {worker, 1}, {admin, 0}} {
		args := []string{"status", "--coordinator", addr}
		if tt.tokenFile != "" {
			args = append(args, "--token-file", tt.tokenFile)
		}
		if code, _, stderr := cli(args...); code != tt.code {
			t.Fatalf("%v: exit %d, %q; want %d", args, code, stderr, tt.code)
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`pinnsweep_refused_calls_total{grpc_code="Unauthenticated"} 2`,
		`pinnsweep_refused_calls_total{grpc_code="PermissionDenied"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="ListSweeps",grpc_service="pinnsweep.v1.SweepService",grpc_type="unary"} 1`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// TestServeMetricsAndBrackets runs serve with --metrics, drives a refined
// sweep over gRPC, and checks the metrics endpoint and status's brackets.
func TestServeMetricsAndBrackets(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "edge.yaml")
	if err := os.WriteFile(spec, []byte(refineCluster), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, stdout, stop := startServeCmd(t, "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "sweeps.db"), "--lease-ttl", "30s", "--log-level", "warn", "--metrics", "127.0.0.1:0")
	var metricsURL string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if u, ok := strings.CutPrefix(line, "metrics on "); ok {
			metricsURL = u
		}
	}
	if metricsURL == "" {
		t.Fatalf("serve did not print the metrics address:\n%s", stdout.String())
	}
	if code, out, errOut := cli("submit", spec, "--coordinator", addr); code != 0 {
		t.Fatalf("submit: %d %q %q", code, out, errOut)
	}
	w := workerClient(t, addr)
	ctx := context.Background()
	critical := map[string]float64{"regular": 22, "curriculum": 33}
	for {
		l, err := w.Lease(ctx, &pb.LeaseRequest{WorkerId: "w1"})
		if err != nil {
			t.Fatal(err)
		}
		if l.GetTrial() == nil {
			break
		}
		var p struct {
			Beta     float64 `json:"beta"`
			Strategy string  `json:"strategy"`
		}
		if err := json.Unmarshal([]byte(l.GetTrial().GetParamsJson()), &p); err != nil {
			t.Fatal(err)
		}
		rel := "0.01"
		if p.Beta > critical[p.Strategy] {
			rel = "0.5"
		}
		if _, err := w.Complete(ctx, &pb.CompleteRequest{LeaseId: l.GetLeaseId(), Token: l.GetToken(), WorkerId: "w1", LeaseSecret: l.GetLeaseSecret(),
			Status: pb.TrialStatus_TRIAL_STATUS_DONE, ResultJson: `{"rel_l2":` + rel + `}`}); err != nil {
			t.Fatal(err)
		}
	}

	// 10..40 bisected to width ≤ 4: 25, then 17.5 or 32.5, then 21.25 or
	// 36.25 (regular: [21.25, 25]; curriculum: [32.5, 36.25]).
	code, out, _ := cli("status", "edge", "--coordinator", addr)
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 7 && f[0] == "edge" && f[1] == "beta" {
			rows[f[2]] = strings.Join(f[3:], " ")
		}
	}
	if code != 0 || rows["strategy=regular"] != "21.25 25 3.75 converged (3 bisections)" ||
		rows["strategy=curriculum"] != "32.5 36.25 3.75 converged (3 bisections)" {
		t.Fatalf("status edge:\n%s", out)
	}

	// The same as JSON.
	code, out, _ = cli("status", "edge", "--coordinator", addr, "--json")
	var js struct {
		Sweeps []sweepStatus `json:"sweeps"`
	}
	if err := json.Unmarshal([]byte(out), &js); code != 0 || err != nil || len(js.Sweeps) != 1 {
		t.Fatalf("status --json: %d %v\n%s", code, err, out)
	}
	if st := js.Sweeps[0]; st.Sweep != "edge" || st.Done != 10 || st.Total != 10 || !st.Finished || len(st.Brackets) != 2 ||
		st.Brackets[0].Success != 21.25 || st.Brackets[0].Failure != 25 || st.Brackets[0].Bisections != 3 ||
		compact(st.Brackets[0].Where) != `{"strategy":"regular"}` || st.Brackets[0].Status != "converged" {
		t.Errorf("status --json:\n%s", out)
	}

	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`pinnsweep_trials{state="done",sweep="edge"} 10`,
		`pinnsweep_refined_trials_total 6`,
		`pinnsweep_completions_total{reported="done"} 10`,
		`pinnsweep_active_leases 0`,
		`pinnsweep_connected_workers 1`,
		// gRPC server metrics by method and code (the middleware's).
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Complete",grpc_service="pinnsweep.v1.WorkerService",grpc_type="unary"} 10`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="SubmitSweep",grpc_service="pinnsweep.v1.SweepService",grpc_type="unary"} 1`,
		`grpc_server_handling_seconds_count{grpc_method="Lease",grpc_service="pinnsweep.v1.WorkerService",grpc_type="unary"} 11`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if !regexp.MustCompile(`(?m)^pinnsweep_build_info\{goversion="go[^"]+",revision="[^"]+",version="` + regexp.QuoteMeta(version) + `"\} 1$`).Match(body) {
		t.Errorf("metrics lack pinnsweep_build_info:\n%s", body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	if _, err := http.Get(metricsURL); err == nil {
		t.Error("the metrics endpoint still answers after serve stopped")
	}
}

// compact returns JSON without insignificant space.
func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return err.Error()
	}
	return b.String()
}

// TestServeAddressFile: serve --address-file writes the address to dial,
// with --advertise-host's host and the port it listens on, before it says
// it listens; and leaves it when it stops.
func TestServeAddressFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "coordinator.addr")
	addr, stop := startServeArgs(t, "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "s.db"),
		"--address-file", file, "--advertise-host", "node7", "--log-level", "warn")
	_, port, _ := net.SplitHostPort(addr)
	b, err := os.ReadFile(file)
	if err != nil || string(b) != "node7:"+port+"\n" {
		t.Fatalf("address file %q, %v; want node7:%s", b, err, port)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the address file is gone after serve stopped: %v", err)
	}
}
