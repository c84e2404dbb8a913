package sweeps

import (
	"math"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// pendingAxis is a decoded axis before the grid-size check: an explicit
// list of values, or a range not yet evaluated.
type pendingAxis struct {
	name      string
	line      int
	values    []AxisValue // an explicit list
	rng       *Range      // or a range
	rangeLine int
	// keys maps each setting the axis sets to where it is first set, and
	// keyOrder lists them in file order.
	keys     map[string]keyPos
	keyOrder []string
}

// keyPos locates a setting in the spec.
type keyPos struct {
	line int
	path string
}

// len returns the number of values of a, before rounding duplicates of a
// range are dropped.
func (a *pendingAxis) len() int64 {
	if a.rng != nil {
		return int64(a.rng.N)
	}
	return int64(len(a.values))
}

// addKey records that a sets key at the given position.
func (a *pendingAxis) addKey(key string, line int, path string) {
	if _, ok := a.keys[key]; ok {
		return
	}
	a.keys[key] = keyPos{line: line, path: path}
	a.keyOrder = append(a.keyOrder, key)
}

// axes decodes the axes mapping, in file order.
func (d *decoder) axes(e entry) []*pendingAxis {
	entries, _ := d.section(e, "axes")
	var out []*pendingAxis
	for _, ae := range entries {
		path := joinPath("axes", ae.key)
		if !d.settingName(ae.line, path, ae.key) {
			continue
		}
		if a := d.axis(ae, path); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// axis decodes one axis: a list of items, a range, or a single value.
func (d *decoder) axis(ae entry, path string) *pendingAxis {
	a := &pendingAxis{name: ae.key, line: ae.line, keys: make(map[string]keyPos)}
	k, _, nerr := classify(ae.value)
	switch {
	case nerr != nil:
		d.failNode(ae.line, path, nerr)
		return nil
	case k == kindNull:
		d.fail(ae.line, path, ErrValue, nil, "axis has no values")
		return nil
	case k == kindMapping:
		a.rng, a.rangeLine = d.axisRange(ae.value, ae.line, path)
		if a.rng == nil {
			return nil
		}
		a.addKey(a.name, a.rangeLine, path)
		return a
	case k != kindList:
		// A single value.
		av, ok := d.plainItem(a, ae.value, ae.line, path)
		if !ok {
			return nil
		}
		a.values = []AxisValue{av}
		return a
	}

	seq := ae.value.(*ast.SequenceNode)
	if len(seq.Values) == 0 {
		d.fail(ae.line, path, ErrValue, nil, "axis has no values")
		return nil
	}
	byValue := make(map[string]int, len(seq.Values))
	bySettings := make(map[string]int, len(seq.Values))
	mark := d.count
	for i, item := range seq.Values {
		iln, ipath := line(item), indexPath(path, i)
		if iln == 0 {
			iln = ae.line
		}
		ik, iv, nerr := classify(item)
		var av AxisValue
		var ok bool
		switch {
		case nerr != nil:
			d.failNode(iln, ipath, nerr)
		case ik == kindMapping:
			av, ok = d.bundle(a, item, iln, ipath)
		case ik == kindList || ik.isScalar():
			av, ok = d.plainItem(a, item, iln, ipath)
		default:
			d.fail(iln, ipath, ErrType, nil, "want a value or a bundle mapping, got %s", describe(ik, iv))
		}
		if !ok {
			continue
		}
		pv := canonicalString(av.Value)
		if j, dup := byValue[pv]; dup {
			what := "value"
			if av.Bundle || a.values[j].Bundle {
				what = "label"
			}
			d.fail(iln, ipath, ErrValue, nil, "duplicate %s %s (also item %d, line %d)", what, pv, j, a.values[j].Line)
			continue
		}
		sv := canonicalString(settingsMap(av.Settings))
		if j, dup := bySettings[sv]; dup {
			d.fail(iln, ipath, ErrValue, nil, "item sets the same settings as item %d (line %d)", j, a.values[j].Line)
			continue
		}
		byValue[pv] = len(a.values)
		bySettings[sv] = len(a.values)
		a.values = append(a.values, av)
	}
	if d.count > mark {
		return nil
	}
	return a
}

// plainItem decodes a plain axis item: a value of the setting named by
// the axis.
func (d *decoder) plainItem(a *pendingAxis, n ast.Node, ln int, path string) (AxisValue, bool) {
	v, ok := d.settingValue(n, ln, path)
	if !ok || !d.validate(ln, path, a.name, v) {
		return AxisValue{}, false
	}
	a.addKey(a.name, ln, path)
	return AxisValue{
		Value:    v,
		Settings: []Setting{{Key: a.name, Value: v, Line: ln}},
		Line:     ln,
	}, true
}

// bundle decodes a bundle item: a mapping of settings and an optional
// label.
func (d *decoder) bundle(a *pendingAxis, n ast.Node, ln int, path string) (AxisValue, bool) {
	mark := d.count
	var label string
	var settings []Setting
	for _, be := range d.mapping(n, path) {
		kpath := joinPath(path, be.key)
		if be.key == "label" {
			v, _, ok := d.scalar(be.value, be.line, kpath, "a string", kindString)
			if ok && v.(string) == "" {
				d.fail(be.line, kpath, ErrValue, nil, "empty label")
			} else if ok {
				label = v.(string)
			}
			continue
		}
		if !d.settingName(be.line, kpath, be.key) {
			continue
		}
		v, ok := d.settingValue(be.value, be.line, kpath)
		if !ok || !d.validate(be.line, kpath, be.key, v) {
			continue
		}
		settings = append(settings, Setting{Key: be.key, Value: v, Line: be.line})
		a.addKey(be.key, be.line, kpath)
	}
	if d.count > mark {
		return AxisValue{}, false
	}
	if len(settings) == 0 {
		d.fail(ln, path, ErrValue, nil, "bundle sets no settings")
		return AxisValue{}, false
	}
	slices.SortFunc(settings, func(x, y Setting) int { return strings.Compare(x.Key, y.Key) })
	if label == "" {
		label = bundleLabel(settings)
	}
	return AxisValue{Value: label, Settings: settings, Bundle: true, Line: ln}, true
}

// bundleLabel returns the label of a bundle without a label key: the
// value of its strategy setting, else its settings as k=v pairs sorted by
// key and joined by commas (settings must be sorted).
func bundleLabel(settings []Setting) string {
	for _, s := range settings {
		if s.Key == "strategy" {
			return displayValue(s.Value)
		}
	}
	var b strings.Builder
	for i, s := range settings {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Key)
		b.WriteByte('=')
		b.WriteString(displayValue(s.Value))
	}
	return b.String()
}

// settingsMap returns settings as a map.
func settingsMap(settings []Setting) map[string]any {
	m := make(map[string]any, len(settings))
	for _, s := range settings {
		m[s.Key] = s.Value
	}
	return m
}

// axisRange decodes a range mapping, returning it and the line of its
// key, or nil.
func (d *decoder) axisRange(n ast.Node, ln int, path string) (*Range, int) {
	mark := d.count
	entries := d.mapping(n, path)
	var kinds []entry
	for _, re := range entries {
		if !slices.Contains(rangeKeys, re.key) {
			d.fail(re.line, path, ErrUnknownKey, nil, "unknown key %q (known: %s)", re.key, strings.Join(rangeKeys, ", "))
			continue
		}
		kinds = append(kinds, re)
	}
	if d.count > mark {
		return nil, 0
	}
	if len(kinds) != 1 {
		d.fail(ln, path, ErrValue, nil, "want a range {linspace: [start, stop, n]} or {logspace: [start_exp, stop_exp, n]}, got %d keys", len(kinds))
		return nil, 0
	}
	re := kinds[0]
	kpath := joinPath(path, re.key)
	k, v, nerr := classify(re.value)
	switch {
	case nerr != nil:
		d.failNode(re.line, kpath, nerr)
		return nil, 0
	case k != kindList:
		d.fail(re.line, kpath, ErrType, nil, "want a list [start, stop, n], got %s", describe(k, v))
		return nil, 0
	}
	args := re.value.(*ast.SequenceNode).Values
	if len(args) != 3 {
		d.fail(re.line, kpath, ErrValue, nil, "want a list [start, stop, n], got %d items", len(args))
		return nil, 0
	}
	argLine := func(i int) int {
		if l := line(args[i]); l > 0 {
			return l
		}
		return re.line
	}
	start, ok0 := d.number(args[0], argLine(0), indexPath(kpath, 0))
	stop, ok1 := d.number(args[1], argLine(1), indexPath(kpath, 1))
	count, ok2 := d.integer(args[2], argLine(2), indexPath(kpath, 2), 1, math.MaxInt)
	if !ok0 || !ok1 || !ok2 {
		return nil, 0
	}
	for i, x := range []float64{start, stop} {
		switch {
		case re.key == Linspace && math.Abs(x) > maxLinspaceAbs:
			d.fail(argLine(i), indexPath(kpath, i), ErrValue, nil, "linspace bound %s out of range [-1e300, 1e300]", canonicalString(x))
		case re.key == Logspace && math.Abs(x) > maxLogspaceExp:
			d.fail(argLine(i), indexPath(kpath, i), ErrValue, nil, "logspace exponent %s out of range [-300, 300]", canonicalString(x))
		}
	}
	if d.count > mark {
		return nil, 0
	}
	return &Range{Kind: re.key, Start: start, Stop: stop, N: int(count)}, re.line
}

// materialize evaluates the ranges of axes, whose sizes the caller has
// bounded, validates their values and returns the final axes.
func (d *decoder) materialize(axes []*pendingAxis) []Axis {
	if len(axes) == 0 {
		return nil
	}
	out := make([]Axis, 0, len(axes))
	for _, a := range axes {
		ax := Axis{Name: a.name, Line: a.line, Values: a.values}
		if a.rng != nil {
			ax.Range = a.rng
			xs := a.rng.values()
			ax.Values = make([]AxisValue, 0, len(xs))
			path := joinPath("axes", a.name)
			valid := true
			for _, x := range xs {
				if valid {
					// Report only the first rejected value of a range.
					valid = d.validateMsg(a.rangeLine, path, a.name, x, a.rng.Kind+" value "+canonicalString(x))
				}
				ax.Values = append(ax.Values, AxisValue{
					Value:    x,
					Settings: []Setting{{Key: a.name, Value: x, Line: a.rangeLine}},
					Line:     a.rangeLine,
				})
			}
		}
		out = append(out, ax)
	}
	return out
}

// conflicts reports settings given twice: by fixed and an axis, by two
// axes, or directly and through a key that derives them.
func (d *decoder) conflicts(s *Spec, axes []*pendingAxis, seeds seedSpec) {
	derived := map[string]string{SeedKey: "replicates"}
	if s.Budget.Iterations > 0 {
		derived[MaxItersKey] = "budget.iterations"
	}
	if s.Budget.Evaluations > 0 {
		derived[MaxEvalsKey] = "budget.evaluations"
	}
	fixed := make(map[string]int, len(s.Fixed))
	for _, f := range s.Fixed {
		if by, ok := derived[f.Key]; ok {
			d.fail(f.Line, joinPath("fixed", f.Key), ErrConflict, nil, "setting %q is set by %s", f.Key, by)
			continue
		}
		fixed[f.Key] = f.Line
	}
	setBy := make(map[string]*pendingAxis)
	for _, a := range axes {
		path := joinPath("axes", a.name)
		if a.name == SeedKey {
			d.fail(a.line, path, ErrConflict, nil, "axis name %q is reserved for the replicate seeds (use replicates)", SeedKey)
			continue
		}
		if fl, ok := fixed[a.name]; ok {
			d.fail(a.line, path, ErrConflict, nil, "%q is both a fixed setting (line %d) and an axis", a.name, fl)
			continue
		}
		for _, key := range a.keyOrder {
			pos := a.keys[key]
			if by, ok := derived[key]; ok {
				d.fail(pos.line, pos.path, ErrConflict, nil, "setting %q is set by %s", key, by)
			} else if fl, ok := fixed[key]; ok {
				d.fail(pos.line, pos.path, ErrConflict, nil, "setting %q is also a fixed setting (line %d)", key, fl)
			} else if b, ok := setBy[key]; ok {
				d.fail(pos.line, pos.path, ErrConflict, nil, "setting %q is also set by axis %q (line %d)", key, b.name, b.keys[key].line)
			} else {
				setBy[key] = a
			}
		}
	}
}

// checkSize checks the grid size against the limit before anything
// proportional to it is allocated.
func (d *decoder) checkSize(axes []*pendingAxis, seeds seedSpec, limit, ln int) bool {
	lens := make([]int64, len(axes))
	for i, a := range axes {
		lens[i] = a.len()
	}
	if _, ok := gridSize(lens, seeds.len(), limit); ok {
		return true
	}
	names := make([]string, len(axes))
	for i, a := range axes {
		names[i] = a.name
	}
	e := tooManyTrials(d.file, ln, names, lens, seeds.len(), limit)
	d.fail(e.Line, e.Path, e.Kind, nil, "%s", e.Msg)
	return false
}
