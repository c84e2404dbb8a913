package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pinnsweep/pinnsweep/worker"
)

func init() {
	register("work", command{
		summary: "run trials for a coordinator (a worker process)",
		run:     runWork,
	})
}

// runWork implements `pinnsweep work`: a worker that leases trials from a
// coordinator and trains them until SIGINT or SIGTERM, when it releases
// its running trials so that the coordinator requeues them at once.
func runWork(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("work", flag.ContinueOnError)
	coord := fs.String("coordinator", "", "coordinator address `host:port` (required)")
	creds := addClientAuthFlags(fs)
	slots := fs.Int("slots", 1, "CPU slots: trials run at once, one thread each (with --gpus: 0 unless given)")
	gpus := fs.String("gpus", "", "one GPU slot per listed device `ID[,ID...]`, numbered as nvidia-smi does: GPU trials run there, with CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES set")
	allowExec := fs.String("allow-exec", "", "run command trials only of the programs `PROGRAM[,PROGRAM...]`, names looked up in PATH or paths; without it no command trial runs")
	workDir := fs.String("work-dir", worker.DefaultWorkDir, "directory of command trials' outputs and logs (`DIR`/SWEEP/KEY/TOKEN/)")
	killGrace := fs.Duration("kill-grace", worker.DefaultKillGrace, "time a stopped command trial has between SIGTERM and SIGKILL")
	id := fs.String("id", "", "worker id (default <hostname>-<pid>)")
	sweepNames := listFlag{what: "sweep name"}
	fs.Var(&sweepNames, "sweep", "run only trials of sweep `NAME` (repeat for several; default: any sweep)")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep work --coordinator ADDR [--slots N] [--gpus ID,...] [--allow-exec PROGRAM,...] [--sweep NAME]... [--id ID] [--log-json]")
		fmt.Fprintln(fs.Output(), clientAuthUsage)
		fmt.Fprintln(fs.Output(), "\nLeases trials from a coordinator and trains them until SIGINT or SIGTERM.\n\nFlags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "pinnsweep work: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *coord == "":
		fmt.Fprintln(stderr, "pinnsweep work: --coordinator is required")
		return 2
	case *slots < 0 || *slots == 0 && *gpus == "":
		fmt.Fprintf(stderr, "pinnsweep work: --slots %d: must be at least 1 (or 0 with --gpus)\n", *slots)
		return 2
	case *killGrace <= 0 || *killGrace > 10*time.Minute:
		fmt.Fprintf(stderr, "pinnsweep work: --kill-grace %v: must be between 0 and 10m\n", *killGrace)
		return 2
	}
	var err error
	gpuIDs := splitList(*gpus)
	if len(gpuIDs) > 0 && !flagSet(fs, "slots") {
		*slots = 0
	}
	var cmdRunner *worker.CommandRunner
	if len(gpuIDs) > 0 && *allowExec == "" {
		fmt.Fprintln(stderr, "pinnsweep work: --gpus needs --allow-exec: only command trials run on GPUs")
		return 2
	}
	if programs := splitList(*allowExec); len(programs) > 0 {
		if cmdRunner, err = worker.NewCommandRunner(worker.CommandOptions{Allow: programs, Dir: *workDir, KillGrace: *killGrace}); err != nil {
			fmt.Fprintf(stderr, "pinnsweep work: --allow-exec: %v\n", oneLine(err))
			return 2
		}
	}
	dialOpts, err := creds.dialOptions()
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep work: %v\n", oneLine(err))
		return 2
	}
	log := newRootLogger(stderr, *logLevel, *logJSON)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = worker.Run(ctx, worker.Options{
		Coordinator: *coord,
		DialOptions: dialOpts,
		ID:          *id,
		Slots:       *slots,
		GPUs:        gpuIDs,
		Sweeps:      sweepNames.values,
		Runner:      worker.TrainerRunner{Threads: 1},
		Command:     cmdRunner,
		Logger:      log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep work: %v\n", oneLine(err))
		return 1
	}
	return 0
}

// listFlag collects the values of a repeated flag (--sweep, --trial);
// what names a value in the error for an empty one.
type listFlag struct {
	what   string
	values []string
}

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listFlag) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty %s", l.what)
	}
	l.values = append(l.values, v)
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

// flagSet reports whether the flag name was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
