package export

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// Limits of the columns an export derives from free-form params and
// results, so that no result makes a CSV of unbounded width. The JSON
// export's settings and result hold every field.
const (
	// MaxResultColumns bounds the result columns: the sweep's metric,
	// then the built-in trainer's well-known fields present, then the
	// other numeric fields by name.
	MaxResultColumns = 64
	// MaxParamColumns bounds the parameter columns (the params that are
	// not axes), by name.
	MaxParamColumns = 64
	// TailLines is how many of its last lines a CSV cell (and `pinnsweep
	// status`) shows of a stderr tail; the JSON export has it all.
	TailLines = 10
	// maxTailCell bounds a CSV cell of a stderr tail, in bytes.
	maxTailCell = 4 << 10
)

// knownResults are the built-in trainer's result fields, in the order
// their columns come after the metric's.
var knownResults = []string{"rel_l2", "abs_err", "linf_rel", "residual_grid",
	"residual_train", "evals", "iterations", "seconds"}

// fixedColumns are the columns every CSV export has besides the axes.
var fixedColumns = []string{"key", "status", "attempts", "worker", "reason", "stderr_tail"}

// decoded is a trial's result and params, decoded once.
type decoded struct {
	fields map[string]json.RawMessage // top-level result fields; nil without a result
	params map[string]json.RawMessage // nil when the params do not decode
}

// decodeTrials decodes every trial's result and params.
func decodeTrials(trials []state.TrialRecord) []decoded {
	out := make([]decoded, len(trials))
	for i := range trials {
		out[i].fields, _ = verdict.Fields(trials[i].Result)
		_ = json.Unmarshal(trials[i].Params, &out[i].params)
	}
	return out
}

// column is one derived column: the field it shows and its header.
type column struct {
	field, header string
}

// layout is the derived columns of an export.
type layout struct {
	results []column // numeric result fields
	params  []column // params that are not axes
}

// layOut chooses the result and parameter columns of trials: every
// numeric top-level result field (verdict.Number: numbers and the
// non-finite markers) of any trial, and every param of any trial that is
// not an axis, each within its limit. A header that would repeat an
// earlier column's gets a prefix, "result." or "param.".
func layOut(axes []string, metric string, dec []decoded) layout {
	taken := map[string]bool{}
	for _, c := range fixedColumns {
		taken[c] = true
	}
	for _, a := range axes {
		taken[a] = true
	}
	numeric := map[string]bool{}
	params := map[string]bool{}
	for _, d := range dec {
		for k, v := range d.fields {
			if _, ok := verdict.Number(v); ok {
				numeric[k] = true
			}
		}
		for k := range d.params {
			if !slices.Contains(axes, k) {
				params[k] = true
			}
		}
	}
	var l layout
	order := []string{metric}
	order = append(order, knownResults...)
	order = append(order, slices.Sorted(maps.Keys(numeric))...)
	seen := map[string]bool{}
	for _, f := range order {
		if seen[f] || len(l.results) == MaxResultColumns || (!numeric[f] && f != metric) {
			continue
		}
		seen[f] = true
		l.results = append(l.results, column{f, header(f, "result.", taken)})
	}
	for _, f := range slices.Sorted(maps.Keys(params)) {
		if len(l.params) == MaxParamColumns {
			break
		}
		l.params = append(l.params, column{f, header(f, "param.", taken)})
	}
	return l
}

// header returns name, or prefix+name if an earlier column took name,
// and marks the header taken.
func header(name, prefix string, taken map[string]bool) string {
	h := name
	if taken[h] {
		h = prefix + name
	}
	taken[h] = true
	return h
}

// LastLines returns the last n lines of a stderr tail (a trailing newline
// aside), at most 4 KiB of them, cut at a character boundary: what a CSV
// cell and `pinnsweep status` show of it.
func LastLines(tail string, n int) string {
	if n <= 0 {
		return ""
	}
	tail = strings.TrimRight(tail, "\n")
	cut := len(tail)
	for range n {
		i := strings.LastIndexByte(tail[:cut], '\n')
		if i < 0 {
			cut = -1
			break
		}
		cut = i
	}
	out := tail[cut+1:]
	if len(out) > maxTailCell {
		out = out[len(out)-maxTailCell:]
		for len(out) > 0 && !utf8.RuneStart(out[0]) {
			out = out[1:]
		}
	}
	return out
}

// cellValue formats a JSON value for CSV: a string unquoted, anything
// else as its JSON text.
func cellValue(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	var s string
	if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}
