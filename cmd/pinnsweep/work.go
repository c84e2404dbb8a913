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
reason, pinnsweep_build_info and the Go runtime's.`,
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
	lf.add(fs, "info")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := cf.requireCoordinator()
		if err != nil {
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
			if cmdRunner, err = worker.NewCommandRunner(worker.CommandOptions{Allow: programs, Dir: workDir, KillGrace: killGrace}); err != nil {
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
			Runner:      worker.TrainerRunner{Threads: 1},
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
