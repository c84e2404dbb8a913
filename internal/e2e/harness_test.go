package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// bin is the pinnsweep binary built by TestMain.
var bin string

// TestMain builds the pinnsweep binary once for the package's tests.
// PINNSWEEP_E2E_RACE=1 builds it with the race detector. With -short
// nothing is built and every test skips.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "pinnsweep-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "pinnsweep")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	args := []string{"build", "-o", bin}
	if os.Getenv("PINNSWEEP_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "github.com/pinnsweep/pinnsweep/cmd/pinnsweep")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building pinnsweep:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
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

// proc is a running pinnsweep process.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	code   int // exit code once done; -1 when killed by a signal
}

// start runs bin with args in dir; the process is killed when the test
// ends, and its output is logged if the test failed.
func start(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	return startWrapped(t, dir, name, nil, args...)
}

// startWrapped is start with bin run through the command wrap (e.g. "ip
// netns exec NS"), which must exec bin in its place so that signals reach
// it.
func startWrapped(t *testing.T, dir, name string, wrap []string, args ...string) *proc {
	t.Helper()
	if bin == "" {
		t.Skip("end-to-end tests are skipped in -short mode")
	}
	argv := append(append(append([]string{}, wrap...), bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	return startCmd(t, name, cmd)
}

// startCmd starts cmd, a command that runs bin, as start does. Its
// output goes to the proc's buffers unless cmd has a Stdout or Stderr of
// its own.
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = &p.stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &p.stderr
	}
	args := cmd.Args[1:]
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.signal(syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("---- %s %v (exit %d)\nstdout:\n%s\nstderr:\n%s", name, args, p.code, tail(p.stdout.String()), tail(p.stderr.String()))
		}
	})
	return p
}

// tail returns the last 60 lines of s.
func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 60 {
		lines = append([]string{"..."}, lines[len(lines)-60:]...)
	}
	return strings.Join(lines, "\n")
}

// signal sends sig to p unless it has exited.
func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// wait waits up to timeout for p to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %v", p.name, timeout)
		return 0
	}
}

// kill sends SIGKILL and waits for p to die.
func (p *proc) kill() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	// A process catches SIGTERM once it is up, which it says in its first
	// output; a signal before that kills it outright.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case <-p.done:
		default:
			if p.stdout.String() == "" && p.stderr.String() == "" {
				continue
			}
		}
		break
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		p.t.Errorf("%s exited %d after SIGTERM", p.name, code)
	}
}

// logLine is one hclog JSON log line.
type logLine map[string]any

func (l logLine) msg() string { s, _ := l["@message"].(string); return s }
func (l logLine) str(k string) string {
	switch v := l[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// logs parses p's JSON log lines (stderr).
func (p *proc) logs() []logLine {
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}

// count counts p's log lines with message msg that match every key=value
// of match, grouped by the value of key.
func count(procs []*proc, msg, key string, match map[string]string) map[string]int {
	n := map[string]int{}
	for _, p := range procs {
	lines:
		for _, l := range p.logs() {
			if l.msg() != msg {
				continue
			}
			for k, v := range match {
				if l.str(k) != v {
					continue lines
				}
			}
			n[l.str(key)]++
		}
	}
	return n
}

// firstTime returns, per trial key, the time of the first log line with
// message msg that matches every key=value of match.
func firstTime(procs []*proc, msg string, match map[string]string) map[string]time.Time {
	out := map[string]time.Time{}
	for _, p := range procs {
	lines:
		for _, l := range p.logs() {
			if l.msg() != msg {
				continue
			}
			for k, v := range match {
				if l.str(k) != v {
					continue lines
				}
			}
			ts, err := time.Parse(time.RFC3339Nano, l.str("@timestamp"))
			if err != nil {
				continue
			}
			if old, ok := out[l.str("trial")]; !ok || ts.Before(old) {
				out[l.str("trial")] = ts
			}
		}
	}
	return out
}

// eventually polls cond every 20 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var listeningRE = regexp.MustCompile(`listening on (\S+)`)

// serve starts `pinnsweep serve` on listen (127.0.0.1:0 for any port) and
// returns the process and its address.
func serve(t *testing.T, dir, db, listen string, extra ...string) (*proc, string) {
	t.Helper()
	return serveWrapped(t, dir, nil, db, listen, extra...)
}

// serveWrapped is serve through the command wrap (see startWrapped).
func serveWrapped(t *testing.T, dir string, wrap []string, db, listen string, extra ...string) (*proc, string) {
	t.Helper()
	args := append([]string{"serve", "--listen", listen, "--db", db, "--log-json"}, extra...)
	p := startWrapped(t, dir, "serve", wrap, args...)
	var addr string
	eventually(t, 20*time.Second, "the coordinator to listen", func() bool {
		if m := listeningRE.FindStringSubmatch(p.stdout.String()); m != nil {
			addr = m[1]
			return true
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited %d:\n%s", p.code, p.stderr.String())
		default:
		}
		return false
	})
	return p, addr
}

// runCLI runs a short pinnsweep command and returns its exit code, stdout
// and stderr.
func runCLI(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	p := start(t, dir, args[0], args...)
	code := p.wait(60 * time.Second)
	return code, p.stdout.String(), p.stderr.String()
}

// mustCLI runs a pinnsweep command that must succeed and returns its
// stdout.
func mustCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, dir, args...)
	if code != 0 {
		t.Fatalf("pinnsweep %v: exit %d\n%s\n%s", args, code, stdout, stderr)
	}
	return stdout
}

// exported is one trial of `pinnsweep export --format json`.
type exported struct {
	Key      string          `json:"key"`
	Status   string          `json:"status"`
	Attempts int             `json:"attempts"`
	Params   json.RawMessage `json:"params"`
	Worker   string          `json:"worker"`
	Reason   string          `json:"reason"`
	Result   json.RawMessage `json:"result"`
	// Command trials: the metric's value and the stderr tail.
	Value      *float64 `json:"value"`
	StderrTail string   `json:"stderr_tail"`
}

// export runs `pinnsweep export SWEEP --format json` with the given
// source flags (--db FILE or --coordinator ADDR).
func export(t *testing.T, dir, sweep string, source ...string) []exported {
	t.Helper()
	out := mustCLI(t, dir, append([]string{"export", sweep, "--format", "json"}, source...)...)
	var trials []exported
	if err := json.Unmarshal([]byte(out), &trials); err != nil {
		t.Fatalf("export output: %v\n%s", err, out)
	}
	return trials
}

// client is a gRPC client of a coordinator.
type client struct {
	conn    *grpc.ClientConn
	sweeps  pb.SweepServiceClient
	workers pb.WorkerServiceClient
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{conn: conn, sweeps: pb.NewSweepServiceClient(conn), workers: pb.NewWorkerServiceClient(conn)}
}

// progress returns a sweep's progress, or nil while the coordinator cannot
// answer.
func (c *client) progress(sweep string) *pb.SweepProgress {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: sweep})
	if err != nil {
		return nil
	}
	return resp.GetProgress()
}

// trials returns a sweep's trials with their results.
func (c *client) trials(t *testing.T, sweep string) []*pb.Trial {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: sweep, IncludeTrials: true})
	if err != nil {
		t.Fatalf("GetSweep %s: %v", sweep, err)
	}
	return resp.GetTrials()
}

// waitFinished waits until the sweep has no pending or running trial.
func (c *client) waitFinished(t *testing.T, sweep string, timeout time.Duration) *pb.SweepProgress {
	t.Helper()
	var p *pb.SweepProgress
	eventually(t, timeout, "sweep "+sweep+" to finish", func() bool {
		p = c.progress(sweep)
		return p != nil && p.GetFinished()
	})
	return p
}

// testdata returns the absolute path of a file in testdata (or, with a
// leading "../", elsewhere in the repository).
func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkDB runs `pinnsweep check --db FILE --json` on a database no
// coordinator holds; the check must pass.
func checkDB(t *testing.T, dir, db string) boltstore.Report {
	t.Helper()
	code, stdout, stderr := runCLI(t, dir, "check", "--db", db, "--json")
	var rep boltstore.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 {
		t.Fatalf("pinnsweep check --db %s: exit %d, %v\n%s\n%s", db, code, err, stdout, stderr)
	}
	return rep
}

// ack is a completion a worker saw acknowledged ("trial completed").
type ack struct {
	worker, trial, token, status string
	duplicate                    bool
}

// acks returns the completions acknowledged to the workers procs, from
// their logs.
func acks(procs []*proc) []ack {
	var out []ack
	for _, p := range procs {
		for _, l := range p.logs() {
			if l.msg() != "trial completed" {
				continue
			}
			out = append(out, ack{worker: l.str("worker_id"), trial: l.str("trial"), token: l.num("token"),
				status: l.str("status"), duplicate: l.str("duplicate") == "true"})
		}
	}
	return out
}

// num returns a numeric field as an integer string ("" if absent).
func (l logLine) num(k string) string {
	if v, ok := l[k].(float64); ok {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return l.str(k)
}

// storedTrials reads a sweep's trials, with tokens and results, from a
// database file no coordinator holds.
func storedTrials(t *testing.T, db, sweep string) map[string]state.TrialRecord {
	t.Helper()
	st, err := boltstore.Open(db, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	trials, err := st.Trials(context.Background(), sweep)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]state.TrialRecord{}
	for _, tr := range trials {
		out[tr.Key] = tr
	}
	return out
}

// checkAcked checks that every acknowledged completion is in the
// database: the trial has the acknowledged status, was last leased with
// the acknowledged token, and names the acknowledging worker. It returns
// the number of acknowledgements checked.
func checkAcked(t *testing.T, stored map[string]state.TrialRecord, acked []ack) int {
	t.Helper()
	for _, a := range acked {
		tr, ok := stored[a.trial]
		switch {
		case !ok:
			t.Errorf("acknowledged trial %s is not in the database", a.trial)
		case string(tr.Status) != a.status || strconv.FormatUint(tr.Token, 10) != a.token || tr.Worker != a.worker:
			t.Errorf("trial %s: acknowledged %s to %s with token %s, stored %s by %s with token %d",
				a.trial, a.status, a.worker, a.token, tr.Status, tr.Worker, tr.Token)
		}
	}
	return len(acked)
}

// resumeCluster starts a coordinator (lease TTL 3 s) with
// testdata/resume.yaml submitted and two workers, worker-a and worker-b,
// and waits until done trials are done. It returns the test directory,
// the database, the coordinator, its address, the workers and a client.
func resumeCluster(t *testing.T, done int) (dir, db string, coord *proc, addr string, workers []*proc, c *client) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "sweeps.db")
	dir, coord, addr, workers, c = resumeClusterOn(t, db, done)
	return dir, db, coord, addr, workers, c
}

// resumeClusterOn is resumeCluster with the database at db (on a
// filesystem of the test's choosing).
func resumeClusterOn(t *testing.T, db string, done int) (dir string, coord *proc, addr string, workers []*proc, c *client) {
	t.Helper()
	dir = t.TempDir()
	coord, addr = serve(t, dir, db, "127.0.0.1:0", "--lease-ttl", "3s")
	mustCLI(t, dir, "submit", testdata(t, "resume.yaml"), "--coordinator", addr)
	workers = []*proc{worker(t, dir, addr, "worker-a"), worker(t, dir, addr, "worker-b")}
	c = dial(t, addr)
	eventually(t, 60*time.Second, fmt.Sprintf("%d trials done", done), func() bool {
		p := c.progress("resume")
		return p != nil && int(p.GetDone()) >= done
	})
	return dir, coord, addr, workers, c
}
