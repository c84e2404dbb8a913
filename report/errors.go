package report

import "errors"

// Sentinel errors. Errors returned by the package wrap one of them.
var (
	// ErrUnknownAxis reports an axis name that the sweep does not have.
	ErrUnknownAxis = errors.New("report: unknown axis")

	// ErrBadTrial reports a trial whose point or result cannot be decoded.
	ErrBadTrial = errors.New("report: bad trial")

	// ErrNoSolution reports a result without a solution snapshot (results
	// written before snapshots were recorded).
	ErrNoSolution = errors.New("report: result has no solution snapshot")

	// ErrFormat reports an unknown image format.
	ErrFormat = errors.New("report: unknown image format")
)

// ErrNoHistory reports a result without a loss history to plot.
var ErrNoHistory = errors.New("report: result has no loss history")

// ErrNoLandscape reports a result without a loss landscape (a trial run
// without the landscape diagnostic).
var ErrNoLandscape = errors.New("report: result has no loss landscape")

// ErrNoField reports a result field that no trial of a sweep has as a
// finite number (report --metric NAME).
var ErrNoField = errors.New("report: no trial has the field as a number")
