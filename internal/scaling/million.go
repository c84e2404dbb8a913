package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/worker"
)

// millionSpec is the sweep of the million benchmark: betas × seeds trials
// that no-op workers complete at once.
const millionSpec = `name: million
fixed: {pde: convection, ic: sin, nf: 1000, layers: [50, 50, 50, 50]}
axes:
  beta: {linspace: [1, 40, %d]}
replicates: %d
budget: {iterations: 1000, seconds: 900}
`

// runMillion implements `scaling million`.
func runMillion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("million", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin/pinnsweep", "the pinnsweep `binary`")
	trials := fs.Int("trials", 1_000_000, "trials in the sweep (a multiple of 1000, or fewer than 1000)")
	dispatchN := fs.Int("dispatch", 20_000, "trials to dispatch to no-op workers")
	slots := fs.Int("slots", 16, "no-op worker slots")
	resumes := fs.Int("resumes", 3, "restarts on the full database; the table shows the median")
	keep := fs.String("dir", "", "work `dir`ectory (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	betas := min(*trials, 1000)
	if *trials < 1 || *trials%betas != 0 || *resumes < 1 {
		return fmt.Errorf("-trials %d: must be a positive multiple of 1000 or less than 1000; -resumes at least 1", *trials)
	}
	dir, cleanup, err := workDir(*keep)
	if err != nil {
		return err
	}
	defer cleanup()
	db := filepath.Join(dir, "million.db")
	logPath := filepath.Join(dir, "serve.log")
	spec := filepath.Join(dir, "million.yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, millionSpec, betas, *trials/betas), 0o644); err != nil {
		return err
	}
	extra := serveExtraArgs(*bin)
	ctx := context.Background()
	var rows [][2]string
	row := func(k, v string) {
		rows = append(rows, [2]string{k, v})
		fmt.Fprintf(stderr, "%s: %s\n", k, v)
	}
	row("load average at the start", loadAvg())

	// A fresh coordinator, then the submission.
	srv, err := startServer(*bin, db, logPath, extra)
	if err != nil {
		return err
	}
	defer srv.cmd.Process.Kill() // on an early return; a no-op once stopped
	if _, err := srv.waitReady(ctx); err != nil {
		return err
	}
	mem, err := procMemory(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	row("coordinator RSS, empty database", mem.String())
	// Over gRPC rather than with `pinnsweep submit`, whose 2-minute call
	// timeout a loaded machine can exceed.
	elapsed, err := submitSpec(ctx, srv.addr, spec)
	if err != nil {
		return err
	}
	row(fmt.Sprintf("submit of %d trials (SubmitSweep call)", *trials), fmt.Sprintf("%.2f s", elapsed.Seconds()))
	if mem, err = procMemory(srv.cmd.Process.Pid); err != nil {
		return err
	}
	row("coordinator RSS after the submit", mem.String())
	if fi, err := os.Stat(db); err == nil {
		row("database size after the submit", mib(fi.Size()))
	}

	// Dispatch the first trials to no-op workers.
	rate, err := dispatchNoop(ctx, srv.addr, *slots, *dispatchN)
	if err != nil {
		return err
	}
	row(fmt.Sprintf("dispatch, first %d trials, %d no-op slots", *dispatchN, *slots), fmt.Sprintf("%.0f trials/s", rate))
	if mem, err = procMemory(srv.cmd.Process.Pid); err != nil {
		return err
	}
	row("coordinator RSS after the dispatch", mem.String())
	maxrss, err := srv.stop(time.Minute)
	if err != nil {
		return err
	}
	row("coordinator ru_maxrss over submit + dispatch", mib(maxrss))
	if fi, err := os.Stat(db); err == nil {
		row("database size after the dispatch", mib(fi.Size()))
	}

	// Resume: restart on the full database.
	var ready, listed []time.Duration
	var resumeRSS int64
	var resumeMem memory
	for range *resumes {
		srv, err := startServer(*bin, db, logPath, extra)
		if err != nil {
			return err
		}
		h, err := srv.waitReady(ctx)
		if err != nil {
			srv.cmd.Process.Kill()
			return err
		}
		if err := listSweeps(ctx, srv.addr); err != nil {
			srv.cmd.Process.Kill()
			return err
		}
		ready, listed = append(ready, h), append(listed, time.Since(srv.started))
		if resumeMem, err = procMemory(srv.cmd.Process.Pid); err != nil {
			srv.cmd.Process.Kill()
			return err
		}
		maxrss, err := srv.stop(time.Minute)
		if err != nil {
			return err
		}
		resumeRSS = max(resumeRSS, maxrss)
	}
	row(fmt.Sprintf("resume: start → health SERVING (median of %d)", *resumes), fmt.Sprintf("%.2f s (runs: %s)", medianDur(ready).Seconds(), durs(ready)))
	row("resume: start → first ListSweeps answer", fmt.Sprintf("%.2f s", medianDur(listed).Seconds()))
	row("coordinator RSS after a resume, ready", resumeMem.String())
	row("coordinator ru_maxrss of a resume", mib(resumeRSS))
	row("load average at the end", loadAvg())

	host, _ := os.Hostname()
	fmt.Fprintf(stdout, "\n%s, %s, %d-trial sweep\n\n| measure | value |\n|---|---|\n", host, time.Now().UTC().Format("2006-01-02 15:04 UTC"), *trials)
	for _, r := range rows {
		fmt.Fprintf(stdout, "| %s | %s |\n", r[0], r[1])
	}
	return nil
}

// dispatchNoop runs no-op workers with slots slots against the coordinator at
// addr until n trials have ended, and returns the rate in trials/s.
func dispatchNoop(ctx context.Context, addr string, slots, n int) (float64, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	client := pb.NewSweepServiceClient(conn)
	ended := func() (int64, error) {
		resp, err := client.GetSweep(ctx, &pb.GetSweepRequest{Sweep: "million"})
		if err != nil {
			return 0, err
		}
		p := resp.GetProgress()
		return p.GetTotal() - p.GetPending() - p.GetRunning(), nil
	}
	first, err := ended()
	if err != nil {
		return 0, err
	}
	wctx, stop := context.WithCancel(ctx)
	werr := make(chan error, 1)
	start := time.Now()
	go func() {
		werr <- worker.Run(wctx, worker.Options{Coordinator: addr, ID: "noop", Slots: slots, Runner: worker.NoopRunner{}})
	}()
	var last int64
	for last-first < int64(n) {
		select {
		case err := <-werr:
			stop()
			return 0, fmt.Errorf("worker stopped: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if last, err = ended(); err != nil {
			stop()
			<-werr
			return 0, err
		}
	}
	elapsed := time.Since(start)
	stop()
	if err := <-werr; err != nil {
		return 0, err
	}
	return float64(last-first) / elapsed.Seconds(), nil
}

// submitSpec submits the spec file over gRPC and returns how long the call
// took.
func submitSpec(ctx context.Context, addr, spec string) (time.Duration, error) {
	source, err := os.ReadFile(spec)
	if err != nil {
		return 0, err
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	start := time.Now()
	_, err = pb.NewSweepServiceClient(conn).SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{
		Filename: filepath.Base(spec), Source: string(source)}})
	if err != nil {
		return 0, fmt.Errorf("submit: %w", err)
	}
	return time.Since(start), nil
}

// listSweeps makes one ListSweeps call.
func listSweeps(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(service.MaxSendMsgSize)))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = pb.NewSweepServiceClient(conn).ListSweeps(ctx, &pb.ListSweepsRequest{})
	return err
}

func medianDur(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func durs(d []time.Duration) string {
	var s string
	for i, x := range d {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.2f", x.Seconds())
	}
	return s
}
