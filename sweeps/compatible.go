package sweeps

import (
	"fmt"
	"slices"
	"strings"
)

// maxListed bounds the number of values one change message lists.
const maxListed = 5

// Compatible reports whether s is a growth of old: a spec whose grid
// contains every trial of old's grid, so that submitting s in place of old
// adds only the trials whose keys are new (the caller computes that set
// difference from Expand and the trial keys).
//
// It returns nil when s has the same name, the same fixed settings, the
// same axes in the same order, the same budget and the same retries as
// old, and every axis value (compared by value or label and by the
// settings it sets) and every seed of old; s may add axis values and
// seeds. Otherwise it returns an error wrapping ErrIncompatible that lists
// every change, such as
//
//	sweeps: incompatible spec change: fixed setting "nf" changed from 1000 to 2000; axis "rho" removed
//
// The runner must not change either: the program, its arguments, workdir
// and env produce the results stored under the trial keys.
//
// The trial limit (max_trials), the refine rules, the failure threshold,
// the metric, the goal and the resources may change freely: they do not
// change which grid trials exist or what they compute (trials already
// added by refinement stay; later refinement follows the new rules). Values are compared in canonical
// form, so 1 and 1.0 are the same value.
func (s *Spec) Compatible(old *Spec) error {
	if old == nil {
		return fmt.Errorf("%w: no old spec", ErrIncompatible)
	}
	var changes []string
	add := func(format string, args ...any) {
		changes = append(changes, fmt.Sprintf(format, args...))
	}
	if s.Name != old.Name {
		add("name changed from %q to %q", old.Name, s.Name)
	}
	if !s.Runner.equal(&old.Runner) {
		add("runner changed from %s to %s", old.Runner.String(), s.Runner.String())
	}

	newFixed := make(map[string]any, len(s.Fixed))
	for _, f := range s.Fixed {
		newFixed[f.Key] = f.Value
	}
	oldFixed := make(map[string]bool, len(old.Fixed))
	for _, f := range old.Fixed {
		oldFixed[f.Key] = true
		nv, ok := newFixed[f.Key]
		if !ok {
			add("fixed setting %q removed", f.Key)
			continue
		}
		if o, n := canonicalString(f.Value), canonicalString(nv); o != n {
			add("fixed setting %q changed from %s to %s", f.Key, o, n)
		}
	}
	for _, f := range s.Fixed {
		if !oldFixed[f.Key] {
			add("fixed setting %q added with value %s", f.Key, canonicalString(f.Value))
		}
	}

	oldNames, newNames := axisNames(old.Axes), axisNames(s.Axes)
	for i, name := range oldNames {
		j := slices.Index(newNames, name)
		if j < 0 {
			add("axis %q removed", name)
			continue
		}
		changes = append(changes, axisChanges(&old.Axes[i], &s.Axes[j])...)
	}
	for _, name := range newNames {
		if !slices.Contains(oldNames, name) {
			add("axis %q added", name)
		}
	}
	if !slices.Equal(oldNames, newNames) && slices.Equal(sorted(oldNames), sorted(newNames)) {
		add("axis order changed from [%s] to [%s]", strings.Join(oldNames, ", "), strings.Join(newNames, ", "))
	}

	newSeeds := make(map[int64]bool, len(s.seeds()))
	for _, seed := range s.seeds() {
		newSeeds[seed] = true
	}
	var removed []string
	for _, seed := range old.seeds() {
		if !newSeeds[seed] {
			removed = append(removed, fmt.Sprint(seed))
		}
	}
	if len(removed) > 0 {
		add("%s removed", listed("seed", "seeds", removed))
	}

	if o, n := old.Budget.Iterations, s.Budget.Iterations; o != n {
		add("budget.iterations changed from %s to %s", budgetString(float64(o)), budgetString(float64(n)))
	}
	if o, n := old.Budget.Evaluations, s.Budget.Evaluations; o != n {
		add("budget.evaluations changed from %s to %s", budgetString(float64(o)), budgetString(float64(n)))
	}
	if o, n := old.Budget.Seconds, s.Budget.Seconds; o != n {
		add("budget.seconds changed from %s to %s", budgetString(o), budgetString(n))
	}
	if old.Retries != s.Retries {
		add("retries changed from %d to %d", old.Retries, s.Retries)
	}

	if len(changes) > 0 {
		return fmt.Errorf("%w: %s", ErrIncompatible, strings.Join(changes, "; "))
	}
	return nil
}

// axisChanges lists the values of old that cur lacks or defines
// differently.
func axisChanges(old, cur *Axis) []string {
	settings := make(map[string]string, len(cur.Values))
	for _, v := range cur.Values {
		settings[canonicalString(v.Value)] = canonicalString(settingsMap(v.Settings))
	}
	var removed, changes []string
	for _, v := range old.Values {
		pv := canonicalString(v.Value)
		ns, ok := settings[pv]
		if !ok {
			removed = append(removed, pv)
			continue
		}
		if was := canonicalString(settingsMap(v.Settings)); was != ns {
			changes = append(changes, fmt.Sprintf("axis %q value %s changed from %s to %s", old.Name, pv, was, ns))
		}
	}
	if len(removed) > 0 {
		changes = append(changes, fmt.Sprintf("axis %q %s removed", old.Name, listed("value", "values", removed)))
	}
	return changes
}

// listed formats a list of items with their noun, eliding all but the
// first maxListed: "value 20", "values 1, 5, 10, 20, 30 and 2 more".
func listed(one, many string, items []string) string {
	if len(items) == 1 {
		return one + " " + items[0]
	}
	if len(items) <= maxListed {
		return many + " " + strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s %s and %d more", many, strings.Join(items[:maxListed], ", "), len(items)-maxListed)
}

// budgetString formats a budget value, zero being unset.
func budgetString(x float64) string {
	if x == 0 {
		return "unset"
	}
	return canonicalString(x)
}

// sorted returns a sorted copy of names.
func sorted(names []string) []string {
	return slices.Sorted(slices.Values(names))
}

// axisNames returns the names of axes.
func axisNames(axes []Axis) []string {
	names := make([]string, len(axes))
	for i, a := range axes {
		names[i] = a.Name
	}
	return names
}
