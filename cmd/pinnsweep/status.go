package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

func init() {
	register("status", command{
		summary: "show the progress of a coordinator's sweeps",
		run:     runStatus,
	})
}

// statusHeader is the header of the status table.
const statusHeader = "SWEEP\tTOTAL\tPENDING\tRUNNING\tDONE\tFAILED\tTIMEOUT\tDIVERGED\tCANCELLED"

// runStatus implements `pinnsweep status [SWEEP] --coordinator ADDR`: a
// table of trial counts by status, for one sweep or all of them; --watch
// prints a row for one sweep on every change until it has finished.
func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	addr := fs.String("coordinator", "", "coordinator address `host:port` (required)")
	creds := addClientAuthFlags(fs)
	watch := fs.Bool("watch", false, "print a row on every change of SWEEP until it has finished")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep status [SWEEP] --coordinator ADDR [--watch]")
		fmt.Fprintln(fs.Output(), clientAuthUsage)
		fmt.Fprintln(fs.Output(), "\nPrints the number of trials of each sweep (or of SWEEP) by status, and the")
		fmt.Fprintln(fs.Output(), "failure-boundary brackets of sweeps with refine rules.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, code, ok := parseInterspersed(fs, args, stderr)
	if !ok {
		return code
	}
	switch {
	case len(pos) > 1:
		fmt.Fprintf(stderr, "pinnsweep status: unexpected argument %q\n", pos[1])
		return 2
	case *addr == "":
		fmt.Fprintln(stderr, "pinnsweep status: --coordinator is required")
		return 2
	case *watch && len(pos) == 0:
		fmt.Fprintln(stderr, "pinnsweep status: --watch needs a SWEEP")
		return 2
	}
	client, err := dialCoordinator(*addr, creds)
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep status: %v\n", oneLine(err))
		return 1
	}
	defer client.Close()
	ctx, cancel := callContext()
	defer cancel()

	var rows []*pb.SweepProgress
	var names []string
	var brackets [][]*pb.Bracket
	switch {
	case *watch:
		if err := watchStatus(client, pos[0], stdout); err != nil {
			fmt.Fprintf(stderr, "pinnsweep status: %s\n", rpcError(*addr, err))
			return 1
		}
		return 0
	case len(pos) == 1:
		resp, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: pos[0]})
		if err != nil {
			fmt.Fprintf(stderr, "pinnsweep status: %s\n", rpcError(*addr, err))
			return 1
		}
		rows = []*pb.SweepProgress{resp.GetProgress()}
		names, brackets = []string{pos[0]}, [][]*pb.Bracket{resp.GetBrackets()}
	default:
		resp, err := client.sweeps.ListSweeps(ctx, &pb.ListSweepsRequest{})
		if err != nil {
			fmt.Fprintf(stderr, "pinnsweep status: %s\n", rpcError(*addr, err))
			return 1
		}
		rows = resp.GetSweeps()
		for _, p := range rows {
			got, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: p.GetSweep()})
			if err != nil {
				fmt.Fprintf(stderr, "pinnsweep status: %s\n", rpcError(*addr, err))
				return 1
			}
			names, brackets = append(names, p.GetSweep()), append(brackets, got.GetBrackets())
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, statusHeader)
	for _, p := range rows {
		fmt.Fprintln(tw, statusRow(p))
	}
	err = tw.Flush()
	if err == nil {
		err = writeBrackets(stdout, names, brackets)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep status: %v\n", err)
		return 1
	}
	return 0
}

func statusRow(p *pb.SweepProgress) string {
	return fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d", p.GetSweep(), p.GetTotal(), p.GetPending(),
		p.GetRunning(), p.GetDone(), p.GetFailed(), p.GetTimeout(), p.GetDiverged(), p.GetCancelled())
}

// watchStatus streams a sweep's progress, one row per change, until it
// has finished or a signal arrives (no time limit).
func watchStatus(client *coordinatorClient, sweep string, stdout io.Writer) error {
	ctx, stop := signalContext() // no time limit
	defer stop()
	stream, err := client.sweeps.WatchSweep(ctx, &pb.WatchSweepRequest{Sweep: sweep})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 9, 0, 2, ' ', 0)
	fmt.Fprintln(tw, statusHeader)
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return tw.Flush()
		}
		if err != nil {
			tw.Flush()
			if ctx.Err() != nil {
				return nil // interrupted
			}
			return err
		}
		fmt.Fprintln(tw, statusRow(m.GetProgress()))
		tw.Flush() // one line at a time; the minimum width keeps columns aligned
	}
}
