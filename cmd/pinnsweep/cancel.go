package main

import (
	"fmt"

	"github.com/spf13/cobra"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

func newCancelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cancel SWEEP",
		Short: "cancel a sweep on a coordinator",
		Long: `Cancels the sweep's pending trials at once; running trials stop at their next
heartbeat. 'pinnsweep submit --rerun-failed' queues them again.`,
		Args: positional(1, 1, "SWEEP"),
	}
	cf := addConnFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		sweep := args[0]
		c, client, err := cf.dial()
		if err != nil {
			return err
		}
		defer client.Close()
		ctx, cancel := callContext()
		defer cancel()
		resp, err := client.sweeps.CancelSweep(ctx, &pb.CancelSweepRequest{Sweep: sweep})
		if err != nil {
			return c.rpcErr(err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "sweep %s: cancelled %d trials (running ones stop at their next heartbeat)\n", sweep, resp.GetCancelled())
		return nil
	}
	return cmd
}
