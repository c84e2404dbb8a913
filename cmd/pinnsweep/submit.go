package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

func newSubmitCmd() *cobra.Command {
	var rerun bool
	cmd := &cobra.Command{
		Use:   "submit SPEC",
		Short: "submit (or grow) a sweep on a coordinator",
		Long: `Submits the sweep SPEC (YAML). Resubmitting a sweep with more axis values or seeds
adds only the new trials; any other change is refused.`,
		Args: positional(1, 1, "SPEC file"),
	}
	cmd.Flags().BoolVar(&rerun, "rerun-failed", false, "also requeue the sweep's failed, timed-out and cancelled trials")
	cf := addConnFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		spec := args[0]
		c, err := cf.requireCoordinator()
		if err != nil {
			return err
		}
		// Read before dialling: a bad spec file is reported without a
		// connection.
		source, err := safefile.ReadRegular(spec, sweeps.MaxSpecSize)
		if err != nil {
			return err
		}
		client, err := dialCoordinator(c)
		if err != nil {
			return err
		}
		defer client.Close()
		ctx, cancel := callContext()
		defer cancel()
		resp, err := client.sweeps.SubmitSweep(ctx, &pb.SubmitSweepRequest{Spec: &pb.Spec{
			Filename: filepath.Base(spec),
			Source:   string(source),
		}})
		if err != nil {
			return c.rpcErr(err)
		}
		stdout := cmd.OutOrStdout()
		switch {
		case resp.GetAdded() == resp.GetTotal():
			fmt.Fprintf(stdout, "sweep %s: %d trials\n", resp.GetSweep(), resp.GetTotal())
		default:
			fmt.Fprintf(stdout, "sweep %s: %d trials (%d added)\n", resp.GetSweep(), resp.GetTotal(), resp.GetAdded())
		}
		if rerun {
			rq, err := client.sweeps.RequeueFailed(ctx, &pb.RequeueFailedRequest{Sweep: resp.GetSweep()})
			if err != nil {
				return c.rpcErr(err)
			}
			fmt.Fprintf(stdout, "requeued %d failed trials\n", rq.GetRequeued())
		}
		return nil
	}
	return cmd
}
