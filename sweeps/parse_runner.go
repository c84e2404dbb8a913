package sweeps

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// execution decodes the keys that say how trials run and how they are
// judged: runner, metric, goal and resources. It runs before the settings
// are decoded, because a command runner makes them free-form: the trainer's
// validator is then not called.
func (d *decoder) execution(s *Spec, byKey map[string]entry) {
	if e, ok := byKey["runner"]; ok {
		s.Runner = d.runner(e)
	}
	if !s.Runner.Builtin() {
		d.opts.Validate = nil
	}
	s.Metric = DefaultMetric
	if e, ok := byKey["metric"]; ok {
		v, _, ok := d.scalar(e.value, e.line, "metric", "a result field name", kindString)
		switch name, _ := v.(string); {
		case !ok:
		case len(name) > maxSettingLen || !settingPattern.MatchString(name):
			d.fail(e.line, "metric", ErrValue, nil, "invalid metric name %q (want a letter or _ then letters, digits, _ . -; at most %d characters)", name, maxSettingLen)
		default:
			s.Metric = name
		}
		if _, has := byKey["failure_threshold"]; ok && s.Metric != DefaultMetric && !has {
			d.fail(e.line, "metric", ErrMissing, nil, "metric %q needs a failure_threshold (the default %s is for %s)", s.Metric, canonicalString(DefaultFailureThreshold), DefaultMetric)
		}
	}
	s.Goal = GoalMin
	if e, ok := byKey["goal"]; ok {
		v, _, ok := d.scalar(e.value, e.line, "goal", "min or max", kindString)
		if g := Goal(fmt.Sprint(v)); ok && g != GoalMin && g != GoalMax {
			d.fail(e.line, "goal", ErrValue, nil, "want min or max, got %q", v)
		} else if ok {
			s.Goal = g
		}
	}
	if e, ok := byKey["resources"]; ok {
		entries, _ := d.section(e, "resources")
		for _, re := range entries {
			path := joinPath("resources", re.key)
			if re.key != "gpus" {
				d.fail(re.line, "resources", ErrUnknownKey, nil, "unknown key %q (known: %s)", re.key, strings.Join(resourcesKeys, ", "))
				continue
			}
			n, ok := d.integer(re.value, re.line, path, 0, MaxGPUs)
			if ok && n > 0 && s.Runner.Builtin() {
				d.fail(re.line, path, ErrValue, nil, "the built-in trainer runs on CPUs: resources.gpus needs a command runner")
				continue
			}
			s.Resources.GPUs = int(n)
		}
	}
}

// runner decodes the runner key.
func (d *decoder) runner(e entry) Runner {
	const want = `builtin or {command: [program, args...], workdir: DIR, env: {NAME: value}}`
	k, v, nerr := classify(e.value)
	switch {
	case nerr != nil:
		d.failNode(e.line, "runner", nerr)
		return Runner{}
	case k == kindString && v == RunnerBuiltin:
		return Runner{Line: e.line}
	case k != kindMapping:
		d.fail(e.line, "runner", ErrValue, nil, "want %s, got %s", want, describe(k, v))
		return Runner{}
	}
	r := Runner{Line: e.line}
	hasCommand := false
	for _, re := range d.mapping(e.value, "runner") {
		path := joinPath("runner", re.key)
		d.lines[path] = re.line
		switch re.key {
		case "command":
			hasCommand = true
			r.Command = d.command(re, path)
		case "workdir":
			if s, ok := d.text(re.value, re.line, path); ok {
				if err := checkWorkdir(s); err != nil {
					d.fail(re.line, path, ErrValue, nil, "%s", trimSentinel(err))
				} else {
					r.Workdir = s
				}
			}
		case "env":
			r.Env = d.env(re, path)
		default:
			d.fail(re.line, "runner", ErrUnknownKey, nil, "unknown key %q (known: %s)", re.key, strings.Join(runnerKeys, ", "))
		}
	}
	if !hasCommand {
		d.fail(e.line, "runner", ErrMissing, nil, `missing required key "command" (or write runner: builtin)`)
	}
	return r
}

// command decodes runner.command: a non-empty list of scalars.
func (d *decoder) command(e entry, path string) []string {
	k, v, nerr := classify(e.value)
	switch {
	case nerr != nil:
		d.failNode(e.line, path, nerr)
		return nil
	case k != kindList:
		d.fail(e.line, path, ErrType, nil, "want a list [program, args...], got %s", describe(k, v))
		return nil
	}
	items := e.value.(*ast.SequenceNode).Values
	switch {
	case len(items) == 0:
		d.fail(e.line, path, ErrValue, nil, "empty command")
		return nil
	case len(items) > MaxCommandArgs:
		d.fail(e.line, path, ErrValue, nil, "command has %d elements, more than %d", len(items), MaxCommandArgs)
		return nil
	}
	argv := make([]string, 0, len(items))
	for i, item := range items {
		iln, ipath := line(item), indexPath(path, i)
		if iln == 0 {
			iln = e.line
		}
		d.lines[ipath] = iln
		s, ok := d.text(item, iln, ipath)
		if !ok {
			continue
		}
		if err := checkArg(i, s); err != nil {
			d.fail(iln, ipath, ErrValue, nil, "%s", trimSentinel(err))
			continue
		}
		argv = append(argv, s)
	}
	return argv
}

// env decodes runner.env: a mapping of variable names to scalars.
func (d *decoder) env(e entry, path string) map[string]string {
	entries, _ := d.section(e, path)
	if len(entries) > MaxEnvVars {
		d.fail(e.line, path, ErrValue, nil, "env has %d variables, more than %d", len(entries), MaxEnvVars)
		return nil
	}
	var out map[string]string
	for _, ve := range entries {
		kpath := joinPath(path, ve.key)
		d.lines[kpath] = ve.line
		if err := CheckEnvName(ve.key); err != nil {
			d.fail(ve.line, kpath, ErrValue, nil, "%s", trimSentinel(err))
			continue
		}
		s, ok := d.text(ve.value, ve.line, kpath)
		if !ok {
			continue
		}
		if err := checkEnvValue(s); err != nil {
			d.fail(ve.line, kpath, ErrValue, nil, "%s", trimSentinel(err))
			continue
		}
		if out == nil {
			out = make(map[string]string, len(entries))
		}
		out[ve.key] = s
	}
	return out
}

// text decodes a scalar as the text it is written with: a string as it is,
// and a plain number or bool as its source text (so 1e-3 stays "1e-3").
func (d *decoder) text(n ast.Node, ln int, path string) (string, bool) {
	v, k, ok := d.scalar(n, ln, path, "a string, number or bool", kindString, kindInt, kindFloat, kindBool)
	if !ok {
		return "", false
	}
	if k == kindString {
		return v.(string), true
	}
	if tk := n.GetToken(); tk != nil && tk.Type != token.SingleQuoteType && tk.Type != token.DoubleQuoteType {
		return tk.Value, true
	}
	return canonicalString(v), true
}

// trimSentinel returns err's message without the sentinel's prefix, for an
// *Error that carries the sentinel as its Kind.
func trimSentinel(err error) string {
	msg := err.Error()
	for _, s := range []error{ErrValue} {
		msg = strings.TrimPrefix(msg, s.Error()+": ")
	}
	return msg
}

// checkPlaceholders checks that every placeholder of a command runner
// names a setting that every trial has.
func (d *decoder) checkPlaceholders(s *Spec) {
	r := &s.Runner
	if r.Builtin() {
		return
	}
	known, partial := placeholderNames(s)
	check := func(path, text string) {
		names, err := Placeholders(text)
		if err != nil {
			return // reported when decoded
		}
		for _, name := range names {
			if known[name] {
				continue
			}
			ln := d.lines[path]
			if ax, ok := partial[name]; ok {
				d.fail(ln, path, ErrValue, nil, "placeholder {%s} is not set by every value of axis %q (not by %s)", name, ax.axis, canonicalString(ax.value))
				continue
			}
			d.fail(ln, path, ErrValue, nil, "unknown placeholder {%s} (settings: %s)", name, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
	}
	for i, arg := range r.Command {
		check(indexPath("runner.command", i), arg)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Env)) {
		check(joinPath("runner.env", k), r.Env[k])
	}
}

// missingFrom names an axis value that does not set a setting.
type missingFrom struct {
	axis  string
	value any
}

// placeholderNames returns the settings every trial of s has, and the
// settings only some trials have, each with an axis value that lacks it.
func placeholderNames(s *Spec) (known map[string]bool, partial map[string]missingFrom) {
	known = map[string]bool{SeedKey: true}
	partial = make(map[string]missingFrom)
	if s.Budget.Iterations > 0 {
		known[MaxItersKey] = true
	}
	if s.Budget.Evaluations > 0 {
		known[MaxEvalsKey] = true
	}
	for _, f := range s.Fixed {
		known[f.Key] = true
	}
	for _, a := range s.Axes {
		count := make(map[string]int)
		for _, v := range a.Values {
			for _, st := range v.Settings {
				count[st.Key]++
			}
		}
		for key, n := range count {
			if n == len(a.Values) {
				known[key] = true
				continue
			}
			for _, v := range a.Values {
				if !slices.ContainsFunc(v.Settings, func(st Setting) bool { return st.Key == key }) {
					partial[key] = missingFrom{axis: a.Name, value: v.Value}
					break
				}
			}
		}
	}
	return known, partial
}
