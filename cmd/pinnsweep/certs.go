package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/internal/auth"
)

func newCertsCmd() *cobra.Command {
	var out, hosts string
	var days int
	var force bool
	cmd := &cobra.Command{
		Use:   "certs --out DIR",
		Short: "write a development CA and TLS certificates for serve and its clients",
		Long: `Writes a development CA (ca.pem, ca-key.pem), a server certificate for the hosts
(server.pem, server-key.pem) and client certificates for the admin and worker roles
(admin.pem, admin-key.pem, worker.pem, worker-key.pem). Private keys get mode 0600.
For trials and tests; a deployment should use its own PKI.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case out == "":
				return usageErrorf("--out is required")
			case days < 1 || days > auth.MaxCertDays:
				return usageErrorf("--days %d: must be in [1, %d]", days, auth.MaxCertDays)
			}
			var hostList []string
			if hosts != "" {
				hostList = strings.Split(hosts, ",")
			}
			written, err := auth.WriteDevCerts(auth.DevCertOptions{Dir: out, Hosts: hostList, Days: days, Force: force})
			if err != nil {
				return err
			}
			for _, p := range written {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", p)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&out, "out", "", "`directory` to write the files into, created if missing (required)")
	fs.StringVar(&hosts, "hosts", "", "comma-separated DNS names and IP addresses of the coordinator (localhost, 127.0.0.1 and ::1 are always included)")
	fs.IntVar(&days, "days", 365, fmt.Sprintf("validity of the certificates in days (at most %d)", auth.MaxCertDays))
	fs.BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}
