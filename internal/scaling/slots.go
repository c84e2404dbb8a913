package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// slotsSpec is the sweep of the slots benchmark: the paper configuration
// (convection β = 1, 2-50-50-50-50-1 tanh, N_f = 1000, L-BFGS) with the
// stopping tolerances off, so that every trial stops at exactly the same
// number of loss evaluations; the trials differ only in their seed.
const slotsSpec = `name: scaling
fixed:
  pde: convection
  ic: sin
  beta: 1
  nf: 1000
  layers: [50, 50, 50, 50]
  optimizer: lbfgs
  lr: 1
  strategy: regular
  tol_change: 0
  tol_grad: 0
replicates: %d
budget: {evaluations: %d, seconds: 3600}
retries: 0
`

// slotsRun is one `pinnsweep run` of the slots benchmark.
type slotsRun struct {
	slots    int
	wall     time.Duration
	trialSec float64       // mean seconds per trial, from the results
	cpu      time.Duration // user + system CPU time of the run
	load     string        // load average before the run
}

// runSlots implements `scaling slots`.
func runSlots(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("slots", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin/pinnsweep", "the pinnsweep `binary`")
	maxSlots := fs.Int("max-slots", runtime.NumCPU(), "largest slot count of 1, 2, 4, 8, 16 to run")
	trials := fs.Int("trials", 0, "trials per run (default 4 × the largest slot count, at least 8)")
	evals := fs.Int("evals", 400, "loss evaluations per trial")
	reps := fs.Int("reps", 1, "runs per slot count, interleaved; the table shows the median")
	keep := fs.String("dir", "", "work `dir`ectory (default: a temporary one, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var counts []int
	for _, s := range []int{1, 2, 4, 8, 16} {
		if s <= *maxSlots {
			counts = append(counts, s)
		}
	}
	switch {
	case len(counts) == 0:
		return fmt.Errorf("-max-slots %d: must be at least 1", *maxSlots)
	case *evals < 1 || *reps < 1:
		return errors.New("-evals and -reps must be at least 1")
	}
	if *trials == 0 {
		*trials = max(8, 4*counts[len(counts)-1])
	}
	dir, cleanup, err := workDir(*keep)
	if err != nil {
		return err
	}
	defer cleanup()
	spec := filepath.Join(dir, "scaling.yaml")
	if err := os.WriteFile(spec, fmt.Appendf(nil, slotsSpec, *trials, *evals), 0o644); err != nil {
		return err
	}

	runs := map[int][]slotsRun{}
	for rep := range *reps {
		for _, s := range counts {
			fmt.Fprintf(stderr, "rep %d: %d trials × %d evaluations with %d slots (load %s) ...\n",
				rep+1, *trials, *evals, s, loadAvg())
			r, err := runSlotsOnce(*bin, spec, filepath.Join(dir, fmt.Sprintf("r%d-s%d", rep, s)), s, *trials, *evals)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "  %.1f s, %.3f trials/s, %.2f s per trial, %.2f CPU s per trial\n", r.wall.Seconds(),
				float64(*trials)/r.wall.Seconds(), r.trialSec, r.cpu.Seconds()/float64(*trials))
			runs[s] = append(runs[s], r)
		}
	}

	host, _ := os.Hostname()
	fmt.Fprintf(stdout, "\n%s, %d CPUs, %s, %d trials × %d evaluations, median of %d, load average at the end %s\n\n",
		host, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02 15:04 UTC"), *trials, *evals, *reps, loadAvg())
	fmt.Fprintln(stdout, "| slots | wall s | trials/s | parallel efficiency | s per trial | CPU s per trial | load before |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|")
	var base float64
	for _, s := range counts {
		r := median(runs[s])
		tput := float64(*trials) / r.wall.Seconds()
		if s == 1 {
			base = tput
		}
		note := ""
		if s > runtime.NumCPU() {
			note = " (oversubscribed)"
		}
		fmt.Fprintf(stdout, "| %d%s | %.1f | %.3f | %.0f%% | %.2f | %.2f | %s |\n", s, note, r.wall.Seconds(), tput,
			100*tput/(float64(s)*base), r.trialSec, r.cpu.Seconds()/float64(*trials), r.load)
	}
	return nil
}

// runSlotsOnce runs the spec with `pinnsweep run --slots slots` on a fresh
// database in dir and checks that every trial ended done after exactly
// evals evaluations, so that the runs compared did the same work.
func runSlotsOnce(bin, spec, dir string, slots, trials, evals int) (slotsRun, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return slotsRun{}, err
	}
	r := slotsRun{slots: slots, load: loadAvg()}
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", spec, "--slots", strconv.Itoa(slots),
		"--db", filepath.Join(dir, "pinnsweep.db"), "--out", out, "--log-level", "error", "--no-report")
	start := time.Now()
	b, err := cmd.CombinedOutput()
	r.wall = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, b)
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		return r, err
	}
	var results []struct {
		Status string  `json:"status"`
		Secs   float64 `json:"seconds"`
		Result struct {
			Evals int `json:"evals"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &results); err != nil {
		return r, fmt.Errorf("results.json: %w", err)
	}
	if len(results) != trials {
		return r, fmt.Errorf("results.json has %d trials, want %d", len(results), trials)
	}
	for i, t := range results {
		if t.Status != "done" || t.Result.Evals != evals {
			return r, fmt.Errorf("trial %d: status %s after %d evaluations, want done after %d", i, t.Status, t.Result.Evals, evals)
		}
		r.trialSec += t.Secs / float64(trials)
	}
	return r, nil
}

// median returns the run with the median wall time.
func median(runs []slotsRun) slotsRun {
	s := append([]slotsRun(nil), runs...)
	sort.Slice(s, func(i, j int) bool { return s[i].wall < s[j].wall })
	return s[len(s)/2]
}

// workDir returns dir (created) or a new temporary directory, and a
// function that removes the temporary one.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", "pinnsweep-scaling-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
