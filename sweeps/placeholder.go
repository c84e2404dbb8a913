package sweeps

import (
	"fmt"
	"strings"
)

// Placeholders returns the names of the {name} placeholders in s, in order
// of appearance (a name used twice is listed twice). In s, "{{" and "}}"
// stand for literal braces; any other brace must open or close a
// placeholder whose name is a setting name (a letter or _, then letters,
// digits, _ . -; at most 64 characters). A malformed template is an error
// wrapping ErrValue that says where the problem is.
func Placeholders(s string) ([]string, error) {
	var names []string
	err := scanTemplate(s, func(lit string) {}, func(name string) { names = append(names, name) })
	return names, err
}

// ExpandPlaceholders returns s with every placeholder replaced by
// FormatValue of the params value of that name, and "{{" and "}}" by
// single braces. The result is one string: a placeholder never splits or
// joins argv elements and is never seen by a shell. A malformed template
// or a name missing from params is an error wrapping ErrValue.
func ExpandPlaceholders(s string, params map[string]any) (string, error) {
	var b strings.Builder
	var missing []string
	err := scanTemplate(s, func(lit string) { b.WriteString(lit) }, func(name string) {
		v, ok := params[name]
		if !ok {
			missing = append(missing, name)
			return
		}
		b.WriteString(FormatValue(v))
	})
	switch {
	case err != nil:
		return "", err
	case len(missing) > 0:
		return "", fmt.Errorf("%w: unknown placeholder {%s} in %q (the trial has no setting %q)", ErrValue, missing[0], s, missing[0])
	}
	return b.String(), nil
}

// FormatValue is how a setting value is written into a command: a string
// as it is, a number in canonical form (1, 0.001, 1e-7: integral numbers
// without a fraction, as in trial keys), a bool as true or false, and a
// list as canonical JSON ([50,50,50], ["a","b"]).
func FormatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return canonicalString(v)
}

// scanTemplate splits s into literal text and placeholder names, calling
// lit and name in order.
func scanTemplate(s string, lit, name func(string)) error {
	start := 0 // start of the pending literal
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '{' && c != '}' {
			continue
		}
		if i+1 < len(s) && s[i+1] == c { // {{ or }}: one literal brace
			lit(s[start : i+1])
			i++
			start = i + 1
			continue
		}
		if c == '}' {
			return fmt.Errorf("%w: unmatched '}' at byte %d of %q (write }} for a literal brace)", ErrValue, i, s)
		}
		end := strings.IndexByte(s[i+1:], '}')
		if end < 0 {
			return fmt.Errorf("%w: unclosed '{' at byte %d of %q (write {{ for a literal brace)", ErrValue, i, s)
		}
		n := s[i+1 : i+1+end]
		if len(n) > maxSettingLen || !settingPattern.MatchString(n) {
			return fmt.Errorf("%w: invalid placeholder {%s} in %q (want {name} with a setting name, or {{ and }} for literal braces)", ErrValue, n, s)
		}
		lit(s[start:i])
		name(n)
		i += end + 1
		start = i + 1
	}
	lit(s[start:])
	return nil
}
