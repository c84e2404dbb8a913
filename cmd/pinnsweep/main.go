// Command pinnsweep maps where physics-informed neural networks fail: it
// trains PINNs (train), runs sweeps of PDE coefficients × strategies × seeds
// on one machine (run) or a cluster (serve, work, submit), and reports them.
//
// The command line is built with cobra and pflag (see cli.go): GNU-style
// flags anywhere among the arguments, typed help with defaults on stdout,
// `help CMD`, suggestions for mistyped commands and flags, and shell
// completion (`pinnsweep completion bash|zsh|fish|powershell`). Exit status:
// 0 success, 1 failure, 2 bad usage, 130 interrupted.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/internal/buildinfo"
	"github.com/pinnsweep/pinnsweep/worker"
)

func main() {
	worker.ShimMain() // the binary is also the command-trial shim (worker/doc.go)
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT
)

// dispatch runs the command line args and returns the exit status.
func dispatch(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue usageError
	var ce exitCodeError
	switch {
	case errors.As(err, &ce):
		code = ce.code
	case errors.As(err, &ue):
		code = exitUsage
	}
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(stderr, "%s: %s\n", cmd.CommandPath(), oneLine(err))
	}
	return code
}

// newRootCmd returns the pinnsweep command with every subcommand.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "pinnsweep",
		Short: "pinnsweep maps where physics-informed neural networks fail",
		Long: `pinnsweep maps where physics-informed neural networks fail: it sweeps PDE
coefficients × training strategies × seeds, on this machine (run) or on a
cluster (serve, work, submit), and draws the failure-mode phase diagrams
(report).`,
		// Runs only when no subcommand matched: an unknown command.
		Args:              cobra.ArbitraryArgs,
		RunE:              unknownSubcommand,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{},
	}
	root.SetFlagErrorFunc(flagError)
	// --version, as `pinnsweep version` prints it.
	info := buildinfo.Read(version)
	root.Version = fmt.Sprintf("%s (%s, revision %s)", info.Version, info.GoVersion, info.Revision)
	root.SetVersionTemplate("pinnsweep {{.Version}}\n")
	root.SetHelpCommand(newHelpCmd())
	// A group of commands (pinnsweep, pinnsweep context) runs only to
	// report an unknown subcommand: its help shows no usage line of its own.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	root.AddCommand(
		newTrainCmd(),
		newRunCmd(),
		newReportCmd(),
		newServeCmd(),
		newWorkCmd(),
		newSubmitCmd(),
		newStatusCmd(),
		newCancelCmd(),
		newExportCmd(),
		newCheckCmd(),
		newCertsCmd(),
		newContextCmd(),
		newVersionCmd(),
	)
	return root
}

// unknownSubcommand is the RunE of commands that only group others: with
// no argument it prints the help and fails as bad usage; otherwise it
// names the unknown subcommand and the closest known ones.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		cmd.SetOut(cmd.OutOrStdout())
		_ = cmd.Help()
		return errUsageSilent
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += " (did you mean " + strings.Join(s, " or ") + "?)"
	}
	return usageErrorf("%s; run '%s --help' for the commands", msg, cmd.CommandPath())
}

// newHelpCmd returns `pinnsweep help [COMMAND...]`: the command's help on
// stdout, or bad usage for an unknown command (cobra's own prints the
// top-level help and succeeds).
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "print the help of a command, or of a subcommand (help context set)",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			target, _, err := cmd.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, c := range target.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name()+"\t"+c.Short)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target := cmd.Root()
			for _, name := range args {
				next := (*cobra.Command)(nil)
				for _, c := range target.Commands() {
					if c.Name() == name || c.HasAlias(name) {
						next = c
					}
				}
				if next == nil {
					return unknownSubcommand(target, []string{name})
				}
				target = next
			}
			target.InitDefaultHelpFlag() // as cobra's own help command does
			target.InitDefaultVersionFlag()
			target.SetOut(cmd.OutOrStdout())
			return target.Help()
		},
	}
}

// oneLine joins the lines of an error message.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
