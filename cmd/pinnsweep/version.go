package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/internal/buildinfo"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// version is the pinnsweep version, recorded in every result.
var version = trainer.Version

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "print the version, the Go release and the VCS revision of this build",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Read(version)
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(info)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pinnsweep %s (%s, revision %s)\n", info.Version, info.GoVersion, info.Revision)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}
