package sweeps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"
)

// named types exercise the reflection path of CanonicalJSON.
type (
	myInt    int16
	myString string
)

func TestCanonicalJSON(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{"sin", `"sin"`},
		{"a\"b\\c\n\t\x01é", `"a\"b\\c\n\t\u0001é"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"<&>", `"<&>"`}, // no HTML escaping
		{int64(1), `1`},
		{1.0, `1`},
		{json.Number("1.0"), `1`},
		{json.Number("1e2"), `100`},
		{json.Number("18446744073709551615"), `18446744073709551615`},
		{math.Copysign(0, -1), `0`},
		{-3, `-3`},
		{uint8(7), `7`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{myInt(-2), `-2`},
		{myString("x"), `"x"`},
		{float32(0.1), `0.1`},
		{0.1, `0.1`},
		{1e-3, `0.001`},
		{1e-7, `1e-7`},
		{1.5e-10, `1.5e-10`},
		{123456789.125, `123456789.125`},
		{1e20, `100000000000000000000`},
		{1e21, `1e+21`},
		{float64(1 << 62), `4611686018427387904`},
		{-2.5, `-2.5`},
		{math.NaN(), `"NaN"`},
		{math.Inf(1), `"Infinity"`},
		{math.Inf(-1), `"-Infinity"`},
		{[]any{int64(50), 50.0, "x"}, `[50,50,"x"]`},
		{[]int{20, 20}, `[20,20]`},
		{[]any(nil), `[]`},
		{[2]float64{1.5, 2}, `[1.5,2]`},
		{map[string]any{"b": 1, "a": []any{true}, "c": map[string]int{"z": 1, "y": 2}}, `{"a":[true],"b":1,"c":{"y":2,"z":1}}`},
		{map[string]any(nil), `{}`},
		{map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`},
		{new(int), `0`},
		{(*int)(nil), `null`},
		{struct {
			B int `json:"b"`
			A string
		}{1, "x"}, `{"A":"x","b":1}`},
		{Point{{"beta", 1.0}, {"seed", int64(0)}}, `{"beta":1,"seed":0}`},
	}
	for _, tt := range tests {
		if got := canonicalString(tt.v); got != tt.want {
			t.Errorf("canonical(%#v) = %s, want %s", tt.v, got, tt.want)
		}
		if tt.v != nil && !json.Valid([]byte(canonicalString(tt.v))) {
			t.Errorf("canonical(%#v) is not valid JSON", tt.v)
		}
	}
}

func TestCanonicalJSONPanics(t *testing.T) {
	for name, v := range map[string]any{
		"channel": make(chan int),
		"cycle":   func() any { m := map[string]any{}; m["m"] = m; return m }(),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: CanonicalJSON did not panic", name)
				}
			}()
			CanonicalJSON(map[string]any{"v": v})
		}()
	}
}

func TestKeyStability(t *testing.T) {
	same := [][2]map[string]any{
		{{"beta": 1}, {"beta": 1.0}},
		{{"beta": int64(1)}, {"beta": json.Number("1.00")}},
		{{"a": 1, "b": "x", "c": []any{1, 2}}, {"c": []any{1.0, 2.0}, "b": "x", "a": 1}},
		{{"lr": 0.001}, {"lr": 1e-3}},
		{{"nu": 0.0}, {"nu": math.Copysign(0, -1)}},
	}
	for _, p := range same {
		if a, b := Key(p[0]), Key(p[1]); a != b {
			t.Errorf("Key(%v) = %s, Key(%v) = %s; want equal", p[0], a, p[1], b)
		}
	}
	different := [][2]map[string]any{
		{{"beta": 1}, {"beta": 1.0000001}},
		{{"beta": 1}, {"beta": "1"}},
		{{"beta": 1}, {"beta": 1, "seed": 0}},
		{{"layers": []any{20, 20}}, {"layers": []any{20, 20, 20}}},
	}
	for _, p := range different {
		if a, b := Key(p[0]), Key(p[1]); a == b {
			t.Errorf("Key(%v) = Key(%v) = %s; want different", p[0], p[1], a)
		}
	}
}

// TestKeyGolden pins the key of a known params map: trial keys are stored
// by coordinators and must not change between versions.
func TestKeyGolden(t *testing.T) {
	params := map[string]any{"seed": int64(0), "beta": 1.0, "pde": "convection", "layers": []any{int64(50), int64(50)}}
	const canonical = `{"beta":1,"layers":[50,50],"pde":"convection","seed":0}`
	if got := string(CanonicalJSON(params)); got != canonical {
		t.Fatalf("CanonicalJSON = %s, want %s", got, canonical)
	}
	sum := sha256.Sum256([]byte(canonical))
	want := hex.EncodeToString(sum[:])[:KeyLen]
	if got := Key(params); got != want || got != "d45e20f37842b1dc" {
		t.Errorf("Key = %s, want %s", got, want)
	}
}
