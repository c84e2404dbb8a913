package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/auth"
)

// refusedToken is the admin token of the coordinator runRefused starts.
const refusedToken = "scaling-refused-admin-token"

// runRefused measures what refused calls cost the coordinator: it starts
// `bin serve` with an admin token, then -calls goroutines, each on its own
// connection, send -rounds SubmitSweep calls without a token whose spec
// source makes the request -size bytes, and it reports the coordinator's
// resident memory (before, peak, after) and the CPU time it used.
func runRefused(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("refused", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin/pinnsweep", "pinnsweep binary")
	calls := fs.Int("calls", 16, "concurrent callers without credentials")
	rounds := fs.Int("rounds", 8, "calls per caller, one after the other")
	size := fs.Int("size", service.MaxRecvMsgSize-1024, "request size in bytes (the server's limit is 16 MiB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "pinnsweep-refused-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tokenFile := filepath.Join(dir, "admin.token")
	if err := os.WriteFile(tokenFile, []byte(refusedToken), 0o600); err != nil {
		return err
	}
	srv, err := startServer(*bin, filepath.Join(dir, "refused.db"), filepath.Join(dir, "serve.log"),
		[]string{"--admin-token-file", tokenFile})
	if err != nil {
		return err
	}
	defer func() {
		if srv.cmd.ProcessState == nil {
			_ = srv.cmd.Process.Kill()
			<-srv.exited
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := waitReadyWithToken(ctx, srv); err != nil {
		return err
	}
	pid := srv.cmd.Process.Pid
	before, err := procMemory(pid)
	if err != nil {
		return err
	}
	cpu0, err := procCPU(pid)
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "refused: %d callers × %d calls of %s without credentials (load %s)\n", *calls, *rounds, mib(int64(*size)), loadAvg())
	req := &pb.SubmitSweepRequest{Spec: &pb.Spec{Source: strings.Repeat("#", *size)}}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *calls)
	for range *calls {
		wg.Go(func() {
			if err := refusedCaller(ctx, srv.addr, req, *rounds); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	cpu1, err := procCPU(pid)
	if err != nil {
		return err
	}
	after, err := procMemory(pid)
	if err != nil {
		return err
	}
	if _, err := srv.stop(30 * time.Second); err != nil {
		return err
	}
	n := *calls * *rounds
	cpu := cpu1 - cpu0
	fmt.Fprintf(stdout, "| %s | %d × %d × %s | %s | %s | %s | %.2f s (%.1f ms per call) | %.2f s |\n",
		*bin, *calls, *rounds, mib(int64(*size)), mib(before.RSS), mib(after.HWM), mib(after.RSS),
		cpu.Seconds(), float64(cpu.Microseconds())/1000/float64(n), wall.Seconds())
	return nil
}

// refusedCaller sends rounds calls of req without credentials on its own
// connection; each must be refused with Unauthenticated.
func refusedCaller(ctx context.Context, addr string, req *pb.SubmitSweepRequest, rounds int) error {
	opts, err := auth.ClientConfig{}.DialOptions()
	if err != nil {
		return err
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return err
	}
	defer cc.Close()
	client := pb.NewSweepServiceClient(cc)
	for range rounds {
		_, err := client.SubmitSweep(ctx, req, grpc.MaxCallSendMsgSize(service.MaxRecvMsgSize))
		if status.Code(err) != codes.Unauthenticated {
			return fmt.Errorf("a call without credentials: %v, want Unauthenticated", err)
		}
	}
	return nil
}

// waitReadyWithToken waits until the server's health service answers
// SERVING to a caller holding the admin token (a coordinator that requires
// a token for health checks needs it).
func waitReadyWithToken(ctx context.Context, s *server) error {
	opts, err := auth.ClientConfig{Token: refusedToken}.DialOptions()
	if err != nil {
		return err
	}
	cc, err := grpc.NewClient(s.addr, opts...)
	if err != nil {
		return err
	}
	defer cc.Close()
	for {
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("serve exited: %v (log: %s)", s.err, s.log.Name())
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// procCPU returns the user and system CPU time a running process has used,
// from /proc/PID/stat (in clock ticks of 1/100 s, USER_HZ on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime: fields 14 and 15 of stat
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
