package sweeps

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// Keys of the spec format, in documentation order.
var (
	topKeys    = []string{"name", "runner", "fixed", "axes", "replicates", "budget", "retries", "max_trials", "refine", "failure_threshold", "metric", "goal", "resources"}
	budgetKeys = []string{"iterations", "evaluations", "seconds"}
	refineKeys = []string{"axis", "tolerance", "max_depth"}
	rangeKeys  = []string{Linspace, Logspace}
)

var (
	// namePattern is the pattern of sweep names.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	// settingPattern is the pattern of setting keys and axis names.
	settingPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
)

// maxSettingLen is the maximum length of a setting key or axis name.
const maxSettingLen = 64

// ParseFile reads and parses the spec file at path (see Parse), which must
// be a regular file of at most MaxSpecSize bytes. Errors name the file as
// path.
func ParseFile(path string, opts Options) (*Spec, error) {
	data, err := safefile.ReadRegular(path, MaxSpecSize)
	if err != nil {
		return nil, fmt.Errorf("sweeps: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse parses and validates a YAML sweep spec. The filename is used in
// error messages and stored in Spec.File; data is copied into
// Spec.Source.
//
// Decoding is strict: unknown keys, duplicate keys, values of the wrong
// type, settings rejected by opts.Validate and settings given twice are all
// errors, as is a grid larger than its trial limit. Each problem is
// reported as an *Error naming the file, line and key; when there are
// several (at most 10 are reported), the returned error is their
// errors.Join. A spec larger than MaxSpecSize or nested deeper than
// MaxDepth is refused before it is parsed (ErrTooLarge).
func Parse(filename string, data []byte, opts Options) (*Spec, error) {
	if err := checkLimits(filename, data); err != nil {
		return nil, err
	}
	d := &decoder{file: filename, opts: opts, lines: make(map[string]int)}
	s := d.decode(data)
	if err := d.result(); err != nil {
		return nil, err
	}
	s.File = filename
	s.Source = slices.Clone(data)
	return s, nil
}

// decoder turns a YAML AST into a Spec, collecting errors.
type decoder struct {
	file      string
	opts      Options
	errs      []error
	count     int // errors found, including those not kept
	truncated bool
	// lines holds the lines of keys that later checks refer to, by path
	// ("budget.iterations").
	lines map[string]int
}

// entry is one key of a YAML mapping.
type entry struct {
	key   string
	line  int
	value ast.Node
}

// fail records an error at the given line and path.
func (d *decoder) fail(line int, path string, kind, cause error, format string, args ...any) {
	d.count++
	if len(d.errs) >= maxErrors {
		d.truncated = true
		return
	}
	d.errs = append(d.errs, &Error{
		File: d.file,
		Line: line,
		Path: path,
		Msg:  fmt.Sprintf(format, args...),
		Kind: kind,
		Err:  cause,
	})
}

// failNode records a problem found by classify.
func (d *decoder) failNode(line int, path string, e *nodeErr) {
	d.fail(line, path, e.kind, nil, "%s", e.msg)
}

// failed reports whether any error has been recorded.
func (d *decoder) failed() bool {
	return d.count > 0
}

// result returns the recorded errors as one error, or nil. Only the
// first maxErrors found are kept, which may not be the first in the file.
func (d *decoder) result() error {
	switch {
	case len(d.errs) == 0:
		return nil
	case len(d.errs) == 1 && !d.truncated:
		return d.errs[0]
	}
	// Report in file order; errors without a line last.
	errs := d.errs
	slices.SortStableFunc(errs, func(a, b error) int {
		return cmp.Compare(sortLine(a), sortLine(b))
	})
	if d.truncated {
		first := errs[0].(*Error)
		errs = append(errs, &Error{File: d.file, Msg: "too many errors", Kind: first.Kind})
	}
	return errors.Join(errs...)
}

// sortLine returns the line of an *Error for sorting, with 0 last.
func sortLine(err error) int {
	if e := err.(*Error); e.Line > 0 {
		return e.Line
	}
	return math.MaxInt
}

// validate calls opts.Validate, if any, and records its error.
func (d *decoder) validate(line int, path, key string, value any) bool {
	return d.validateMsg(line, path, key, value, "")
}

// validateMsg is validate with a message prefixed to the validator's
// error.
func (d *decoder) validateMsg(line int, path, key string, value any, msg string) bool {
	if d.opts.Validate == nil {
		return true
	}
	if err := d.opts.Validate(key, value); err != nil {
		d.fail(line, path, ErrSetting, err, "%s", msg)
		return false
	}
	return true
}

// parseYAML parses data into an AST. Duplicate keys are let through and
// reported by mapping, with both lines.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		// Guard against panics in the YAML library on malformed input.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

// decode decodes a whole spec. The returned Spec is meaningful only if no
// error was recorded.
func (d *decoder) decode(data []byte) *Spec {
	s := &Spec{Retries: DefaultRetries}
	f, err := parseYAML(data)
	if err != nil {
		var se *yaml.SyntaxError
		if errors.As(err, &se) {
			ln := 0
			if se.Token != nil && se.Token.Position != nil {
				ln = se.Token.Position.Line
			}
			d.fail(ln, "", ErrSyntax, nil, "invalid YAML: %s", se.Message)
		} else {
			d.fail(0, "", ErrSyntax, nil, "invalid YAML: %v", err)
		}
		return s
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		d.fail(1, "", ErrMissing, nil, `empty spec: missing required key "name"`)
		return s
	case len(bodies) > 1:
		d.fail(line(bodies[1]), "", ErrSyntax, nil, "want one YAML document, got %d", len(bodies))
		return s
	}
	top := bodies[0]
	switch k, v, nerr := classify(top); {
	case nerr != nil:
		d.failNode(line(top), "", nerr)
		return s
	case k != kindMapping:
		d.fail(line(top), "", ErrType, nil, "want a mapping at the top level, got %s", describe(k, v))
		return s
	}

	byKey := make(map[string]entry)
	for _, e := range d.mapping(top, "") {
		if !slices.Contains(topKeys, e.key) {
			d.fail(e.line, "", ErrUnknownKey, nil, "unknown key %q (known: %s)", e.key, strings.Join(topKeys, ", "))
			continue
		}
		byKey[e.key] = e
	}

	if e, ok := byKey["name"]; ok {
		s.Name = d.name(e)
	} else {
		d.fail(line(top), "", ErrMissing, nil, `missing required key "name"`)
	}
	d.execution(s, byKey)
	s.MaxTrials = d.opts.maxTrials()
	if e, ok := byKey["max_trials"]; ok {
		s.MaxTrials = d.maxTrials(e)
	}
	if e, ok := byKey["fixed"]; ok {
		s.Fixed = d.fixed(e)
	}
	var axes []*pendingAxis
	axesLine := line(top)
	if e, ok := byKey["axes"]; ok {
		axes = d.axes(e)
		axesLine = e.line
	}
	seeds := seedSpec{count: 1, path: "replicates"}
	if e, ok := byKey["replicates"]; ok {
		seeds = d.replicates(e)
	}
	if e, ok := byKey["budget"]; ok {
		s.Budget = d.budget(e)
	}
	if e, ok := byKey["retries"]; ok {
		s.Retries = d.retries(e)
	}
	var refine []Refine
	if e, ok := byKey["refine"]; ok {
		refine = d.refine(e)
	}
	s.FailureThreshold = DefaultFailureThreshold
	if e, ok := byKey["failure_threshold"]; ok {
		s.FailureThreshold = d.threshold(e, s.Metric == DefaultMetric)
	}
	if d.failed() {
		return s
	}

	d.conflicts(s, axes, seeds)
	if d.failed() {
		return s
	}
	if !d.checkSize(axes, seeds, s.MaxTrials, axesLine) {
		return s
	}
	s.Axes = d.materialize(axes)
	s.Seeds = seeds.materialize()
	d.validateDerived(s, seeds)
	s.Refine = d.checkRefine(refine, s.Axes)
	d.checkPlaceholders(s)
	return s
}

// mapping returns the entries of a mapping node, reporting unsupported and
// duplicate keys. A null node is an empty mapping.
func (d *decoder) mapping(n ast.Node, path string) []entry {
	var values []*ast.MappingValueNode
	switch n := n.(type) {
	case *ast.MappingNode:
		values = n.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{n}
	}
	entries := make([]entry, 0, len(values))
	seen := make(map[string]int, len(values))
	for _, mv := range values {
		ln := line(mv.Key)
		if ln == 0 {
			ln = line(mv)
		}
		key, ok := keyText(mv.Key)
		if !ok {
			if _, _, nerr := classify(mv.Key); nerr != nil {
				d.failNode(ln, path, nerr)
			} else {
				d.fail(ln, path, ErrSyntax, nil, "unsupported mapping key (want a plain string)")
			}
			continue
		}
		if first, dup := seen[key]; dup {
			d.fail(ln, path, ErrSyntax, nil, "duplicate key %q (first at line %d)", key, first)
			continue
		}
		seen[key] = ln
		entries = append(entries, entry{key: key, line: ln, value: mv.Value})
	}
	return entries
}

// section returns the entries of an optional mapping-valued key. A null
// value is an empty mapping.
func (d *decoder) section(e entry, path string) ([]entry, bool) {
	k, v, nerr := classify(e.value)
	switch {
	case nerr != nil:
		d.failNode(e.line, path, nerr)
		return nil, false
	case k == kindNull:
		return nil, true
	case k != kindMapping:
		d.fail(e.line, path, ErrType, nil, "want a mapping, got %s", describe(k, v))
		return nil, false
	}
	return d.mapping(e.value, path), true
}

// scalar decodes a scalar value of the wanted kinds. want describes them
// for messages ("a string").
func (d *decoder) scalar(n ast.Node, ln int, path, want string, kinds ...nodeKind) (any, nodeKind, bool) {
	k, v, nerr := classify(n)
	if nerr != nil {
		d.failNode(ln, path, nerr)
		return nil, k, false
	}
	if !slices.Contains(kinds, k) {
		d.fail(ln, path, ErrType, nil, "want %s, got %s", want, describe(k, v))
		return nil, k, false
	}
	return v, k, true
}

// integer decodes an integer in [lo, hi]. Integral numbers such as 1e3 are
// accepted.
func (d *decoder) integer(n ast.Node, ln int, path string, lo, hi int64) (int64, bool) {
	v, k, ok := d.scalar(n, ln, path, "an integer", kindInt, kindFloat)
	if !ok {
		return 0, false
	}
	var i int64
	if k == kindFloat {
		f := v.(float64)
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			d.fail(ln, path, ErrType, nil, "want an integer, got %s", describe(k, v))
			return 0, false
		}
		i = int64(f)
	} else {
		i = v.(int64)
	}
	if i < lo || i > hi {
		if hi == math.MaxInt64 {
			d.fail(ln, path, ErrValue, nil, "want an integer ≥ %d, got %d", lo, i)
		} else {
			d.fail(ln, path, ErrValue, nil, "want an integer in [%d, %d], got %d", lo, hi, i)
		}
		return 0, false
	}
	return i, true
}

// number decodes a finite number.
func (d *decoder) number(n ast.Node, ln int, path string) (float64, bool) {
	v, k, ok := d.scalar(n, ln, path, "a number", kindInt, kindFloat)
	if !ok {
		return 0, false
	}
	if k == kindInt {
		return float64(v.(int64)), true
	}
	return v.(float64), true
}

// name decodes the sweep name.
func (d *decoder) name(e entry) string {
	v, _, ok := d.scalar(e.value, e.line, "name", "a string", kindString)
	if !ok {
		return ""
	}
	name := v.(string)
	switch {
	case len(name) > MaxNameLen:
		d.fail(e.line, "name", ErrValue, nil, "name is %d characters long, more than %d", len(name), MaxNameLen)
	case !namePattern.MatchString(name) || name == "." || name == "..":
		d.fail(e.line, "name", ErrValue, nil, "invalid name %q (want 1 to %d characters from A-Z a-z 0-9 . _ -, not . or ..)", name, MaxNameLen)
	default:
		return name
	}
	return ""
}

// settingName checks a setting key or axis name.
func (d *decoder) settingName(ln int, path, key string) bool {
	if len(key) > maxSettingLen || !settingPattern.MatchString(key) {
		d.fail(ln, path, ErrValue, nil, "invalid setting name %q (want a letter or _ then letters, digits, _ . -; at most %d characters)", key, maxSettingLen)
		return false
	}
	return true
}

// settingValue decodes a setting value: a scalar, or a list of scalars.
func (d *decoder) settingValue(n ast.Node, ln int, path string) (any, bool) {
	k, v, nerr := classify(n)
	switch {
	case nerr != nil:
		d.failNode(ln, path, nerr)
		return nil, false
	case k.isScalar():
		return v, true
	case k != kindList:
		d.fail(ln, path, ErrType, nil, "want a number, string, bool or list, got %s", describe(k, v))
		return nil, false
	}
	seq := n.(*ast.SequenceNode)
	list := make([]any, 0, len(seq.Values))
	ok := true
	for i, item := range seq.Values {
		iln := line(item)
		if iln == 0 {
			iln = ln
		}
		ik, iv, nerr := classify(item)
		switch {
		case nerr != nil:
			d.failNode(iln, indexPath(path, i), nerr)
			ok = false
		case !ik.isScalar():
			d.fail(iln, indexPath(path, i), ErrType, nil, "want a number, string or bool, got %s", describe(ik, iv))
			ok = false
		default:
			list = append(list, iv)
		}
	}
	return list, ok
}

// fixed decodes the fixed settings.
func (d *decoder) fixed(e entry) []Setting {
	entries, _ := d.section(e, "fixed")
	var out []Setting
	for _, fe := range entries {
		path := joinPath("fixed", fe.key)
		if !d.settingName(fe.line, path, fe.key) {
			continue
		}
		v, ok := d.settingValue(fe.value, fe.line, path)
		if !ok || !d.validate(fe.line, path, fe.key, v) {
			continue
		}
		out = append(out, Setting{Key: fe.key, Value: v, Line: fe.line})
	}
	return out
}

// maxTrials decodes the max_trials key.
func (d *decoder) maxTrials(e entry) int {
	ceiling := d.opts.maxTrials()
	n, ok := d.integer(e.value, e.line, "max_trials", 1, math.MaxInt64)
	if !ok {
		return ceiling
	}
	if n > int64(ceiling) {
		d.fail(e.line, "max_trials", ErrValue, nil, "max_trials %d exceeds the limit of %d", n, ceiling)
		return ceiling
	}
	return int(n)
}

// retries decodes the retries key.
func (d *decoder) retries(e entry) int {
	n, ok := d.integer(e.value, e.line, "retries", 0, MaxRetries)
	if !ok {
		return DefaultRetries
	}
	return int(n)
}

// budget decodes the budget mapping.
func (d *decoder) budget(e entry) Budget {
	var b Budget
	entries, _ := d.section(e, "budget")
	for _, be := range entries {
		path := joinPath("budget", be.key)
		d.lines[path] = be.line
		switch be.key {
		case "iterations":
			n, _ := d.integer(be.value, be.line, path, 1, math.MaxInt64)
			b.Iterations = int(n)
		case "evaluations":
			n, _ := d.integer(be.value, be.line, path, 1, math.MaxInt64)
			b.Evaluations = int(n)
		case "seconds":
			f, ok := d.number(be.value, be.line, path)
			if ok && f <= 0 {
				d.fail(be.line, path, ErrValue, nil, "want a positive number, got %s", canonicalString(f))
				f = 0
			}
			b.Seconds = f
		default:
			d.fail(be.line, "budget", ErrUnknownKey, nil, "unknown key %q (known: %s)", be.key, strings.Join(budgetKeys, ", "))
		}
	}
	return b
}

// seedSpec is the decoded replicates key, before the grid-size check.
type seedSpec struct {
	count int64   // seeds 0..count-1, when list is nil
	list  []int64 // explicit seeds
	line  int
	path  string
}

// len returns the number of seeds.
func (r seedSpec) len() int64 {
	if r.list != nil {
		return int64(len(r.list))
	}
	return r.count
}

// materialize returns the seeds. The caller has bounded their number.
func (r seedSpec) materialize() []int64 {
	if r.list != nil {
		return r.list
	}
	seeds := make([]int64, r.count)
	for i := range seeds {
		seeds[i] = int64(i)
	}
	return seeds
}

// replicates decodes the replicates key: a count or a list of seeds.
func (d *decoder) replicates(e entry) seedSpec {
	r := seedSpec{count: 1, line: e.line, path: "replicates"}
	k, v, nerr := classify(e.value)
	switch {
	case nerr != nil:
		d.failNode(e.line, r.path, nerr)
	case k == kindInt || k == kindFloat:
		if n, ok := d.integer(e.value, e.line, r.path, 1, math.MaxInt64); ok {
			r.count = n
		}
	case k == kindList:
		seq := e.value.(*ast.SequenceNode)
		if len(seq.Values) == 0 {
			d.fail(e.line, r.path, ErrValue, nil, "want at least one seed, got an empty list")
			return r
		}
		seen := make(map[int64]int, len(seq.Values))
		r.list = make([]int64, 0, len(seq.Values))
		for i, item := range seq.Values {
			iln, path := line(item), indexPath(r.path, i)
			seed, ok := d.integer(item, iln, path, 0, math.MaxInt64)
			if !ok {
				continue
			}
			if first, dup := seen[seed]; dup {
				d.fail(iln, path, ErrValue, nil, "duplicate seed %d (also at line %d)", seed, first)
				continue
			}
			seen[seed] = iln
			r.list = append(r.list, seed)
		}
	default:
		d.fail(e.line, r.path, ErrType, nil, "want a count or a list of seeds, got %s", describe(k, v))
	}
	return r
}

// refine decodes the reserved refine key; checkRefine checks it against
// the axes.
func (d *decoder) refine(e entry) []Refine {
	k, v, nerr := classify(e.value)
	switch {
	case nerr != nil:
		d.failNode(e.line, "refine", nerr)
		return nil
	case k == kindNull:
		return nil
	case k != kindList:
		d.fail(e.line, "refine", ErrType, nil, "want a list of {axis, tolerance, max_depth}, got %s", describe(k, v))
		return nil
	}
	var out []Refine
	for i, item := range e.value.(*ast.SequenceNode).Values {
		iln, path := line(item), indexPath("refine", i)
		ik, iv, nerr := classify(item)
		if nerr != nil {
			d.failNode(iln, path, nerr)
			continue
		}
		if ik != kindMapping {
			d.fail(iln, path, ErrType, nil, "want a mapping {axis, tolerance, max_depth}, got %s", describe(ik, iv))
			continue
		}
		r := Refine{Line: iln}
		have := make(map[string]bool, 3)
		ok := true
		for _, re := range d.mapping(item, path) {
			kpath := joinPath(path, re.key)
			have[re.key] = true
			switch re.key {
			case "axis":
				v, _, vok := d.scalar(re.value, re.line, kpath, "an axis name", kindString)
				if vok {
					r.Axis = v.(string)
				}
				ok = ok && vok
			case "tolerance":
				f, fok := d.number(re.value, re.line, kpath)
				if fok && f <= 0 {
					d.fail(re.line, kpath, ErrValue, nil, "want a positive number, got %s", canonicalString(f))
					fok = false
				}
				r.Tolerance = f
				ok = ok && fok
			case "max_depth":
				n, nok := d.integer(re.value, re.line, kpath, 1, 100)
				r.MaxDepth = int(n)
				ok = ok && nok
			default:
				d.fail(re.line, path, ErrUnknownKey, nil, "unknown key %q (known: %s)", re.key, strings.Join(refineKeys, ", "))
				ok = false
			}
		}
		for _, key := range refineKeys {
			if !have[key] {
				d.fail(iln, path, ErrMissing, nil, "missing required key %q", key)
				ok = false
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// checkRefine checks that refine rules name distinct numeric axes.
func (d *decoder) checkRefine(rules []Refine, axes []Axis) []Refine {
	seen := make(map[string]int, len(rules))
	for i, r := range rules {
		path := indexPath("refine", i) + ".axis"
		if first, dup := seen[r.Axis]; dup {
			d.fail(r.Line, path, ErrValue, nil, "axis %q is already refined (line %d)", r.Axis, first)
			continue
		}
		seen[r.Axis] = r.Line
		j := slices.IndexFunc(axes, func(a Axis) bool { return a.Name == r.Axis })
		if j < 0 {
			names := make([]string, len(axes))
			for k, a := range axes {
				names[k] = a.Name
			}
			d.fail(r.Line, path, ErrValue, nil, "%q is not an axis (axes: %s)", r.Axis, strings.Join(names, ", "))
			continue
		}
		numeric := true
		for _, v := range axes[j].Values {
			if _, isNum := Number(v.Value); v.Bundle || !isNum {
				d.fail(r.Line, path, ErrValue, nil, "axis %q has a non-numeric value %s", r.Axis, canonicalString(v.Value))
				numeric = false
				break
			}
		}
		if numeric {
			// Midpoints are fractional: the setting must take them.
			x, _ := Number(axes[j].Values[0].Value)
			d.validateMsg(r.Line, path, r.Axis, round15(x+0.5),
				fmt.Sprintf("axis %q cannot be refined: its setting must accept fractional values such as %s", r.Axis, canonicalString(round15(x+0.5))))
		}
	}
	if len(rules) == 0 {
		return nil
	}
	return rules
}

// threshold decodes the failure_threshold key: a number, positive when
// it is a rel_l2.
func (d *decoder) threshold(e entry, positive bool) float64 {
	f, ok := d.number(e.value, e.line, "failure_threshold")
	if ok && positive && f <= 0 {
		d.fail(e.line, "failure_threshold", ErrValue, nil, "want a positive number, got %s", canonicalString(f))
	}
	return f
}

// Number returns an axis or setting value as a float64 and true when it is
// a number (int64 or float64), and false otherwise. Axes whose values are
// all numbers are ordered and refined numerically.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// validateDerived calls the validator for the settings derived from the
// budget and the replicates.
func (d *decoder) validateDerived(s *Spec, seeds seedSpec) {
	if s.Budget.Iterations > 0 {
		d.validate(d.lines["budget.iterations"], "budget.iterations", MaxItersKey, int64(s.Budget.Iterations))
	}
	if s.Budget.Evaluations > 0 {
		d.validate(d.lines["budget.evaluations"], "budget.evaluations", MaxEvalsKey, int64(s.Budget.Evaluations))
	}
	d.validate(seeds.line, seeds.path, SeedKey, s.Seeds[0])
}
