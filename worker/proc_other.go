//go:build !linux

package worker

import (
	"context"
	"errors"
	"io"
)

// checkPlatform reports that command trials need Linux: the trial shim
// relies on prctl(PR_SET_CHILD_SUBREAPER), the parent-death signal and
// /proc.
func checkPlatform() error {
	return errors.New("worker: command trials run on Linux only")
}

// procSpec is a program to run for a trial.
type procSpec struct {
	path string
	argv []string
	env  []string
	dir  string
}

// runProcess is not reached: NewCommandRunner fails first.
func (r *CommandRunner) runProcess(context.Context, procSpec, io.Writer, io.Writer) exitReport {
	return exitReport{startErr: checkPlatform().Error()}
}

// ShimMain returns at once: there is no trial shim on this platform.
func ShimMain() {}
