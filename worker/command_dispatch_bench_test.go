package worker_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/worker"
)

// BenchmarkDispatchCommand compares, in one run, the dispatch of
// dispatchGrid no-op command trials with that of dispatchGrid built-in
// no-op trials (NoopRunner, the cheapest built-in trial), with 2 workers
// × 4 slots over gRPC on loopback and bbolt as in BenchmarkDispatch
// (group commit, next trial in Complete: the defaults).
//
//   - runner=builtin: NoopRunner in the worker's process.
//   - runner=sh: each trial runs /bin/sh through the CommandRunner (trial
//     directory, params file, the shim, the program, the output pumps,
//     the result parsed from the last stdout line); the script appends
//     the trial's identity to a file, from which the benchmark counts the
//     runs, and prints its result.
//   - runner=python: the same with python3 -c, the interpreter a user's
//     program starts (without its imports).
//
// The shim is the test binary, which is a shim the way pinnsweep is
// (internal/trialshim). Each iteration submits a fresh sweep.
func BenchmarkDispatchCommand(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("command trials run on Linux only")
	}
	const slots = 4
	b.Run("runner=builtin", func(b *testing.B) {
		benchmarkDispatch(b, slots, coordinator.DefaultMaxBatch, true)
	})
	sh, err := exec.LookPath("sh")
	if err != nil {
		b.Fatal(err)
	}
	// The script and the program print {"rel_l2": 0}; {{ and }} are the
	// spec's literal braces.
	programs := []struct {
		name string
		argv func(program string) []string
		find []string
	}{
		{"sh", func(p string) []string {
			return []string{p, "-c", `echo {n}-{i} >> runs.txt; echo '{{"rel_l2": 0}}'`}
		}, []string{sh}},
		{"python", func(p string) []string {
			return []string{p, "-c", `import sys; open("runs.txt", "a").write(sys.argv[1] + "\n"); print('{{"rel_l2": 0}}')`, "{n}-{i}"}
		}, []string{"/usr/bin/python3", "python3"}},
	}
	for _, pr := range programs {
		var program string
		for _, p := range pr.find {
			if path, err := exec.LookPath(p); err == nil {
				program = path
				break
			}
		}
		b.Run("runner="+pr.name, func(b *testing.B) {
			if program == "" {
				b.Skipf("no %s", pr.name)
			}
			dir := b.TempDir()
			cr, err := worker.NewCommandRunner(worker.CommandOptions{Allow: []string{program}, Dir: filepath.Join(dir, "work")})
			if err != nil {
				b.Fatal(err)
			}
			runs := filepath.Join(dir, "runs.txt")
			runDispatch(b, dispatchCase{slots: slots, maxBatch: coordinator.DefaultMaxBatch, next: true,
				spec:      func(name string, n int) []byte { return commandDispatchSpec(name, n, dir, pr.argv(program)) },
				configure: func(o *worker.Options) { o.Runner, o.Command = worker.NoopRunner{}, cr }, // a worker needs both
				runs: func() map[string]int {
					data, err := os.ReadFile(runs)
					if err != nil {
						b.Fatal(err)
					}
					out := map[string]int{}
					for _, l := range strings.Fields(string(data)) {
						out[l]++
					}
					return out
				}})
		})
	}
}

// commandDispatchSpec returns a command sweep of dispatchGrid trials (an
// axis i) of iteration n, running argv in dir.
func commandDispatchSpec(name string, n int, dir string, argv []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nrunner:\n  command: [", name)
	for i, a := range argv {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", a)
	}
	fmt.Fprintf(&b, "]\n  workdir: %q\nfixed:\n  n: %d\naxes:\n  i: ", dir, n)
	writeGridAxis(&b)
	return []byte(b.String())
}
