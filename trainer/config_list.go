package trainer

import (
	"fmt"
	"reflect"
	"strings"
)

// assignStrings sets a []string setting (diagnostics) from a decoded list
// of strings or from a comma-separated string (a command-line value; an
// empty string gives the empty list).
func assignStrings(f reflect.Value, value any) error {
	var out []string
	switch x := value.(type) {
	case []any:
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				return fmt.Errorf("want a list of names, got the item %v (%T)", it, it)
			}
			out = append(out, s)
		}
	case []string:
		out = append(out, x...)
	case string:
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	default:
		return fmt.Errorf("want a list of names, got %v (%T)", value, value)
	}
	f.Set(reflect.ValueOf(out))
	return nil
}
