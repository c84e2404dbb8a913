package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

func init() {
	register("submit", command{
		summary: "submit (or grow) a sweep on a coordinator",
		run:     runSubmit,
	})
}

// runSubmit implements `pinnsweep submit SPEC --coordinator ADDR`: it
// sends the spec, which creates the sweep or, for a sweep of that name,
// adds the trials a grown spec defines.
func runSubmit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	addr := fs.String("coordinator", "", "coordinator address `host:port` (required)")
	creds := addClientAuthFlags(fs)
	rerun := fs.Bool("rerun-failed", false, "also requeue the sweep's failed, timed-out and cancelled trials")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep submit SPEC --coordinator ADDR [--rerun-failed]")
		fmt.Fprintln(fs.Output(), clientAuthUsage)
		fmt.Fprintln(fs.Output(), "\nSubmits the sweep SPEC (YAML). Resubmitting a sweep with more axis values or seeds")
		fmt.Fprintln(fs.Output(), "adds only the new trials; any other change is refused.\n\nFlags:")
		fs.PrintDefaults()
	}
	spec, code, ok := parseOneArg(fs, args, stderr, "SPEC file (usage: pinnsweep submit SPEC --coordinator ADDR)")
	if !ok {
		return code
	}
	if *addr == "" {
		fmt.Fprintln(stderr, "pinnsweep submit: --coordinator is required")
		return 2
	}
	source, err := safefile.ReadRegular(spec, sweeps.MaxSpecSize)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep submit: %v\n", oneLine(err))
		return 1
	}
	client, err := dialCoordinator(*addr, creds)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep submit: %v\n", oneLine(err))
		return 1
	}
	defer client.Close()
	ctx, cancel := callContext()
	defer cancel()
	resp, err := client.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{
		Filename: filepath.Base(spec),
		Source:   string(source),
	}})
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep submit: %s\n", rpcError(*addr, err))
		return 1
	}
	switch {
	case resp.GetAdded() == resp.GetTotal():
		fmt.Fprintf(stdout, "sweep %s: %d trials\n", resp.GetSweep(), resp.GetTotal())
	default:
		fmt.Fprintf(stdout, "sweep %s: %d trials (%d added)\n", resp.GetSweep(), resp.GetTotal(), resp.GetAdded())
	}
	if *rerun {
		rq, err := client.sweeps.RequeueFailed(ctx, &pb.RequeueFailedRequest{Sweep: resp.GetSweep()})
		if err != nil {
			fmt.Fprintf(stderr, "pinnsweep submit: %s\n", rpcError(*addr, err))
			return 1
		}
		fmt.Fprintf(stdout, "requeued %d failed trials\n", rq.GetRequeued())
	}
	return 0
}
