package main

import (
	"io"

	"github.com/hashicorp/go-hclog"
)

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
