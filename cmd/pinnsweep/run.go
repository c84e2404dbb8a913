package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/boltstore"
	"github.com/pinnsweep/pinnsweep/coordinator/export"
	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/worker"
)

func init() {
	register("run", command{
		summary: "run a sweep on this machine (resumable)",
		run:     runRun,
	})
}

// exitInterrupted is the exit code after SIGINT or SIGTERM (128 + SIGINT).
const exitInterrupted = 130

// runFlags are the settings of `pinnsweep run`.
type runFlags struct {
	spec        string
	db          string
	slots       int
	rerunFailed bool
	out         string
	logJSON     bool
	logLevel    string
	http        string
}

// runRun implements `pinnsweep run SPEC`: the embedded mode. It opens the
// database with an in-process coordinator served on a loopback port, runs
// local worker slots against it over gRPC, submits the spec (which resumes
// the sweep when the database already has it), shows progress until every
// trial has ended, then prints a summary and writes the report files.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var f runFlags
	fs.StringVar(&f.db, "db", "./pinnsweep.db", "sweep database `file` (created if missing; an existing sweep resumes)")
	fs.IntVar(&f.slots, "slots", runtime.NumCPU(), "trials run at once, one thread each")
	fs.BoolVar(&f.rerunFailed, "rerun-failed", false, "requeue the sweep's failed, timed-out and cancelled trials")
	fs.StringVar(&f.out, "out", "", "report `dir`ectory (default ./pinnsweep-out/<sweep>)")
	fs.BoolVar(&f.logJSON, "log-json", false, "log JSON lines instead of text")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level: trace, debug, info, warn, error")
	fs.StringVar(&f.http, "http", "", httpFlagUsage)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep run SPEC [--db FILE] [--slots N] [--rerun-failed] [--out DIR] [--http ADDR] [--log-json]")
		fmt.Fprintln(fs.Output(), "\nRuns the sweep SPEC (YAML) on this machine and writes results.csv and results.json.")
		fmt.Fprintln(fs.Output(), "Interrupt it at any time: rerunning the same command resumes without rerunning")
		fmt.Fprintln(fs.Output(), "finished trials.\n\nFlags:")
		fs.PrintDefaults()
	}
	spec, code, ok := parseOneArg(fs, args, stderr, "SPEC file (usage: pinnsweep run SPEC [flags])")
	if !ok {
		return code
	}
	switch {
	case f.slots < 1:
		fmt.Fprintf(stderr, "pinnsweep run: --slots %d: must be at least 1\n", f.slots)
		return 2
	case f.db == "":
		fmt.Fprintln(stderr, "pinnsweep run: --db must not be empty")
		return 2
	}
	if f.http != "" {
		if _, err := dashboardListenAddr(f.http); err != nil {
			fmt.Fprintf(stderr, "pinnsweep run: %v\n", err)
			return 2
		}
	}
	f.spec = spec

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	log := newRootLogger(stderr, f.logLevel, f.logJSON)
	err := runSweep(ctx, f, stdout, log)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errInterrupted):
		fmt.Fprintf(stderr, "pinnsweep run: interrupted; the sweep's state is saved in %s: rerun the same command to resume\n", f.db)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "pinnsweep run: %v\n", oneLine(err))
		return 1
	}
}

// errInterrupted reports a run stopped by a signal.
var errInterrupted = errors.New("interrupted")

// runSweep does the work of runRun; ctx is cancelled by SIGINT or SIGTERM.
func runSweep(ctx context.Context, f runFlags, stdout io.Writer, log hclog.Logger) (err error) {
	source, err := os.ReadFile(f.spec)
	if err != nil {
		return fmt.Errorf("reading spec: %w", err)
	}
	// Parse first, so that a bad spec is reported before the database is
	// created; the coordinator takes the parsed spec.
	spec, err := sweeps.Parse(f.spec, source, specOptions())
	if err != nil {
		return err
	}
	spec.File = filepath.Base(f.spec) // the name the sweep is stored under

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
		fmt.Fprintf(stdout, "requeued %d failed trials\n", n)
	}
	p, err := c.Progress(ctx, sweep)
	if err != nil {
		return err
	}
	describeStart(stdout, res, p, released)

	if !p.Finished {
		if err := runLocal(ctx, c, sweep, f, p, stdout, log); err != nil {
			return err
		}
	} else if f.http != "" {
		fmt.Fprintln(stdout, "the sweep has finished: no dashboard (use pinnsweep serve --http to browse it)")
	}
	return report(ctx, c, sweep, f.out, stdout)
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

// runLocal serves c on a loopback port, runs f.slots local workers
// against it (and the dashboard on f.http, if set) and shows progress
// until the sweep has finished or ctx is done.
func runLocal(ctx context.Context, c *coordinator.Coordinator, sweep string, f runFlags,
	start state.Progress, stdout io.Writer, log hclog.Logger) error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening on loopback: %w", err)
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	serveErr := make(chan error, 1)
	go func() { serveErr <- service.Serve(serveCtx, c, lis) }()
	stopDashboard := func() {}
	if f.http != "" {
		if stopDashboard, err = startDashboard(f.http, c, stdout, log); err != nil {
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
			Slots:       f.slots,
			// Only this sweep: the database may hold other unfinished
			// sweeps, which this command must not run.
			Sweeps: []string{sweep},
			Runner: worker.TrainerRunner{Threads: 1},
			Logger: log,
		})
	}()

	view := newProgressView(stdout, start)
	watchErr := c.Watch(ctx, sweep, func(p state.Progress) error {
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

// report prints the summary table and writes results.csv and results.json
// into dir (default ./pinnsweep-out/<sweep>).
func report(ctx context.Context, c *coordinator.Coordinator, sweep, dir string, stdout io.Writer) error {
	rec, err := c.Sweep(ctx, sweep)
	if err != nil {
		return err
	}
	trials, err := c.Trials(ctx, sweep)
	if err != nil {
		return err
	}
	p, err := c.Progress(ctx, sweep)
	if err != nil {
		return err
	}
	brackets, err := c.Brackets(ctx, sweep)
	if err != nil {
		return err
	}
	metric, err := c.Metric(ctx, sweep)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := writeSummary(stdout, rec.Axes, trials, metric); err != nil {
		return err
	}
	bs := make([]*pb.Bracket, len(brackets))
	for i, b := range brackets {
		bs[i] = service.BracketToProto(b)
	}
	if err := writeBrackets(stdout, []string{sweep}, [][]*pb.Bracket{bs}); err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join("pinnsweep-out", sweep)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the report directory: %w", err)
	}
	for _, format := range []string{export.FormatCSV, export.FormatJSON} {
		path := filepath.Join(dir, "results."+format)
		if err := writeFileAtomic(path, func(w io.Writer) error {
			return export.Write(w, format, rec.Axes, trials)
		}); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	fmt.Fprintf(stdout, "\n%d trials ended: %d done, %d diverged, %d failed, %d timed out, %d cancelled\n",
		p.Total, p.Done, p.Diverged, p.Failed, p.Timeout, p.Cancelled)
	if bad := p.Failed + p.Timeout + p.Cancelled; bad > 0 {
		fmt.Fprintf(stdout, "%d trials did not finish; rerun with --rerun-failed to retry them\n", bad)
	}
	fmt.Fprintf(stdout, "results: %s, %s\n", filepath.Join(dir, "results.csv"), filepath.Join(dir, "results.json"))
	return nil
}

// writeFileAtomic writes path through a temporary file in the same
// directory, renamed into place once complete.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// parseOneArg is parseInterspersed for commands that take exactly one
// positional argument; missing describes it for the error message (e.g.
// "SPEC file (usage: pinnsweep run SPEC [flags])").
func parseOneArg(fs *flag.FlagSet, args []string, stderr io.Writer, missing string) (string, int, bool) {
	pos, code, ok := parseInterspersed(fs, args, stderr)
	switch {
	case !ok:
		return "", code, false
	case len(pos) == 0:
		fmt.Fprintf(stderr, "pinnsweep %s: missing %s\n", fs.Name(), missing)
		return "", 2, false
	case len(pos) > 1:
		fmt.Fprintf(stderr, "pinnsweep %s: unexpected argument %q\n", fs.Name(), pos[1])
		return "", 2, false
	}
	return pos[0], 0, true
}

// parseInterspersed parses args with fs, allowing flags after positional
// arguments (`run spec.yaml --slots 2`); "--" ends the flags. It returns
// the positional arguments, or the exit code and false when the caller
// must stop.
func parseInterspersed(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := parseFlags(fs, args, stderr); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		// flag stops at "--" (consumed) or at the first non-flag.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
