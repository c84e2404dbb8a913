package main

import (
	"flag"
	"fmt"
	"io"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

func init() {
	register("cancel", command{
		summary: "cancel a sweep on a coordinator",
		run:     runCancel,
	})
}

// runCancel implements `pinnsweep cancel SWEEP --coordinator ADDR`.
func runCancel(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cancel", flag.ContinueOnError)
	addr := fs.String("coordinator", "", "coordinator address `host:port` (required)")
	creds := addClientAuthFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep cancel SWEEP --coordinator ADDR")
		fmt.Fprintln(fs.Output(), clientAuthUsage)
		fmt.Fprintln(fs.Output(), "\nCancels the sweep's pending trials at once; running trials stop at their next")
		fmt.Fprintln(fs.Output(), "heartbeat. 'pinnsweep submit --rerun-failed' queues them again.\n\nFlags:")
		fs.PrintDefaults()
	}
	sweep, code, ok := parseOneArg(fs, args, stderr, "SWEEP (usage: pinnsweep cancel SWEEP --coordinator ADDR)")
	if !ok {
		return code
	}
	if *addr == "" {
		fmt.Fprintln(stderr, "pinnsweep cancel: --coordinator is required")
		return 2
	}
	client, err := dialCoordinator(*addr, creds)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep cancel: %v\n", oneLine(err))
		return 1
	}
	defer client.Close()
	ctx, cancel := callContext()
	defer cancel()
	resp, err := client.sweeps.CancelSweep(ctx, &pb.CancelSweepRequest{Sweep: sweep})
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep cancel: %s\n", rpcError(*addr, err))
		return 1
	}
	fmt.Fprintf(stdout, "sweep %s: cancelled %d trials (running ones stop at their next heartbeat)\n", sweep, resp.GetCancelled())
	return 0
}
