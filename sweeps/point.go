package sweeps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Point is a trial's position in the grid: one Coord per axis, in axis
// order, followed by the replicate seed under SeedKey. It is what reports
// and the JSON export show as a trial's "params": a plain axis shows its
// value, a bundle axis its label.
//
// A Point marshals to a JSON object whose keys keep the axis order, such as
// {"beta":5,"strategy":"curriculum-5","seed":2}, with numbers in canonical
// form (see CanonicalJSON).
type Point []Coord

// Coord is one coordinate of a Point.
type Coord struct {
	// Axis is the axis name, or SeedKey for the seed.
	Axis string
	// Value is the axis value or bundle label (an int64, float64, string,
	// bool or []any), or the int64 seed.
	Value any
}

// Get returns the value of the named axis (or SeedKey) and whether p has
// it.
func (p Point) Get(axis string) (any, bool) {
	for _, c := range p {
		if c.Axis == axis {
			return c.Value, true
		}
	}
	return nil, false
}

// String returns p as space-separated axis=value pairs, such as
// "beta=5 strategy=curriculum-5 seed=2". Strings are shown unquoted and
// other values in canonical JSON.
func (p Point) String() string {
	var b strings.Builder
	for i, c := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.Axis)
		b.WriteByte('=')
		b.WriteString(displayValue(c.Value))
	}
	return b.String()
}

// MarshalJSON encodes p as a JSON object with keys in axis order.
func (p Point) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, c := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Axis)
		b = append(b, ':')
		b = appendCanonical(b, c.Value, 1)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes a JSON object into p, keeping the key order.
// Integral numbers that fit an int64 decode as int64, other numbers as
// float64, and arrays as []any, so that a decoded Point equals the one
// Expand made.
func (p *Point) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("sweeps: decoding point: %w", err)
	}
	if tok == nil {
		*p = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("sweeps: decoding point: want a JSON object, got %v", tok)
	}
	var out Point
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("sweeps: decoding point: %w", err)
		}
		key, _ := tok.(string) // object keys are always strings
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("sweeps: decoding point %q: %w", key, err)
		}
		out = append(out, Coord{Axis: key, Value: normalizeNumbers(v)})
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("sweeps: decoding point: %w", err)
	}
	*p = out
	return nil
}

// unmarshalNumbers decodes JSON into v, keeping numbers as json.Number.
func unmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// normalizeNumbers replaces json.Number values in v (recursively) by int64
// when integral and in range, and by float64 otherwise.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := strconv.ParseFloat(string(x), 64) // valid JSON: only range errors, giving ±Inf
		return f
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
		return x
	}
	return v
}

// displayValue formats a value for messages and Point.String: strings
// unquoted, anything else in canonical JSON.
func displayValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return canonicalString(v)
}
