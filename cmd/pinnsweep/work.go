package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
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
the training time its checkpoint carries.`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	cf := addConnFlags(cmd)
	fs.IntVar(&slots, "slots", 1, "trials run at once, one thread each")
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
		if slots < 1 {
			return usageErrorf("--slots %d: must be at least 1", slots)
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
			Sweeps:      sweepNames.values,
			Runner:      worker.TrainerRunner{Threads: 1, CheckpointDir: ckpt.dir, CheckpointEvery: ckpt.every},
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
