package sweeps_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

func ExampleParse() {
	const spec = `
name: demo
fixed: {pde: convection, nf: 100}
axes:
  beta: [1, 10]
  strategy:
    - regular
    - {label: curriculum-5, strategy: curriculum, curriculum_start: 5}
replicates: 2
budget: {iterations: 500, seconds: 60}
`
	s, err := sweeps.Parse("demo.yaml", []byte(spec), sweeps.Options{})
	if err != nil {
		log.Fatal(err)
	}
	trials, err := s.Expand()
	if err != nil {
		log.Fatal(err)
	}
	for _, tr := range trials {
		fmt.Println(tr.Index, tr.Point)
	}
	fmt.Println(string(sweeps.CanonicalJSON(trials[3].Params)))
	fmt.Println("wall time per trial:", s.Budget.Seconds, "s; attempts:", s.MaxAttempts())
	// Output:
	// 0 beta=1 strategy=regular seed=0
	// 1 beta=1 strategy=regular seed=1
	// 2 beta=1 strategy=curriculum-5 seed=0
	// 3 beta=1 strategy=curriculum-5 seed=1
	// 4 beta=10 strategy=regular seed=0
	// 5 beta=10 strategy=regular seed=1
	// 6 beta=10 strategy=curriculum-5 seed=0
	// 7 beta=10 strategy=curriculum-5 seed=1
	// {"beta":1,"curriculum_start":5,"max_iters":500,"nf":100,"pde":"convection","seed":1,"strategy":"curriculum"}
	// wall time per trial: 60 s; attempts: 3
}

func ExampleParse_errors() {
	const spec = `name: demo
fixed:
  nf: lots
axes:
  beta: [1, 5]
replicate: 3
`
	validate := func(key string, value any) error {
		if _, ok := value.(int64); key == "nf" && !ok {
			return fmt.Errorf("setting %q: want an integer, got %q", key, value)
		}
		return nil
	}
	_, err := sweeps.Parse("demo.yaml", []byte(spec), sweeps.Options{Validate: validate})
	fmt.Println(err)
	fmt.Println(errors.Is(err, sweeps.ErrUnknownKey), errors.Is(err, sweeps.ErrSetting))
	// Output:
	// demo.yaml:3: fixed.nf: setting "nf": want an integer, got "lots"
	// demo.yaml:6: unknown key "replicate" (known: name, runner, fixed, axes, replicates, budget, retries, max_trials, refine, failure_threshold, metric, goal, resources)
	// true true
}

func ExampleKey() {
	a := map[string]any{"beta": 1, "pde": "convection"}
	b := map[string]any{"pde": "convection", "beta": 1.0}
	fmt.Println(string(sweeps.CanonicalJSON(b)))
	fmt.Println(sweeps.Key(a) == sweeps.Key(b), len(sweeps.Key(a)))
	// Output:
	// {"beta":1,"pde":"convection"}
	// true 16
}

func ExampleSpec_Compatible() {
	parse := func(src string) *sweeps.Spec {
		s, err := sweeps.Parse("s.yaml", []byte(src), sweeps.Options{})
		if err != nil {
			log.Fatal(err)
		}
		return s
	}
	old := parse("name: s\nfixed: {nf: 1000}\naxes: {beta: [1, 5]}\n")
	grown := parse("name: s\nfixed: {nf: 1000}\naxes: {beta: [1, 5, 10]}\nreplicates: 2\n")
	changed := parse("name: s\nfixed: {nf: 2000}\naxes: {beta: [1, 10]}\n")

	fmt.Println(grown.Compatible(old))
	fmt.Println(changed.Compatible(old))

	// The trials to add are those whose keys are new.
	oldTrials, _ := old.Expand()
	known := make(map[string]bool)
	for _, tr := range oldTrials {
		known[tr.Key] = true
	}
	newTrials, _ := grown.Expand()
	for _, tr := range newTrials {
		if !known[tr.Key] {
			fmt.Println("new:", tr.Point)
		}
	}
	// Output:
	// <nil>
	// sweeps: incompatible spec change: fixed setting "nf" changed from 1000 to 2000; axis "beta" value 5 removed
	// new: beta=1 seed=1
	// new: beta=5 seed=1
	// new: beta=10 seed=0
	// new: beta=10 seed=1
}
