package sweeps

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// KeyLen is the length of a trial key: the first KeyLen lowercase hex
// digits (KeyLen/2 bytes) of a SHA-256 digest.
const KeyLen = 16

// maxDepth bounds the nesting of a value given to CanonicalJSON, which
// otherwise would recurse forever on a cyclic value.
const maxDepth = 100

// CanonicalJSON returns the canonical JSON encoding of params, the text
// trial keys are computed from. The encoding is a function of the values
// alone, stable across processes, platforms and Go versions:
//
//   - object keys are sorted by byte order, with no whitespace anywhere;
//   - a number is written as its exact decimal integer when it is integral
//     and smaller than 1e21 in magnitude, whatever its Go type, so int64(1),
//     float64(1) and json.Number("1.0") all encode as 1 (and -0 as 0);
//     other numbers use the shortest text that round-trips, in the format
//     of ECMAScript's Number.prototype.toString (as encoding/json does:
//     0.001, 1e-7, 1e+21);
//   - the non-finite floats NaN, +Inf and -Inf, which JSON cannot
//     represent, are written as the strings "NaN", "Infinity" and
//     "-Infinity";
//   - strings escape only '"', '\\' and control characters, and replace
//     invalid UTF-8 with U+FFFD;
//   - nil slices encode as [] and nil maps as {}.
//
// Besides the types Parse produces (int64, float64, string, bool, []any),
// params may hold any Go integer or float type, json.Number, slices,
// arrays, maps with string keys, pointers, and values that encoding/json
// can marshal. CanonicalJSON panics on a value that encoding/json cannot
// marshal (a channel, a function) or that nests more than 100 levels deep
// (a cyclic map).
func CanonicalJSON(params map[string]any) []byte {
	return appendCanonical(nil, params, 0)
}

// Key returns the key of a trial with the given params: the first KeyLen
// lowercase hex digits of the SHA-256 digest of CanonicalJSON(params).
// Params that differ only in map order or number representation (1 and 1.0)
// have the same key.
func Key(params map[string]any) string {
	return keyOf(CanonicalJSON(params))
}

// keyOf returns the key of a canonical encoding.
func keyOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:KeyLen/2])
}

// canonicalString returns the canonical JSON encoding of one value.
func canonicalString(v any) string {
	return string(appendCanonical(nil, v, 0))
}

// appendCanonical appends the canonical JSON encoding of v to b.
func appendCanonical(b []byte, v any, depth int) []byte {
	if depth > maxDepth {
		panic("sweeps: CanonicalJSON: value nested too deeply (cyclic?)")
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendString(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return appendFloat(b, x)
	case float32:
		// Use the shortest decimal of the float32, so float32(0.1)
		// encodes as 0.1 rather than 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return appendFloat(b, f)
	case json.Number:
		return appendNumber(b, string(x))
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e, depth+1)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendCanonical(b, x[k], depth+1)
		}
		return append(b, '}')
	case json.Marshaler, encoding.TextMarshaler:
		return appendMarshaled(b, v, depth)
	}
	return appendReflect(b, reflect.ValueOf(v), depth)
}

// appendReflect encodes the values the type switch of appendCanonical does
// not list: other integer types, named basic types, slices, arrays, maps,
// pointers and structs.
func appendReflect(b []byte, rv reflect.Value, depth int) []byte {
	switch rv.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(b, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, rv.Uint(), 10)
	case reflect.Float32:
		return appendCanonical(b, float32(rv.Float()), depth)
	case reflect.Float64:
		return appendFloat(b, rv.Float())
	case reflect.String:
		return appendString(b, rv.String())
	case reflect.Slice, reflect.Array:
		b = append(b, '[')
		for i := range rv.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, rv.Index(i).Interface(), depth+1)
		}
		return append(b, ']')
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return appendMarshaled(b, rv.Interface(), depth)
		}
		m := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[it.Key().String()] = it.Value().Interface()
		}
		return appendCanonical(b, m, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(b, "null"...)
		}
		return appendCanonical(b, rv.Elem().Interface(), depth+1)
	}
	return appendMarshaled(b, rv.Interface(), depth)
}

// appendMarshaled encodes v with encoding/json, decodes the result and
// appends its canonical encoding.
func appendMarshaled(b []byte, v any, depth int) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sweeps: CanonicalJSON: %v", err))
	}
	var decoded any
	if err := unmarshalNumbers(data, &decoded); err != nil {
		panic(fmt.Sprintf("sweeps: CanonicalJSON: %v", err))
	}
	return appendCanonical(b, decoded, depth+1)
}

// appendFloat appends the canonical encoding of a float64.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	case f == 0:
		return append(b, '0')
	}
	abs := math.Abs(f)
	if f == math.Trunc(f) && abs < 1e21 {
		// The exact integer, as an integer type would print it.
		return strconv.AppendFloat(b, f, 'f', 0, 64)
	}
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as ECMAScript and encoding/json do.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendNumber appends the canonical encoding of a JSON number's text.
// Text that is not a number is encoded as a string.
func appendNumber(b []byte, s string) []byte {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.AppendInt(b, n, 10)
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return strconv.AppendUint(b, n, 10)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return appendString(b, s)
	}
	return appendFloat(b, f)
}

// appendString appends s as a JSON string, escaping only what JSON
// requires.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
