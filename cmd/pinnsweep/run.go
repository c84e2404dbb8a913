package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/worker"
)

// runFlags are the settings of `pinnsweep run`.
type runFlags struct {
	spec        string
	db          string
	slots       int
	slotsGiven  bool // --slots was given
	gpus        string
	workDir     string
	killGrace   time.Duration
	rerunFailed bool
	out         string
	http        string
	json        bool
	noReport    bool
	log         logFlags
	ckpt        checkpointFlags
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run SPEC",
		Short: "run a sweep on this machine (resumable)",
		Long: `Runs the sweep SPEC (YAML) on this machine: an in-process coordinator on the database
file, one worker slot per CPU. Progress and logs go to stderr. When the sweep ends, the
summary (one row per grid point: its verdict, the median rel_l2, the replicates; then the
failure-boundary brackets of refined axes) goes to stdout, and the output directory gets
results.csv, results.json and the report (phase diagrams, trial figures, summary.md, as
'pinnsweep report' draws them); 'pinnsweep report SWEEP' redraws it with other choices.

Interrupt it at any time: rerunning the same command resumes without rerunning finished
trials, and the trials that were running resume from their last checkpoint (taken every
--checkpoint-every into --checkpoint-dir, by default the checkpoints directory of the
output directory) with the results they would have had straight through.

A spec whose runner has a command runs that program once per trial (README, "Command
trials"): run allows exactly the spec's program, since it is your own spec on your own
machine. Its logs and outputs go to --work-dir. A spec whose trials need GPUs
(resources: {gpus: N}) runs them on the GPU slots of --gpus.`,
		Args: positional(1, 1, "SPEC file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.spec = args[0]
			f.slotsGiven = cmd.Flags().Changed("slots")
			return runRun(cmd, f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.db, "db", defaultDB, "sweep database `file` (created if missing; an existing sweep resumes)")
	fs.IntVar(&f.slots, "slots", runtime.NumCPU(), "CPU slots: trials run at once, one thread each (with --gpus: 0 unless given)")
	fs.StringVar(&f.gpus, "gpus", "", "one GPU slot per listed device `ID[,ID...]` for a sweep whose trials need GPUs (CUDA_VISIBLE_DEVICES)")
	fs.StringVar(&f.workDir, "work-dir", worker.DefaultWorkDir, "directory of command trials' outputs and logs (`DIR`/SWEEP/KEY/TOKEN/)")
	fs.DurationVar(&f.killGrace, "kill-grace", worker.DefaultKillGrace, "time a stopped command trial has between SIGTERM and SIGKILL")
	fs.BoolVar(&f.rerunFailed, "rerun-failed", false, "requeue the sweep's failed, timed-out and cancelled trials")
	fs.StringVar(&f.out, "out", "", "output `dir`ectory of the results and the report (default pinnsweep-out/<sweep>)")
	fs.StringVar(&f.http, "http", "", httpFlagUsage)
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON object")
	fs.BoolVar(&f.noReport, "no-report", false, "write only results.csv and results.json, not the report's figures and summary.md")
	f.ckpt.add(fs, "OUT/checkpoints")
	f.log.add(fs, "warn")
	return cmd
}

// runRun implements `pinnsweep run SPEC`: the embedded mode. It opens the
// database with an in-process coordinator served on a loopback port, runs
// local worker slots against it over gRPC, submits the spec (which resumes
// the sweep when the database already has it), shows progress until every
// trial has ended, then prints a summary and writes the results and the
// report.
func runRun(cmd *cobra.Command, f runFlags) error {
	switch {
	case f.slots < 0 || f.slots == 0 && f.gpus == "":
		return usageErrorf("--slots %d: must be at least 1 (or 0 with --gpus)", f.slots)
	case f.killGrace <= 0 || f.killGrace > 10*time.Minute:
		return usageErrorf("--kill-grace %v: must be between 0 and 10m", f.killGrace)
	case f.db == "":
		return usageErrorf("--db must not be empty")
	}
	if err := f.log.check(); err != nil {
		return err
	}
	if err := f.ckpt.check(); err != nil {
		return err
	}
	if f.http != "" {
		if _, err := dashboardListenAddr(f.http); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	// The logger, the progress view and the messages share stderr.
	stderr := &lockedWriter{w: cmd.ErrOrStderr()}
	log := f.log.logger(stderr)
	err := runSweep(ctx, f, cmd.OutOrStdout(), stderr, log)
	if errors.Is(err, errInterrupted) {
		return exitCodeError{exitInterrupted, fmt.Errorf("interrupted; the sweep's state is saved in %s: rerun the same command to resume", f.db)}
	}
	return err
}

// lockedWriter serialises the writes of several goroutines to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Fd returns the descriptor of w when it is a file, so that a terminal is
// still recognised as one.
func (l *lockedWriter) Fd() uintptr {
	if f, ok := l.w.(*os.File); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// errInterrupted reports a run stopped by a signal.
var errInterrupted = errors.New("interrupted")

// runSweep does the work of runRun; ctx is cancelled by SIGINT or SIGTERM.
// Data (the summary) goes to stdout, progress and messages to stderr.
func runSweep(ctx context.Context, f runFlags, stdout, stderr io.Writer, log hclog.Logger) (err error) {
	source, err := safefile.ReadRegular(f.spec, sweeps.MaxSpecSize)
	if err != nil {
		return fmt.Errorf("reading spec: %w", err)
	}
	if err := safefile.CheckRegular(f.db); err != nil {
		return err
	}
	// Parse first, so that a bad spec is reported before the database is
	// created; the coordinator takes the parsed spec.
	spec, err := sweeps.Parse(f.spec, source, specOptions())
	if err != nil {
		return err
	}
	spec.File = filepath.Base(f.spec) // the name the sweep is stored under
	slots, err := commandSlots(spec, f, f.slotsGiven)
	if err != nil {
		return err
	}

	c, err := coordinator.Open(coordinator.Options{Path: f.db, Logger: log, SpecOptions: specOptions()})
	if err != nil {
		if errors.Is(err, boltstore.ErrLocked) {
			return fmt.Errorf("database %s is in use by another pinnsweep process (serve or run)", f.db)
		}
		return err
	}
	defer func() {
		if cerr := c.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", f.db, cerr)
		}
	}()

	res, err := c.SubmitSpec(ctx, spec)
	if err != nil {
		return err
	}
	sweep := res.Sweep
	// The database is ours (bbolt's file lock), so leases still active in
	// it belong to processes that are gone: hand them back now rather than
	// waiting for their TTL.
	released, err := c.ReleaseOrphans(ctx)
	if err != nil {
		return err
	}
	if f.rerunFailed {
		n, err := c.RequeueFailed(ctx, sweep)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "requeued %d failed trials\n", n)
	}
	p, err := c.Progress(ctx, sweep)
	if err != nil {
		return err
	}
	describeStart(stderr, res, p, released)
	describeCommand(stderr, slots, f)

	out := f.out
	if out == "" {
		out = defaultOut(sweep)
	}
	ownCkptDir := false // run made the checkpoint directory's name, so it may remove it
	if f.ckpt.every > 0 && f.ckpt.dir == "" {
		f.ckpt.dir = filepath.Join(out, "checkpoints")
		ownCkptDir = true
	}
	if !p.Finished {
		if err := runLocal(ctx, c, sweep, slots, f, p, len(spec.Refine) > 0, stderr, log); err != nil {
			return err
		}
	} else if f.http != "" {
		fmt.Fprintln(stderr, "the sweep has finished: no dashboard (use pinnsweep serve --http to browse it)")
	}
	if ownCkptDir {
		// Every trial has ended and taken its checkpoints along: the
		// directory is empty unless another sweep's trials were
		// interrupted there (then the removal fails, as it should). A
		// --checkpoint-dir the user named stays.
		_ = os.Remove(f.ckpt.dir)
	}
	return finish(ctx, c, sweep, out, f, stdout, stderr)
}

// describeStart prints what the submission found.
func describeStart(w io.Writer, res state.SubmitResult, p state.Progress, released int) {
	switch {
	case res.Created:
		fmt.Fprintf(w, "sweep %s: %d trials\n", res.Sweep, res.Total)
	case res.Added > 0:
		fmt.Fprintf(w, "sweep %s: resuming, %d trials (%d new)\n", res.Sweep, res.Total, res.Added)
	default:
		fmt.Fprintf(w, "sweep %s: resuming, %d trials\n", res.Sweep, res.Total)
	}
	if !res.Created {
		fmt.Fprintf(w, "  already ended: %d done, %d failed; %d to run\n",
			p.Done+p.Diverged, p.Failed+p.Timeout+p.Cancelled, p.Pending+p.Running)
	}
	if released > 0 {
		fmt.Fprintf(w, "  requeued %d trials left running by an interrupted run\n", released)
	}
}

// runLocal serves c on a loopback port, runs local worker slots against
// it (and the dashboard on f.http, if set) and shows progress on stderr
// until the sweep has finished or ctx is done. mayGrow says that the
// sweep refines, so that trials may be added.
func runLocal(ctx context.Context, c *coordinator.Coordinator, sweep string, slots runSlots, f runFlags,
	start state.Progress, mayGrow bool, stderr io.Writer, log hclog.Logger) error {
	trials, err := c.Trials(ctx, sweep)
	if err != nil {
		return err
	}
	clock := newSweepClock(slots.total(), mayGrow)
	clock.load(trials)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening on loopback: %w", err)
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	serveErr := make(chan error, 1)
	go func() { serveErr <- service.Serve(serveCtx, c, lis) }()
	stopDashboard := func() {}
	if f.http != "" {
		if stopDashboard, err = startDashboard(f.http, c, stderr, log); err != nil {
			stopServe()
			<-serveErr
			return err
		}
	}

	workCtx, stopWork := context.WithCancel(context.Background())
	workErr := make(chan error, 1)
	go func() {
		workErr <- worker.Run(workCtx, worker.Options{
			Coordinator: lis.Addr().String(),
			ID:          "local-" + worker.DefaultID(),
			Slots:       slots.cpu,
			GPUs:        slots.gpus,
			Command:     slots.command,
			// Only this sweep: the database may hold other unfinished
			// sweeps, which this command must not run.
			Sweeps: []string{sweep},
			Runner: timedRunner{Runner: worker.TrainerRunner{Threads: 1, CheckpointDir: f.ckpt.dir, CheckpointEvery: f.ckpt.every}, clock: clock},
			Logger: log,
		})
	}()

	view := newProgressView(stderr, start, clock.eta)
	watchErr := c.Watch(ctx, sweep, func(p state.Progress) error {
		if p.Total > clock.size() || slots.command != nil {
			// Refinement added trials: learn their points. Command
			// trials tell the clock nothing themselves: read them.
			if trials, err := c.Trials(ctx, sweep); err == nil {
				clock.load(trials)
				if slots.command != nil {
					clock.sync(trials)
				}
			}
		}
		view.update(p)
		return nil
	})
	view.close()

	// Stop the workers first (they release running trials over gRPC),
	// then the dashboard and the server.
	stopWork()
	werr := <-workErr
	stopDashboard()
	stopServe()
	serr := <-serveErr
	switch {
	case ctx.Err() != nil:
		return errInterrupted
	case watchErr != nil:
		return fmt.Errorf("watching sweep %s: %w", sweep, watchErr)
	case werr != nil:
		return werr
	case serr != nil:
		return serr
	}
	return nil
}
