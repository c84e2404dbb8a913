package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// server is a `pinnsweep serve` child process.
type server struct {
	cmd     *exec.Cmd
	addr    string
	started time.Time
	exited  chan struct{}
	err     error // the exit error, once exited is closed
	log     *os.File
}

// startServer starts `bin serve` on db, listening on a free loopback port,
// with its log appended to logPath. extra is added to the arguments.
func startServer(bin, db, logPath string, extra []string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--listen", addr, "--db", db, "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	s := &server{cmd: cmd, addr: addr, exited: make(chan struct{}), log: log}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s serve: %w", bin, err)
	}
	go func() {
		s.err = cmd.Wait()
		log.Close()
		close(s.exited)
	}()
	return s, nil
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady waits until the server accepts TCP connections and its gRPC
// health service answers SERVING, and returns the time since the process
// was started. The server listens only after it has opened its database,
// so this is the time to be ready to serve.
func (s *server) waitReady(ctx context.Context) (time.Duration, error) {
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.exited:
			return 0, fmt.Errorf("serve exited before listening: %v (log: %s)", s.err, s.log.Name())
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return 0, fmt.Errorf("health check: %w", err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return 0, fmt.Errorf("health check: %v", resp.GetStatus())
	}
	return time.Since(s.started), nil
}

// stop sends SIGTERM and waits for the process to exit; it returns its peak
// resident set (ru_maxrss) in bytes.
func (s *server) stop(timeout time.Duration) (int64, error) {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, err
	}
	select {
	case <-s.exited:
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return 0, fmt.Errorf("serve did not stop within %v after SIGTERM; killed", timeout)
	}
	if s.err != nil {
		return 0, fmt.Errorf("serve: %w (log: %s)", s.err, s.log.Name())
	}
	return maxRSS(s.cmd.ProcessState), nil
}

// maxRSS returns the peak resident set of an exited process in bytes.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}

// memory is a process's resident memory from /proc/PID/status, in bytes.
type memory struct {
	RSS  int64 // VmRSS: resident now
	HWM  int64 // VmHWM: peak resident
	Anon int64 // RssAnon: resident anonymous memory (heap, stacks)
	File int64 // RssFile: resident file pages (the mmapped database, the binary)
}

// String formats m for the tables.
func (m memory) String() string {
	return fmt.Sprintf("%s (anon %s, file %s); peak %s", mib(m.RSS), mib(m.Anon), mib(m.File), mib(m.HWM))
}

// procMemory returns a running process's resident memory.
func procMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	return parseProcStatus(f)
}

// parseProcStatus reads the memory fields of a /proc/PID/status file.
func parseProcStatus(r io.Reader) (memory, error) {
	var m memory
	fields := map[string]*int64{"VmRSS": &m.RSS, "VmHWM": &m.HWM, "RssAnon": &m.Anon, "RssFile": &m.File}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		dst := fields[key]
		if !ok || dst == nil {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = kb * 1024
	}
	return m, sc.Err()
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// mib formats a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// serveExtraArgs returns the arguments `pinnsweep serve` needs to run
// without credentials: --insecure when the binary has that flag (builds
// with authentication), nothing otherwise.
func serveExtraArgs(bin string) []string {
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	if strings.Contains(string(out), "-insecure") {
		return []string{"--insecure"}
	}
	return nil
}
