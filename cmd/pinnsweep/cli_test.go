package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelpOnStdout: help goes to stdout with the flags' types and
// defaults, so that `pinnsweep train -h | grep lr` finds the flag.
func TestHelpOnStdout(t *testing.T) {
	code, stdout, stderr := cli("train", "-h")
	if code != 0 || stderr != "" {
		t.Fatalf("train -h: exit %d, stderr %q", code, stderr)
	}
	for _, re := range []string{
		`(?m)^\s+--lr float\s+learning rate .*\(default 1\)$`,
		`(?m)^\s+--layers ints\s+.*\(default 50,50,50,50\)$`,
		`(?m)^\s+--strategy string\s+.*\(default "?regular"?\)$`,
		`(?m)^\s+--fourier-t-raw\s+keep t .*\(default true\)$`,
		`(?m)^\s+--tol-change float\s+.*\(default 1e-07\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("train -h lacks %s:\n%s", re, stdout)
		}
	}
	// help CMD is CMD's help, not the top-level one; so is help CMD SUB.
	_, helpUse, _ := cli("help", "context", "use")
	if !strings.HasPrefix(helpUse, "make NAME the current context") {
		t.Errorf("help context use:\n%s", helpUse)
	}
	_, helpRun, _ := cli("help", "run")
	_, runH, _ := cli("run", "--help")
	if helpRun != runH || !strings.Contains(helpRun, "pinnsweep run SPEC [flags]") || !strings.Contains(helpRun, "--no-report") {
		t.Errorf("help run:\n%s\nrun --help:\n%s", helpRun, runH)
	}
	// report -h states the threshold's default once.
	_, reportH, _ := cli("report", "-h")
	for _, line := range strings.Split(reportH, "\n") {
		if strings.Contains(line, "--threshold") && strings.Count(line, "default") != 1 {
			t.Errorf("report -h: %q", line)
		}
	}
	// No arguments: the command list on stdout, and bad usage.
	code, stdout, _ = cli()
	if code != 2 || !strings.Contains(stdout, "Available Commands:") || !strings.Contains(stdout, "  context ") {
		t.Errorf("no arguments: exit %d\n%s", code, stdout)
	}
}

func TestSuggestions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rnu"}, `pinnsweep: unknown command "rnu" (did you mean run?)`},
		{[]string{"context", "uze"}, `pinnsweep context: unknown command "uze" (did you mean use?)`},
		{[]string{"run", "spec.yaml", "--slot", "2"}, "pinnsweep run: unknown flag: --slot (did you mean --slots?)"},
		{[]string{"status", "--cordinator", "x:1"}, "unknown flag: --cordinator (did you mean --coordinator?)"},
		{[]string{"frobnicate"}, `pinnsweep: unknown command "frobnicate"; run 'pinnsweep --help' for the commands`},
		{[]string{"help", "repot"}, `pinnsweep help: unknown command "repot" (did you mean report?)`},
		{[]string{"help", "context", "uze"}, `unknown command "uze" (did you mean use?)`},
	} {
		code, _, stderr := cli(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestCompletion checks the completion scripts (bash, zsh and fish parse
// them, where installed) and the runtime completion they call.
func TestCompletion(t *testing.T) {
	checkers := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, script, stderr := cli("completion", shell)
		if code != 0 || !strings.Contains(script, "__complete") {
			t.Fatalf("completion %s: exit %d, %q", shell, code, stderr)
		}
		check, ok := checkers[shell]
		if !ok {
			continue
		}
		if _, err := exec.LookPath(check[0]); err != nil {
			// CI installs them (.ci/run) and must not skip.
			if shell == "bash" || os.Getenv("PINNSWEEP_REQUIRE_SHELLS") != "" {
				t.Errorf("%s is not installed: cannot check its completion script", shell)
			} else {
				t.Logf("%s is not installed (apt-get install %s): its completion script is not parsed", shell, shell)
			}
			continue
		}
		path := filepath.Join(t.TempDir(), "pinnsweep."+shell)
		if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(check[0], append(check[1:], path)...).CombinedOutput(); err != nil {
			t.Errorf("%s %v: %v\n%s", check[0], check[1:], err, out)
		}
	}

	complete := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := cli(append([]string{"__complete"}, args...)...)
		if code != 0 {
			t.Fatalf("__complete %v: exit %d %q", args, code, stderr)
		}
		var words []string
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if !strings.HasPrefix(line, ":") { // the last line is the directive
				w, _, _ := strings.Cut(line, "\t")
				words = append(words, w)
			}
		}
		return words
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"st"}, "status"},
		{[]string{"con"}, "context"},
		{[]string{"context", ""}, "use"},
		{[]string{"run", "spec.yaml", "--sl"}, "--slots"},
		{[]string{"report", "s", "--trials", ""}, "median worst"},
		{[]string{"train", "--strategy", ""}, "curriculum seq2seq"},
		{[]string{"status", "--c"}, "--coordinator --context"},
	} {
		got := strings.Join(complete(tc.args...), " ")
		for _, w := range strings.Fields(tc.want) {
			if !strings.Contains(" "+got+" ", " "+w+" ") {
				t.Errorf("__complete %q: %q lacks %s", tc.args, got, w)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := cli("version")
	if code != 0 || !regexp.MustCompile(`^pinnsweep \S+ \(go1\.\S+, revision \S+\)\n$`).MatchString(stdout) {
		t.Errorf("version: %d %q", code, stdout)
	}
	if code, out, _ := cli("--version"); code != 0 || out != stdout {
		t.Errorf("--version: %d %q, want %q", code, out, stdout)
	}
	code, stdout, _ = cli("version", "--json")
	var info map[string]string
	if code != 0 || json.Unmarshal([]byte(stdout), &info) != nil || info["version"] != version || info["go_version"] == "" {
		t.Errorf("version --json: %d %q", code, stdout)
	}
}
