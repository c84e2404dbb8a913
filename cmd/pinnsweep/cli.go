package main

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError is bad usage: a missing or extra argument, a bad flag or
// flag value. dispatch prints it and exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usageErrorf returns a usageError with the formatted message.
func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCodeError ends the command with an exit status of its own.
type exitCodeError struct {
	code int
	err  error
}

func (e exitCodeError) Error() string { return e.err.Error() }
func (e exitCodeError) Unwrap() error { return e.err }

// errSilent marks an error already reported to the user: dispatch prints
// nothing more.
var errSilent = errors.New("reported")

// errUsageSilent is bad usage already reported (the help was printed).
var errUsageSilent = usageError{errSilent}

// flagError turns pflag's parse errors into usage errors, adding the
// closest flag names to an unknown flag.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := closestFlags(cmd, name); len(s) > 0 {
			msg += " (did you mean --" + strings.Join(s, " or --") + "?)"
		}
	}
	return usageError{errors.New(msg)}
}

// closestFlags returns the flags of cmd within 2 edits of name, or with
// name as a prefix.
func closestFlags(cmd *cobra.Command, name string) []string {
	var out []string
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		if levenshtein(name, f.Name) <= 2 || strings.HasPrefix(f.Name, name) {
			seen[f.Name] = true
			out = append(out, f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	sort.Strings(out)
	return out
}

// levenshtein returns the edit distance between a and b.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// positional returns a cobra.PositionalArgs that accepts between min and
// max arguments (max < 0: no limit), naming what is missing as missing
// (e.g. "SPEC file").
func positional(minArgs, maxArgs int, missing string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < minArgs:
			return usageErrorf("missing %s (usage: %s)", missing, cmd.UseLine())
		case maxArgs >= 0 && len(args) > maxArgs:
			return usageErrorf("unexpected argument %q", args[maxArgs])
		}
		return nil
	}
}

// noArgs is positional(0, 0, "").
var noArgs = positional(0, 0, "")

// listenAddr returns the address to listen on for an address flag (--http,
// --metrics): HOST:PORT as given, :PORT and PORT on the loopback interface
// only. flagName names the flag in errors.
func listenAddr(flagName, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if n, aerr := strconv.Atoi(addr); aerr == nil && n >= 0 && n <= 65535 {
			return net.JoinHostPort("127.0.0.1", addr), nil
		}
		return "", usageErrorf("--%s %q: want HOST:PORT, :PORT or PORT", flagName, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// listFlag collects the values of a repeated flag (--sweep, --trial);
// what names a value in the error for an empty one.
type listFlag struct {
	what   string
	values []string
}

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *listFlag) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty %s", l.what)
	}
	l.values = append(l.values, v)
	return nil
}

// Type implements pflag.Value: the placeholder in help.
func (l *listFlag) Type() string { return "string" }

// completeWords returns a flag-value completion function offering words.
func completeWords(words ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}
