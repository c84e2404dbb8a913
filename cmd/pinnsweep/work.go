package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

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
	fs.IntVar(&slots, "slots", 1, "trials run at once, one thread each")
	fs.StringVar(&id, "id", "", "worker id (default <hostname>-<pid>)")
	fs.Var(&sweepNames, "sweep", "run only trials of sweep `NAME` (repeat for several; default: any sweep)")
	fs.StringVar(&metricsAddr, "metrics", "", metricsFlagUsage)
	lf.add(fs, "info")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := cf.requireCoordinator()
		if err != nil {
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
			Runner:      worker.TrainerRunner{Threads: 1},
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
