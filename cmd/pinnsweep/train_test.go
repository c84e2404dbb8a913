package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainCommandJSON(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := dispatch([]string{"train", "--pde", "convection", "--beta", "2", "--nf", "100", "--layers", "2-10-10-1",
		"--max-iters", "20", "--seed", "1", "--json", "--out", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"rel_l2", "abs_err", "linf_rel", "loss", "residual_grid", "evals", "iterations", "seconds", "status"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	cfg := res["config"].(map[string]any)
	if cfg["beta"].(float64) != 2 || len(cfg["layers"].([]any)) != 2 {
		t.Errorf("flags not applied: %v", cfg)
	}
	b, err := os.ReadFile(filepath.Join(dir, "fields.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 256*100+1 {
		t.Errorf("fields.csv has %d lines, want %d", lines, 256*100+1)
	}
}

func TestTrainCommandBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--beta", "fast"},
		{"train", "--pde", "burgers"},
		{"train", "--nf", "0"},
		{"train", "--bogus"},
		{"train", "--pde", "reaction", "--rho", "5", "--ic", "sin"},
		{"train", "extra"},
	} {
		var out, errb bytes.Buffer
		code := dispatch(args, &out, &errb)
		msg := errb.String()
		if code != 2 || strings.Count(strings.TrimSpace(msg), "\n") != 0 || msg == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, msg)
		}
	}
}
