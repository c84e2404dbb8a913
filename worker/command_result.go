package worker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// exitReport is how a command trial's process ended, as the trial shim
// reported it, and what it left behind.
type exitReport struct {
	// startErr is set when the program could not be started.
	startErr string
	// exited and code: the program exited with code; signal: it was
	// killed by that signal (when not exited).
	exited bool
	code   int
	signal string
	// stopped: the worker stopped the program (cancellation, budget, lease
	// loss, shutdown) before it ended on its own.
	stopped bool
	// left counts processes the program left running, which were killed.
	left int
}

// ended describes how the program ended, for reasons.
func (e exitReport) ended() string {
	switch {
	case e.startErr != "":
		return "could not start: " + e.startErr
	case e.exited:
		return fmt.Sprintf("exit status %d", e.code)
	case e.signal != "":
		return "killed by " + e.signal
	}
	return "ended without an exit status"
}

// trialOutput is what a command trial produced.
type trialOutput struct {
	resultPath string // $PINNSWEEP_OUT/result.json
	last       []byte // the last non-progress line of stdout
	lastLong   bool
	stderr     []byte // the end of stderr
}

// readResult returns the trial's result object: result.json when it
// exists, else the last line of stdout. The text returned is standard JSON
// (normalizeJSON) and valid UTF-8.
func readResult(o trialOutput) (text []byte, fields map[string]json.RawMessage, err error) {
	// Read as a regular file only: a named pipe there would block the
	// slot for ever (opening it waits for a writer), a device never ends.
	b, err := safefile.ReadRegular(o.resultPath, MaxResultBytes)
	switch {
	case err == nil:
		return parseResult(b, "result.json")
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, nil, fmt.Errorf("result.json is over the %d-byte limit", MaxResultBytes)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("reading result.json: %w", err)
	}
	switch {
	case len(o.last) == 0:
		return nil, nil, errors.New("no result: $PINNSWEEP_OUT/result.json does not exist and stdout has no result line")
	case o.lastLong && len(o.last) >= MaxResultBytes:
		return nil, nil, fmt.Errorf("the result line on stdout is over the %d-byte limit", MaxResultBytes)
	case o.lastLong || o.last[0] != '{':
		return nil, nil, fmt.Errorf("no result: $PINNSWEEP_OUT/result.json does not exist and the last line of stdout is not a JSON object: %s", snippet(o.last))
	}
	return parseResult(o.last, "the last line of stdout")
}

// parseResult decodes a result object from where.
func parseResult(b []byte, where string) ([]byte, map[string]json.RawMessage, error) {
	b = normalizeJSON(bytes.TrimSpace(b))
	fields, err := decodeObject(b)
	if err != nil {
		return nil, nil, fmt.Errorf("unparsable result: %s is not a JSON object: %v", where, err)
	}
	if !utf8.Valid(b) {
		// Re-encode, which replaces invalid UTF-8 in strings with U+FFFD.
		var v map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("unparsable result: %s: %v", where, err)
		}
		if b, err = json.Marshal(v); err != nil {
			return nil, nil, fmt.Errorf("unparsable result: %s: %v", where, err)
		}
	}
	if len(b) > MaxResultBytes {
		return nil, nil, fmt.Errorf("the result from %s is %d bytes, over the %d-byte limit", where, len(b), MaxResultBytes)
	}
	return b, fields, nil
}

// judge decides a command trial's outcome from how it ended and what it
// produced, by the result contract (README, "Command trials"):
//
//   - stopped by the worker: cancelled (the worker turns it into timeout,
//     cancelled or a release, by the cause), with the result if one was
//     written;
//   - could not start, non-zero exit or killed by a signal: failed;
//   - exit 0 without a result, with an unparsable one, or one without the
//     metric (or with a metric that is not a number): failed;
//   - exit 0 with a metric that is NaN, ±Infinity or null: diverged;
//   - exit 0 with a finite metric: done.
//
// Every reason names which of these happened; StderrTail carries the end
// of stderr for every status but done.
func judge(metric string, e exitReport, o trialOutput) Outcome {
	result, fields, rerr := readResult(o)
	out := Outcome{StderrTail: validUTF8(o.stderr)}
	if rerr == nil {
		out.ResultJSON = string(result)
	}
	withStderr := func(reason string) string {
		if line := lastLineOf(o.stderr); len(line) > 0 {
			reason += "; last stderr line: " + snippet(line)
		}
		if e.left > 0 {
			reason += fmt.Sprintf("; %d processes it left running were killed", e.left)
		}
		return reason
	}
	switch {
	case e.stopped:
		out.Status, out.Reason = StatusCancelled, "stopped by the worker ("+e.ended()+")"
		return out
	case e.startErr != "" || !e.exited || e.code != 0:
		out.Status, out.Reason = StatusFailed, withStderr("program failed: "+e.ended())
		return out
	case rerr != nil:
		out.Status, out.Reason = StatusFailed, withStderr(rerr.Error())
		return out
	}
	raw, ok := fields[metric]
	if !ok {
		names := slices.Sorted(maps.Keys(fields))
		if len(names) > 20 {
			names = append(names[:20], "…")
		}
		out.Status, out.Reason = StatusFailed, withStderr(fmt.Sprintf("missing metric: the result has no field %q (fields: %s)", metric, strings.Join(names, ", ")))
		return out
	}
	x, ok := number(raw)
	if !ok {
		out.Status, out.Reason = StatusFailed, withStderr(fmt.Sprintf("metric %q is not a number: %s", metric, snippet(raw)))
		return out
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		out.Status, out.Reason = StatusDiverged, fmt.Sprintf("metric %q is %s", metric, strings.Trim(string(bytes.TrimSpace(raw)), `"`))
		return out
	}
	out.Status, out.StderrTail = StatusDone, ""
	if e.left > 0 {
		out.Reason = fmt.Sprintf("%d processes the program left running were killed", e.left)
	}
	return out
}
