package worker

import (
	"fmt"
	"os/exec"
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
