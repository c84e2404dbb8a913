package worker

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkCommandTrial measures the worker's overhead per command trial:
// a no-op program (sh printing a result line) run through the
// CommandRunner — trial directory, params file, the shim's fork and exec,
// the program's, the output pumps, result parsing — against the program
// alone started by os/exec, and NoopRunner, in the same run. The shim is
// the test binary, which starts like pinnsweep.
func BenchmarkCommandTrial(b *testing.B) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		b.Skip("no sh")
	}
	r, err := NewCommandRunner(CommandOptions{Allow: []string{sh}, Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	cmd := Command{Argv: []string{sh, "-c", `echo '{{"rel_l2": 0}}'`}}
	b.Run("command", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			o, err := r.Run(b.Context(), CommandTrial{Sweep: "bench", Key: fmt.Sprintf("k%d", i), Token: 1, Params: `{"seed":0}`, Command: cmd}, func(int64, float64) {})
			if err != nil || o.Status != StatusDone {
				b.Fatalf("%+v %v", o, err)
			}
		}
	})
	b.Run("exec", func(b *testing.B) { // the program alone, started by os/exec
		for b.Loop() {
			if out, err := exec.Command(sh, "-c", `echo '{"rel_l2": 0}'`).Output(); err != nil || len(out) == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("noop", func(b *testing.B) {
		for b.Loop() {
			if o, err := (NoopRunner{}).Run(b.Context(), `{"seed":0}`, func(int64, float64) {}); err != nil || o.Status != StatusDone {
				b.Fatalf("%+v %v", o, err)
			}
		}
	})
}

// BenchmarkShimStart measures the trial shim's start cost: the shim run
// through runProcess, exactly as a trial runs it (pipes, a locked thread,
// the status protocol), with /bin/true as the program, against /bin/true
// alone started by os/exec in the same run. The shims are this test binary
// and the binaries named in $PINNSWEEP_BENCH_SHIMS (NAME=PATH, comma
// separated; e.g. pinnsweep binaries built before and after a change):
//
//	go build -o /tmp/new ./cmd/pinnsweep
//	PINNSWEEP_BENCH_SHIMS=new=/tmp/new go test -run '^$' -bench ShimStart ./worker/
func BenchmarkShimStart(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("the trial shim runs on Linux only")
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true")
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	shims := [][2]string{{"test-binary", self}}
	if env := os.Getenv("PINNSWEEP_BENCH_SHIMS"); env != "" {
		for _, kv := range strings.Split(env, ",") {
			name, path, ok := strings.Cut(kv, "=")
			if !ok {
				b.Fatalf("PINNSWEEP_BENCH_SHIMS: %q is not NAME=PATH", kv)
			}
			shims = append(shims, [2]string{name, path})
		}
	}
	dir := b.TempDir()
	for _, s := range shims {
		path, err := filepath.Abs(s[1])
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewCommandRunner(CommandOptions{Allow: []string{truePath}, Dir: dir, Shim: path})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("shim="+s[0], func(b *testing.B) {
			p := procSpec{path: truePath, argv: []string{"true"}, env: os.Environ(), dir: dir}
			for b.Loop() {
				if e := r.runProcess(b.Context(), p, io.Discard, io.Discard); !e.exited || e.code != 0 || e.startErr != "" {
					b.Fatalf("%+v", e)
				}
			}
		})
	}
	b.Run("exec", func(b *testing.B) { // the program alone
		for b.Loop() {
			if err := exec.Command(truePath).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
