package sweeps

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so callers can classify a failure with errors.Is. Errors found while
// parsing a spec are *Error values (joined with errors.Join when there are
// several), which add the file, line and key of the offending text.
var (
	// ErrSyntax reports text that is not well-formed YAML, or YAML features
	// the spec format does not accept (anchors, aliases, tags, complex keys,
	// several documents).
	ErrSyntax = errors.New("sweeps: syntax error")

	// ErrUnknownKey reports a mapping key that the spec format does not
	// define (a misspelt "replicate", or a third key in a range).
	ErrUnknownKey = errors.New("sweeps: unknown key")

	// ErrMissing reports a required key that is absent.
	ErrMissing = errors.New("sweeps: missing key")

	// ErrType reports a value of the wrong YAML type, such as a mapping
	// where a number or list is wanted.
	ErrType = errors.New("sweeps: wrong type")

	// ErrValue reports a value of the right type that is out of range or
	// malformed: a bad name, a negative count, a bad range, an empty axis,
	// a duplicated axis value or seed.
	ErrValue = errors.New("sweeps: invalid value")

	// ErrSetting reports a setting rejected by Options.Validate. The
	// validator's own error is wrapped as well.
	ErrSetting = errors.New("sweeps: invalid setting")

	// ErrConflict reports a setting given twice: both fixed and an axis, by
	// two axes, or by a spec key that derives it (replicates set "seed",
	// budget.iterations sets "max_iters", budget.evaluations sets
	// "max_evals").
	ErrConflict = errors.New("sweeps: conflicting settings")

	// ErrTooManyTrials reports a grid larger than its trial limit (see
	// Options.MaxTrials and the max_trials key). The grid size is computed
	// before anything proportional to it is allocated.
	ErrTooManyTrials = errors.New("sweeps: too many trials")

	// ErrTooLarge reports a spec larger than MaxSpecSize or nested deeper
	// than MaxDepth, refused before it is parsed.
	ErrTooLarge = errors.New("sweeps: spec too large")

	// ErrIncompatible reports, from Spec.Compatible, a spec that is not a
	// growth of an older one.
	ErrIncompatible = errors.New("sweeps: incompatible spec change")

	// ErrKeyCollision reports two different trials of one expansion whose
	// keys are equal: a truncated SHA-256 collision, which is not expected
	// to happen in practice.
	ErrKeyCollision = errors.New("sweeps: trial key collision")
)

// maxErrors bounds the number of errors one Parse call reports.
const maxErrors = 10

// Error is an error located in a spec file. Its message has the form
//
//	file:line: path: message
//
// where path names the offending key in dotted form, with 0-based list
// indices ("axes.strategy[1].lr"); the path is omitted for errors about the
// top-level mapping, and the line when it is unknown.
type Error struct {
	// File is the file name given to Parse.
	File string
	// Line is the 1-based line of the offending text, or 0 if unknown.
	Line int
	// Path is the dotted key path of the offending value, or "".
	Path string
	// Msg describes the problem.
	Msg string
	// Kind is the sentinel error classifying the problem (ErrType, ...).
	Kind error
	// Err is the underlying cause, such as the error returned by
	// Options.Validate, or nil.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	case e.File != "":
		b.WriteString(e.File)
	case e.Line > 0:
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel Kind and the cause Err, so that errors.Is
// matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
