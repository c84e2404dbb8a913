package sweeps

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestPointJSON(t *testing.T) {
	p := Point{
		{"beta", 5.0},
		{"strategy", "curriculum-5"},
		{"layers", []any{int64(20), int64(20)}},
		{"lr", 0.001},
		{"seed", int64(2)},
	}
	const want = `{"beta":5,"strategy":"curriculum-5","layers":[20,20],"lr":0.001,"seed":2}`
	data, err := json.Marshal(p)
	if err != nil || string(data) != want {
		t.Fatalf("json.Marshal = %s, %v; want %s", data, err, want)
	}
	var back Point
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	// 5.0 comes back as int64(5): equal in canonical form.
	if string(mustMarshal(t, back)) != want || back[0].Value != int64(5) || back[3].Value != 0.001 {
		t.Errorf("round trip = %#v", back)
	}

	// A Point inside a Trial, as a coordinator would store it.
	trials := mustExpand(t, mustParse(t, "name: x\naxes: {beta: [1, 2.5], ic: [sin]}\n"))
	data = mustMarshal(t, trials)
	var decoded []Trial
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	for i := range trials {
		if !reflect.DeepEqual(decoded[i].Point, trials[i].Point) || decoded[i].Key != trials[i].Key ||
			Key(decoded[i].Params) != trials[i].Key {
			t.Errorf("trial %d: decoded %+v, want %+v", i, decoded[i], trials[i])
		}
	}

	for _, bad := range []string{`[1]`, `{"a":}`, `{"a":1`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
	if err := json.Unmarshal([]byte(`null`), &back); err != nil || back != nil {
		t.Errorf("Unmarshal(null) = %v, %v", back, err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPointStringAndGet(t *testing.T) {
	p := Point{{"beta", 1.5}, {"ic", "sin"}, {"layers", []any{int64(20)}}, {"seed", int64(0)}}
	if got, want := p.String(), "beta=1.5 ic=sin layers=[20] seed=0"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if v, ok := p.Get("ic"); !ok || v != "sin" {
		t.Errorf("Get(ic) = %v, %v", v, ok)
	}
	if _, ok := p.Get("nu"); ok {
		t.Errorf("Get(nu) found a value")
	}
}
