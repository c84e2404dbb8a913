package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/pinnsweep/pinnsweep/internal/auth"
	"github.com/pinnsweep/pinnsweep/internal/cliconfig"
)

// connFlags are the connection flags of every command that talks to a
// coordinator: its address, the credentials and --context. Their values
// combine with the environment and the config file's contexts (see
// cliconfig: flag > environment > context).
type connFlags struct {
	cmd         *cobra.Command
	values      cliconfig.Settings
	contextName string
}

// addConnFlags registers --coordinator, the credential flags and
// --context on cmd.
func addConnFlags(cmd *cobra.Command) *connFlags {
	f := &connFlags{cmd: cmd}
	fs := cmd.Flags()
	fs.StringVar(&f.values.Coordinator, "coordinator", "", "coordinator address `host:port` (default: $"+cliconfig.EnvCoordinator+", else the context's)")
	fs.StringVar(&f.values.TokenFile, "token-file", "", "read the coordinator's access token from `file` (default: $"+cliconfig.EnvTokenFile+", $"+auth.EnvToken+" (the token itself), else the context's)")
	fs.StringVar(&f.values.CA, "ca", "", "trust the CA certificates in PEM `file` for the coordinator's certificate (implies TLS; default: $"+cliconfig.EnvCA+", else the context's)")
	fs.StringVar(&f.values.Cert, "cert", "", "client certificate PEM `file` for mutual TLS (with --key; implies TLS; default: $"+cliconfig.EnvCert+", else the context's)")
	fs.StringVar(&f.values.Key, "key", "", "client private key PEM `file` for mutual TLS (with --cert; default: $"+cliconfig.EnvKey+", else the context's)")
	fs.StringVar(&f.values.ServerName, "server-name", "", "`name` the coordinator's certificate must carry (implies TLS; default: $"+cliconfig.EnvServerName+", else the context's, else the address's host)")
	fs.StringVar(&f.contextName, "context", "", "use the connection settings of context `NAME` (default: $"+cliconfig.EnvContext+", else the current context; see pinnsweep context)")
	_ = cmd.RegisterFlagCompletionFunc("context", completeContexts)
	return f
}

// completeContexts offers the config file's context names.
func completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, _, err := loadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, c := range cfg.Contexts {
		names = append(names, c.Name+"\t"+c.Coordinator)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// loadConfig reads the config file (see cliconfig.DefaultPath).
func loadConfig() (*cliconfig.Config, string, error) {
	path, err := cliconfig.DefaultPath()
	if err != nil {
		return nil, "", err
	}
	cfg, err := cliconfig.Load(path)
	return cfg, path, err
}

// conn is a resolved connection: where the coordinator is and how to
// authenticate to it.
type conn struct {
	cliconfig.Resolved
}

// resolve combines the flags with the environment and the config file.
// Problems with either are usage errors.
func (f *connFlags) resolve() (conn, error) {
	cfg, _, err := loadConfig()
	if err != nil {
		return conn{}, usageError{err}
	}
	given := map[string]bool{}
	for _, fl := range cliconfig.Fields {
		given[fl.Flag] = f.cmd.Flags().Changed(fl.Flag)
	}
	r, err := cliconfig.Resolve(cliconfig.Input{
		Flags:       f.values,
		Given:       given,
		ContextFlag: f.contextName,
		Env:         os.LookupEnv,
		Config:      cfg,
	})
	if err != nil {
		return conn{}, usageError{err}
	}
	return conn{r}, nil
}

// requireCoordinator resolves the settings and fails (as bad usage) when
// no coordinator address results.
func (f *connFlags) requireCoordinator() (conn, error) {
	c, err := f.resolve()
	if err != nil {
		return c, err
	}
	if c.Coordinator == "" {
		return c, usageErrorf("--coordinator is required (or $%s, or a context: see pinnsweep context --help)", cliconfig.EnvCoordinator)
	}
	return c, nil
}

// dial resolves the settings, requires a coordinator address and returns
// a client for it (which connects on its first call).
func (f *connFlags) dial() (conn, *coordinatorClient, error) {
	c, err := f.requireCoordinator()
	if err != nil {
		return c, nil, err
	}
	client, err := dialCoordinator(c)
	return c, client, err
}

// where names the coordinator in messages, with the source of its address
// when it did not come from the command line.
func (c conn) where() string {
	switch src := c.From["coordinator"]; src {
	case cliconfig.FromFlag, cliconfig.FromNone:
		return c.Coordinator
	case cliconfig.FromEnv:
		return fmt.Sprintf("%s (from $%s)", c.Coordinator, cliconfig.EnvCoordinator)
	default:
		return fmt.Sprintf("%s (from %s)", c.Coordinator, src)
	}
}

// dialOptions reads the token and certificates and returns the dial
// options that present them. Bad credentials are usage errors.
func (c conn) dialOptions() ([]grpc.DialOption, error) {
	var tok string
	var err error
	switch {
	case c.TokenFile != "":
		tok, err = auth.ReadToken(c.TokenFile, "")
	case c.TokenEnv:
		tok, err = auth.ReadToken("", auth.EnvToken)
	}
	if err != nil {
		return nil, usageError{err}
	}
	opts, err := auth.ClientConfig{
		Token:      tok,
		CAFile:     c.CA,
		CertFile:   c.Cert,
		KeyFile:    c.Key,
		ServerName: c.ServerName,
	}.DialOptions()
	if err != nil {
		return nil, usageError{err}
	}
	return opts, nil
}
