package main

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/trainer"
	"github.com/pinnsweep/pinnsweep/worker"
)

// TestExamplesAgainstTheTrainer parses every shipped spec with the real
// trainer's settings and checks that every trial decodes into a valid
// trainer configuration, and into the one it decoded into before the
// strategies had defaults of their own (the protocol's defaults plus the
// trial's settings): the examples' results, documented in docs/, stand.
func TestExamplesAgainstTheTrainer(t *testing.T) {
	files, err := filepath.Glob("../../sweeps/examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := sweeps.ParseFile(f, specOptions())
			if err != nil {
				t.Fatal(err)
			}
			trials, err := s.Expand()
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range trials {
				cfg, err := worker.DecodeParams(string(sweeps.CanonicalJSON(tr.Params)))
				if err != nil {
					t.Fatalf("trial %s: %v", tr.Point, err)
				}
				if err := cfg.Validate(); err != nil {
					t.Fatalf("trial %s: %v", tr.Point, err)
				}
				before := trainer.DefaultConfig()
				for k, v := range tr.Params {
					if err := before.Set(k, v); err != nil {
						t.Fatal(err)
					}
				}
				before.Threads = cfg.Threads
				if !reflect.DeepEqual(cfg, before) {
					t.Errorf("trial %s: the strategy defaults change its settings:\n now    %+v\n before %+v", tr.Point, cfg, before)
				}
			}
		})
	}
}
