package model

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// requireTools skips the test when spin or gcc is missing (spin runs
// gcc -E as its preprocessor; gcc also compiles the verifier), unless
// PINNSWEEP_REQUIRE_SPIN=1 (set by .ci/run and make model), where a skip
// would hide a broken protocol: then it fails.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, name := range []string{"spin", "gcc"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := strings.Join(missing, " and ") + " not found on PATH (Debian: apt-get install spin gcc)"
	if os.Getenv("PINNSWEEP_REQUIRE_SPIN") == "1" {
		t.Fatal(msg + ", and PINNSWEEP_REQUIRE_SPIN=1")
	}
	t.Skip(msg + ": skipping the model check")
}

// search is one run of Spin's verifier pan over lease.pml.
type search struct {
	// defines are the bounds and switches given to spin as -DNAME[=VALUE].
	defines []string
	// liveness searches for runs that never reach ltl eventually_final
	// (pan -a: acceptance cycles, terminal states included), with the
	// Quiescence assertions off (NO_QUIESCENCE) so that the verdict rests
	// on the ltl property alone; otherwise the search checks the safety
	// properties: assertions and invalid end states.
	liveness bool
	// opt is gcc's optimisation flag: -O0 (the default) compiles
	// fastest, which pays for small searches; -O2 searches fastest.
	opt string
	// hashBits sizes pan's hash table (pan -wN); 0: pan's default.
	hashBits int
	// memLimitMB stops pan when it would use more memory (-DMEMLIM); the
	// search then fails as incomplete.
	memLimitMB int
	// shortest has pan search on for shorter counterexamples (pan -i),
	// for readable ones. pan reports the first it finds and keeps the
	// trail of the shortest, which may violate another property: the
	// replayed trail names it.
	shortest bool
}

// outcome is what a search reported.
type outcome struct {
	Errors      int
	Violation   string // pan's report of the first error
	Property    string // the violated property's name (of the kept trail), "invalid end state" or "acceptance cycle"
	States      int64  // states stored
	Transitions int64
	Depth       int
	VectorBytes int
	MemoryMB    float64 // pan's total actual memory usage
	Seconds     float64 // pan's elapsed time
	Incomplete  string  // why the search was not exhaustive; "" when it was
	Trail       string  // the replayed counterexample, when there is one
	Output      string  // pan's output
}

// The lines of pan's report that a search reads.
var (
	reErrors     = regexp.MustCompile(`State-vector (\d+) byte, depth reached (\d+), errors: (\d+)`)
	reStates     = regexp.MustCompile(`(?m)^\s*([\d.e+]+) states, stored`) // %g: 1.2e+07 when large
	reTrans      = regexp.MustCompile(`(?m)^\s*([\d.e+]+) transitions \(= `)
	reMemory     = regexp.MustCompile(`(?m)^\s*([\d.]+)\s+total actual memory usage`)
	reElapsed    = regexp.MustCompile(`pan: elapsed time ([\d.e+]+) seconds`)
	reViolation  = regexp.MustCompile(`(?m)^pan:\d+: (.*?)(?: \(at depth \d+\))?$`)
	reAssertName = regexp.MustCompile(`^assertion violated \(+([a-z_]+)\|\|`)
	reReplayed   = regexp.MustCompile(`(?m)^spin: text of failed assertion: assert\(+([a-z_]+)\|\|`)
)

// run compiles and runs the search in a temporary directory and parses
// pan's report. A counterexample is replayed with spin -t, whose printf
// narrative tells its story.
func (s search) run(t *testing.T) outcome {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("lease.pml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lease.pml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	var defs []string
	for _, d := range s.defines {
		defs = append(defs, "-D"+d)
	}
	if s.liveness {
		defs = append(defs, "-DNO_QUIESCENCE")
	}
	command(t, dir, "spin", append(append([]string{"-a"}, defs...), "lease.pml")...)
	cflags := []string{cmp.Or(s.opt, "-O0"), "-w", "-o", "pan", "pan.c"}
	if !s.liveness {
		cflags = append([]string{"-DSAFETY", "-DNOCLAIM"}, cflags...)
	}
	if s.memLimitMB > 0 {
		cflags = append([]string{"-DMEMLIM=" + strconv.Itoa(s.memLimitMB)}, cflags...)
	}
	command(t, dir, "gcc", cflags...)
	args := []string{"-m100000", "-n"}
	if s.liveness {
		args = append(args, "-a", "-N", "eventually_final")
	}
	if s.hashBits > 0 {
		args = append(args, "-w"+strconv.Itoa(s.hashBits))
	}
	if s.shortest {
		args = append(args, "-i")
	}
	// pan's exit status says nothing about the verdict; its report does.
	// It writes a counterexample's trail into its working directory.
	cmd := exec.CommandContext(t.Context(), filepath.Join(dir, "pan"), args...)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	o := parse(string(out))
	if o.Errors > 0 {
		if _, err := os.Stat(filepath.Join(dir, "lease.pml.trail")); err == nil {
			trail := command(t, dir, "spin", append(append([]string{"-t"}, defs...), "lease.pml")...)
			o.Trail = narrative(trail)
			if m := reReplayed.FindStringSubmatch(trail); m != nil {
				o.Property = m[1] // the kept trail's first failed assertion
			}
		}
	}
	return o
}

// parse reads pan's report.
func parse(out string) outcome {
	o := outcome{Output: out}
	m := reErrors.FindStringSubmatch(out)
	if m == nil {
		o.Incomplete = "pan printed no verdict"
		return o
	}
	o.VectorBytes, _ = strconv.Atoi(m[1])
	o.Depth, _ = strconv.Atoi(m[2])
	o.Errors, _ = strconv.Atoi(m[3])
	o.States = count(reStates, out)
	o.Transitions = count(reTrans, out)
	if m := reMemory.FindStringSubmatch(out); m != nil {
		o.MemoryMB, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reElapsed.FindStringSubmatch(out); m != nil {
		o.Seconds, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reViolation.FindStringSubmatch(out); m != nil {
		o.Violation = m[1]
		switch {
		case strings.HasPrefix(o.Violation, "assertion violated"):
			if n := reAssertName.FindStringSubmatch(o.Violation); n != nil {
				o.Property = n[1]
			}
		case strings.HasPrefix(o.Violation, "invalid end state"):
			o.Property = "invalid end state"
		case strings.Contains(o.Violation, "acceptance cycle"):
			o.Property = "acceptance cycle"
		}
	}
	switch {
	case strings.Contains(out, "max search depth too small"):
		o.Incomplete = "the search depth (-m) was too small"
	case strings.Contains(out, "reached -DMEMLIM bound"), strings.Contains(out, "out of memory"):
		o.Incomplete = "pan ran out of memory (-DMEMLIM)"
	case o.Errors == 0 && strings.Contains(out, "Search not completed"):
		o.Incomplete = "pan did not complete the search"
	}
	return o
}

// count reads the number the first group of re matches in out, which pan
// prints in %g format (so 1.2e+07 for large ones).
func count(re *regexp.Regexp, out string) int64 {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return int64(f)
}

// narrative keeps, of a replayed trail, the model's printf lines and
// Spin's error report, without the dump of every variable.
func narrative(trail string) string {
	var b strings.Builder
	for line := range strings.Lines(trail) {
		switch {
		case strings.HasPrefix(line, "#processes:"):
			return b.String()
		case strings.HasPrefix(line, "\t\t"), strings.HasPrefix(line, "ltl "),
			strings.HasPrefix(line, "spin: trail ends"), strings.TrimSpace(line) == "":
			continue
		}
		b.WriteString(strings.TrimRight(line, " \t\n") + "\n")
	}
	return b.String()
}

// command runs name with args in dir and returns its output; it fails
// the test if the command fails.
func command(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// figures formats an outcome's measurements.
func (o outcome) figures() string {
	return fmt.Sprintf("%d states stored, %d transitions, depth %d, %.1f MB, %.1f s (pan)",
		o.States, o.Transitions, o.Depth, o.MemoryMB, o.Seconds)
}
