package main

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/internal/cliconfig"
)

func newContextCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "context",
		Short: "manage named connection settings (coordinator, TLS, token file), kubeconfig style",
		Long: `Named contexts hold the connection settings of submit, status, cancel, export, report
and work, so that they need no flags:

  pinnsweep context set prod --coordinator coord.example.org:7433 --ca pki/ca.pem \
      --cert pki/admin.pem --key pki/admin-key.pem --token-file ~/.pinnsweep/admin.token
  pinnsweep context use prod
  pinnsweep status

Each setting comes from its flag if given, else from its environment variable
($PINNSWEEP_COORDINATOR, $PINNSWEEP_CA, $PINNSWEEP_CERT, $PINNSWEEP_KEY,
$PINNSWEEP_SERVER_NAME, $PINNSWEEP_TOKEN_FILE; $PINNSWEEP_TOKEN holds a token itself),
else from the context: --context NAME, else $PINNSWEEP_CONTEXT, else the current one.
The current context steps aside when --coordinator or $PINNSWEEP_COORDINATOR names
another coordinator, so that its CA and token file go only to its own coordinator.

The contexts live in os.UserConfigDir()/pinnsweep/config.yaml (on Linux
~/.config/pinnsweep/config.yaml), or in the file $PINNSWEEP_CONFIG names. The file
holds paths, never tokens; it is written atomically with mode 0600, and refused when
it is writable by its group or others, or owned by another user.`,
		Args: cobra.ArbitraryArgs,
		RunE: unknownSubcommand,
	}
	cmd.AddCommand(newContextSetCmd(), newContextUseCmd(), newContextListCmd(), newContextCurrentCmd(), newContextDeleteCmd())
	return cmd
}

// editConfig loads the config file, applies edit and saves it.
func editConfig(edit func(cfg *cliconfig.Config) error) (string, error) {
	cfg, path, err := loadConfig()
	if err != nil {
		return path, err
	}
	if err := edit(cfg); err != nil {
		return path, err
	}
	return path, cfg.Save(path)
}

func newContextSetCmd() *cobra.Command {
	var values cliconfig.Settings
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "create a context, or change the settings given of an existing one",
		Long: `Creates the context NAME or, when it exists, changes the settings given (an empty value
clears one). File paths are made absolute, so the context works from any directory.
The first context created becomes the current one.`,
		Args: positional(1, 1, "context NAME"),
	}
	fs := cmd.Flags()
	fs.StringVar(&values.Coordinator, "coordinator", "", "coordinator address `host:port`")
	fs.StringVar(&values.CA, "ca", "", "CA certificates PEM `file` for the coordinator's certificate")
	fs.StringVar(&values.Cert, "cert", "", "client certificate PEM `file` (mutual TLS)")
	fs.StringVar(&values.Key, "key", "", "client private key PEM `file` (mutual TLS)")
	fs.StringVar(&values.ServerName, "server-name", "", "`name` the coordinator's certificate must carry")
	fs.StringVar(&values.TokenFile, "token-file", "", "`file` holding the access token (the token itself is never stored)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if err := cliconfig.CheckName(name); err != nil {
			return usageError{err}
		}
		created := false
		path, err := editConfig(func(cfg *cliconfig.Config) error {
			ctx := cliconfig.Context{Name: name}
			if old, err := cfg.Get(name); err == nil {
				ctx = *old
			} else {
				created = true
			}
			for _, f := range cliconfig.Fields {
				if !cmd.Flags().Changed(f.Flag) {
					continue
				}
				v := *f.Ptr(&values)
				if f.Path && v != "" {
					abs, err := filepath.Abs(v)
					if err != nil {
						return err
					}
					v = abs
				}
				*f.Ptr(&ctx.Settings) = v
			}
			cfg.Put(ctx)
			if cfg.Current == "" {
				cfg.Current = name
			}
			return nil
		})
		if err != nil {
			return err
		}
		verb := "changed"
		if created {
			verb = "created"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "context %s %s in %s\n", name, verb, path)
		return nil
	}
	return cmd
}

func newContextUseCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "use NAME",
		Short:             "make NAME the current context",
		Args:              positional(1, 1, "context NAME"),
		ValidArgsFunction: completeContextArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := editConfig(func(cfg *cliconfig.Config) error {
				if _, err := cfg.Get(args[0]); err != nil {
					return err
				}
				cfg.Current = args[0]
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "current context: %s\n", args[0])
			return nil
		},
	}
}

func newContextDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "delete NAME",
		Short:             "delete a context (the current one too, leaving none current)",
		Args:              positional(1, 1, "context NAME"),
		ValidArgsFunction: completeContextArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := editConfig(func(cfg *cliconfig.Config) error { return cfg.Delete(args[0]) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "context %s deleted\n", args[0])
			return nil
		},
	}
}

func newContextListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the contexts; * marks the current one",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig()
			if err != nil {
				return err
			}
			if asJSON {
				type entry struct {
					cliconfig.Context
					Current bool `json:"current"`
				}
				out := []entry{}
				for _, c := range cfg.Contexts {
					out = append(out, entry{c, c.Name == cfg.Current})
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CURRENT\tNAME\tCOORDINATOR\tTLS\tTOKEN FILE")
			for _, c := range cfg.Contexts {
				mark := ""
				if c.Name == cfg.Current {
					mark = "*"
				}
				tls := "-"
				switch {
				case c.Cert != "":
					tls = "mtls"
				case c.CA != "" || c.ServerName != "":
					tls = "tls"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, c.Name, orDash(c.Coordinator), tls, orDash(c.TokenFile))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newContextCurrentCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "current",
		Short: "print the name of the current context (exit status 1 when there is none)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := loadConfig()
			if err != nil {
				return err
			}
			if cfg.Current == "" {
				return fmt.Errorf("no current context in %s (pinnsweep context use NAME sets one)", path)
			}
			fmt.Fprintln(cmd.OutOrStdout(), cfg.Current)
			return nil
		},
	}
}

// completeContextArg completes a context name argument.
func completeContextArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeContexts(cmd, args, toComplete)
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
