package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/coordinator/service"
	"github.com/pinnsweep/pinnsweep/dashboard"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// statusHeader is the header of the status table.
const statusHeader = "SWEEP\tTOTAL\tPENDING\tRUNNING\tDONE\tFAILED\tTIMEOUT\tDIVERGED\tCANCELLED"

// sweepStatus is one sweep in `status --json`: the counts as the
// dashboard's API gives them (GET /api/sweeps), and the brackets.
type sweepStatus struct {
	dashboard.Progress
	Brackets []bracketJSON `json:"brackets,omitempty"`
	// FailedTrials are the first failed and timed-out trials of the
	// sweep `status SWEEP` shows, with their reasons and last stderr
	// lines.
	FailedTrials []failedTrial `json:"failed_trials,omitempty"`
}

// statusOf converts a sweep's progress and brackets for JSON.
func statusOf(p *pb.SweepProgress, brackets []*pb.Bracket) sweepStatus {
	s := sweepStatus{Progress: dashboard.ProgressOf(service.ProgressFromProto(p))}
	for _, b := range brackets {
		s.Brackets = append(s.Brackets, bracketOf(b))
	}
	return s
}

func newStatusCmd() *cobra.Command {
	var watch, asJSON bool
	cmd := &cobra.Command{
		Use:   "status [SWEEP]",
		Short: "show the progress of a coordinator's sweeps",
		Long: `Prints the number of trials of each sweep (or of SWEEP) by status, and the
failure-boundary brackets of sweeps with refine rules. For SWEEP it also lists
its failed and timed-out trials (the first 10): each one's reason and the last
lines of its program's standard error. --json prints one JSON object
{"sweeps": [...]}; with --watch, one JSON object per change.`,
		Args: positional(0, 1, "SWEEP"),
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "print a row on every change of SWEEP until it has finished")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	cf := addConnFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if watch && len(args) == 0 {
			return usageErrorf("--watch needs a SWEEP")
		}
		c, client, err := cf.dial()
		if err != nil {
			return err
		}
		defer client.Close()
		stdout := cmd.OutOrStdout()
		if watch {
			if err := watchStatus(client, args[0], stdout, asJSON); err != nil {
				return c.rpcErr(err)
			}
			return nil
		}
		ctx, cancel := callContext()
		defer cancel()
		var rows []*pb.SweepProgress
		var brackets [][]*pb.Bracket
		var failed []failedTrial
		nFailed := 0
		if len(args) == 1 {
			resp, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: args[0]})
			if err != nil {
				return c.rpcErr(err)
			}
			rows, brackets = []*pb.SweepProgress{resp.GetProgress()}, [][]*pb.Bracket{resp.GetBrackets()}
			if failed, nFailed, err = failedTrials(ctx, client, resp.GetProgress()); err != nil {
				return c.rpcErr(err)
			}
		} else {
			resp, err := client.sweeps.ListSweeps(ctx, &pb.ListSweepsRequest{})
			if err != nil {
				return c.rpcErr(err)
			}
			rows = resp.GetSweeps()
			for _, p := range rows {
				got, err := client.sweeps.GetSweep(ctx, &pb.GetSweepRequest{Sweep: p.GetSweep()})
				if err != nil {
					return c.rpcErr(err)
				}
				brackets = append(brackets, got.GetBrackets())
			}
		}
		if asJSON {
			out := struct {
				Sweeps []sweepStatus `json:"sweeps"`
			}{Sweeps: []sweepStatus{}}
			for i, p := range rows {
				out.Sweeps = append(out.Sweeps, statusOf(p, brackets[i]))
			}
			if len(args) == 1 {
				out.Sweeps[0].FailedTrials = failed
			}
			return writeJSON(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, statusHeader)
		names := make([]string, len(rows))
		for i, p := range rows {
			fmt.Fprintln(tw, statusRow(p))
			names[i] = p.GetSweep()
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if err := writeBrackets(stdout, names, brackets); err != nil {
			return err
		}
		if len(args) == 1 {
			writeFailed(stdout, args[0], failed, nFailed)
		}
		return nil
	}
	return cmd
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func statusRow(p *pb.SweepProgress) string {
	return fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d", p.GetSweep(), p.GetTotal(), p.GetPending(),
		p.GetRunning(), p.GetDone(), p.GetFailed(), p.GetTimeout(), p.GetDiverged(), p.GetCancelled())
}

// watchStatus streams a sweep's progress, one row (or JSON line) per
// change, until it has finished or a signal arrives (no time limit).
func watchStatus(client *coordinatorClient, sweep string, stdout io.Writer, asJSON bool) error {
	ctx, stop := signalContext() // no time limit
	defer stop()
	stream, err := client.sweeps.WatchSweep(ctx, &pb.WatchSweepRequest{Sweep: sweep})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 9, 0, 2, ' ', 0)
	enc := json.NewEncoder(stdout)
	if !asJSON {
		fmt.Fprintln(tw, statusHeader)
	}
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
		if asJSON {
			if err := enc.Encode(statusOf(m.GetProgress(), nil)); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(tw, statusRow(m.GetProgress()))
		tw.Flush() // one line at a time; the minimum width keeps columns aligned
	}
}
