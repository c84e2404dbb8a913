package main

import (
	"io"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/pflag"
)

// logLevels are the values of --log-level.
var logLevels = []string{"trace", "debug", "info", "warn", "error", "off"}

// logFlags are --log-json and --log-level.
type logFlags struct {
	json  bool
	level string
}

// add registers the flags on fs with the default level.
func (f *logFlags) add(fs *pflag.FlagSet, level string) {
	fs.BoolVar(&f.json, "log-json", false, "log JSON lines instead of text")
	fs.StringVar(&f.level, "log-level", level, "log `level`: "+strings.Join(logLevels, ", "))
}

// check reports an unknown level as bad usage.
func (f *logFlags) check() error {
	if hclog.LevelFromString(f.level) == hclog.NoLevel {
		return usageErrorf("--log-level %q: want one of %s", f.level, strings.Join(logLevels, ", "))
	}
	return nil
}

// logger returns the root logger the flags describe, writing to w.
func (f *logFlags) logger(w io.Writer) hclog.Logger {
	return newRootLogger(w, f.level, f.json)
}

// newRootLogger returns pinnsweep's one root logger; subsystems derive
// theirs with Named.
func newRootLogger(w io.Writer, level string, json bool) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "pinnsweep",
		Level:      hclog.LevelFromString(level),
		Output:     w,
		JSONFormat: json,
	})
}
