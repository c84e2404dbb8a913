package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"

	"github.com/pinnsweep/pinnsweep/internal/coordfile"
	"github.com/pinnsweep/pinnsweep/worker"
)

// workContext returns the context that ends `pinnsweep work`: cancelled by
// SIGINT or SIGTERM. Tests replace it.
var workContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func newWorkCmd() *cobra.Command {
	var (
		slots       int
		id          string
		metricsAddr string
		sweepNames  = listFlag{what: "sweep name"}
		lf          logFlags
		coordFile   string
		ckpt        checkpointFlags
		gpus        string
		allowExec   string
		workDir     string
		killGrace   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "work",
		Short: "run trials for a coordinator (a worker process)",
		Long: `Leases trials from a coordinator and trains them until SIGINT or SIGTERM, when it
releases its running trials so that the coordinator requeues them at once.

--metrics serves Prometheus metrics: pinnsweep_worker_slots and _slots_busy, the
histogram pinnsweep_worker_trial_seconds by outcome, pinnsweep_worker_results_late_total
(results delivered after the coordinator was unreachable) and _results_dropped_total by
reason, pinnsweep_build_info and the Go runtime's.

--coordinator-file reads the coordinator's address from a file on a shared filesystem
(written by serve --address-file), and again whenever the connection is lost, so the
worker follows a coordinator that restarts elsewhere (a requeued batch job).

--checkpoint-dir checkpoints every trial every --checkpoint-every into DIR/SWEEP/
(one file per attempt). Workers may share the directory: an attempt of a trial, on any
worker, resumes from the furthest checkpoint of that trial it finds there, and ends with
the result the trial would have had straight through. The trial's wall-time budget counts
the training time its checkpoint carries. A command trial's program gets a directory of its
own there, $PINNSWEEP_CHECKPOINT_DIR (DIR/SWEEP/KEY/, the same for every attempt), to save
and resume its state as it likes.`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	cf := addConnFlags(cmd)
	fs.IntVar(&slots, "slots", 1, "CPU slots: trials run at once, one thread each (with --gpus: 0 unless given)")
	fs.StringVar(&gpus, "gpus", "", "one GPU slot per listed device `ID[,ID...]`, numbered as nvidia-smi does: GPU trials run there, with CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES set")
	fs.StringVar(&allowExec, "allow-exec", "", "run command trials only of the programs `PROGRAM[,PROGRAM...]`, names looked up in PATH or paths; without it no command trial runs")
	fs.StringVar(&workDir, "work-dir", worker.DefaultWorkDir, "directory of command trials' outputs and logs (`DIR`/SWEEP/KEY/TOKEN/)")
	fs.DurationVar(&killGrace, "kill-grace", worker.DefaultKillGrace, "time a stopped command trial has between SIGTERM and SIGKILL")
	fs.StringVar(&id, "id", "", "worker id (default <hostname>-<pid>)")
	fs.Var(&sweepNames, "sweep", "run only trials of sweep `NAME` (repeat for several; default: any sweep)")
	fs.StringVar(&metricsAddr, "metrics", "", metricsFlagUsage)
	fs.StringVar(&coordFile, "coordinator-file", "", "read the coordinator's address from `file` (serve --address-file), again on every reconnection (instead of --coordinator)")
	ckpt.add(fs, "")
	lf.add(fs, "info")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if coordFile != "" {
			if cmd.Flags().Changed("coordinator") {
				return usageErrorf("give --coordinator or --coordinator-file, not both")
			}
			target, err := coordfile.Target(coordFile)
			if err != nil {
				return usageErrorf("--coordinator-file %s: %v", coordFile, err)
			}
			// As a flag-given address, it sets the current context aside.
			if err := cmd.Flags().Set("coordinator", target); err != nil {
				return err
			}
		}
		c, err := cf.requireCoordinator()
		if err != nil {
			return err
		}
		if err := ckpt.check(); err != nil {
			return err
		}
		gpuIDs := splitList(gpus)
		if len(gpuIDs) > 0 && !cmd.Flags().Changed("slots") {
			slots = 0
		}
		switch {
		case slots < 0 || slots == 0 && len(gpuIDs) == 0:
			return usageErrorf("--slots %d: must be at least 1 (or 0 with --gpus)", slots)
		case killGrace <= 0 || killGrace > 10*time.Minute:
			return usageErrorf("--kill-grace %v: must be between 0 and 10m", killGrace)
		case len(gpuIDs) > 0 && allowExec == "":
			return usageErrorf("--gpus needs --allow-exec: only command trials run on GPUs")
		}
		var cmdRunner *worker.CommandRunner
		if programs := splitList(allowExec); len(programs) > 0 {
			if cmdRunner, err = worker.NewCommandRunner(worker.CommandOptions{Allow: programs, Dir: workDir, KillGrace: killGrace, CheckpointDir: ckpt.dir}); err != nil {
				return usageErrorf("--allow-exec: %v", err)
			}
		}
		if err := lf.check(); err != nil {
			return err
		}
		metricsAt := ""
		if metricsAddr != "" {
			if metricsAt, err = listenAddr("metrics", metricsAddr); err != nil {
				return err
			}
		}
		dialOpts, err := c.dialOptions()
		if err != nil {
			return err
		}
		log := lf.logger(cmd.ErrOrStderr())
		if coordFile != "" {
			dialOpts = append(dialOpts, grpc.WithResolvers(coordfile.NewResolver(coordfile.Options{
				ServerName: c.ServerName, Logger: log.Named("worker").Named("coordinator-file")})))
		}

		ctx, stop := workContext()
		defer stop()
		var metrics *worker.Metrics
		var merr chan error
		if metricsAt != "" {
			reg, handler := newWorkerRegistry()
			if metrics, err = worker.NewMetrics(reg); err != nil {
				return err
			}
			lis, err := net.Listen("tcp", metricsAt)
			if err != nil {
				return fmt.Errorf("--metrics: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "metrics on http://%s/metrics\n", lis.Addr())
			merr = serveMetrics(ctx, handler, lis, log)
		}
		err = worker.Run(ctx, worker.Options{
			Coordinator: c.Coordinator,
			DialOptions: dialOpts,
			ID:          id,
			Slots:       slots,
			GPUs:        gpuIDs,
			Sweeps:      sweepNames.values,
			Runner:      worker.TrainerRunner{Threads: 1, CheckpointDir: ckpt.dir, CheckpointEvery: ckpt.every},
			Command:     cmdRunner,
			Logger:      log,
			Metrics:     metrics,
		})
		stop()
		if merr != nil {
			if mErr := <-merr; err == nil {
				err = mErr
			}
		}
		return err
	}
	return cmd
}

// checkpointFlags are --checkpoint-dir and --checkpoint-every of work and
// run.
type checkpointFlags struct {
	dir   string
	every time.Duration
}

// add registers the flags; dirDefault describes the default directory.
func (f *checkpointFlags) add(fs *pflag.FlagSet, dirDefault string) {
	usage := "checkpoint the trials into `dir` (may be shared by workers); none without it"
	if dirDefault != "" {
		usage = "checkpoint the trials into `dir` (default " + dirDefault + ")"
	}
	fs.StringVar(&f.dir, "checkpoint-dir", "", usage)
	fs.DurationVar(&f.every, "checkpoint-every", worker.DefaultCheckpointEvery, "least time between two checkpoints of a trial (0: no checkpoints)")
}

// check reports a negative interval as bad usage.
func (f *checkpointFlags) check() error {
	if f.every < 0 {
		return usageErrorf("--checkpoint-every %v: must not be negative", f.every)
	}
	if f.every == 0 {
		f.dir = ""
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
