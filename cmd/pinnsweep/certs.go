package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pinnsweep/pinnsweep/internal/auth"
)

func init() {
	register("certs", command{
		summary: "write a development CA and TLS certificates for serve and its clients",
		run:     runCerts,
	})
}

// runCerts implements `pinnsweep certs --out DIR [--hosts h1,h2]
// [--days N] [--force]`.
func runCerts(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	out := fs.String("out", "", "`directory` to write the files into, created if missing (required)")
	hosts := fs.String("hosts", "", "comma-separated DNS names and IP addresses of the coordinator (localhost, 127.0.0.1 and ::1 are always included)")
	days := fs.Int("days", 365, fmt.Sprintf("validity of the certificates in days (at most %d)", auth.MaxCertDays))
	force := fs.Bool("force", false, "overwrite existing files")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: pinnsweep certs --out DIR [--hosts h1,h2,...] [--days 365] [--force]")
		fmt.Fprintln(fs.Output(), "\nWrites a development CA (ca.pem, ca-key.pem), a server certificate for the hosts")
		fmt.Fprintln(fs.Output(), "(server.pem, server-key.pem) and client certificates for the admin and worker roles")
		fmt.Fprintln(fs.Output(), "(admin.pem, admin-key.pem, worker.pem, worker-key.pem). Private keys get mode 0600.")
		fmt.Fprintln(fs.Output(), "For trials and tests; a deployment should use its own PKI.\n\nFlags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "pinnsweep certs: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *out == "":
		fmt.Fprintln(stderr, "pinnsweep certs: --out is required")
		return 2
	case *days < 1 || *days > auth.MaxCertDays:
		fmt.Fprintf(stderr, "pinnsweep certs: --days %d: must be in [1, %d]\n", *days, auth.MaxCertDays)
		return 2
	}
	var hostList []string
	if *hosts != "" {
		hostList = strings.Split(*hosts, ",")
	}
	written, err := auth.WriteDevCerts(auth.DevCertOptions{Dir: *out, Hosts: hostList, Days: *days, Force: *force})
	if err != nil {
		fmt.Fprintf(stderr, "pinnsweep certs: %v\n", oneLine(err))
		return 1
	}
	for _, p := range written {
		fmt.Fprintln(stdout, "wrote", p)
	}
	return 0
}
