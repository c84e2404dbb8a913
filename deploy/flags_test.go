package deploy

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// invocation is one `pinnsweep SUBCOMMAND --flag...` found in a recipe.
type invocation struct {
	where string // file:line
	sub   string
	flags []string
}

// authFlags are the flags of the authentication work, merged from another
// branch; the recipes use them already. If the binary lacks them, the test
// names them as expected from that merge.
var authFlags = map[string][]string{
	"serve":  {"admin-token-file", "worker-token-file", "tls-cert", "tls-key", "client-ca", "insecure"},
	"work":   {"token-file", "ca", "cert", "key", "server-name"},
	"submit": {"token-file", "ca", "cert", "key", "server-name"},
	"status": {"token-file", "ca", "cert", "key", "server-name"},
	"cancel": {"token-file", "ca", "cert", "key", "server-name"},
	"export": {"token-file", "ca", "cert", "key", "server-name"},
	"certs":  {"out", "hosts"},
}

// builtins are subcommands whose flags the recipes never pass: help, and
// the groups of subcommands (completion, context).
var builtins = []string{"help", "completion", "context"}

var (
	// invocationRE finds pinnsweep in command position (line start or
	// after ; & | ( or exec), as a path ending in /pinnsweep, or as
	// "$PINNSWEEP", followed by a subcommand.
	invocationRE = regexp.MustCompile(`(?:(?:^|[;&|(]|\bexec)\s*pinnsweep|[^\s"'=]*/pinnsweep|"?\$\{?PINNSWEEP\}?"?)\s+([a-z][a-z0-9-]*)`)
	// flagRE finds a --flag (also inside ${VAR:+--flag ...}).
	flagRE = regexp.MustCompile(`(?:^|[\s+"'])--([a-z][a-z0-9-]*)`)
	// commandEnd ends a command within a line.
	commandEnd = regexp.MustCompile(`\s(?:\||;|&&|\|\||&|>|2>|<<<)\s|\s&$|\)$`)
	// helpFlagRE is a flag line of `pinnsweep CMD -h` (pflag's format:
	// "  -h, --help   ..." or "      --db file   ...").
	helpFlagRE = regexp.MustCompile(`^\s+(?:-[a-zA-Z], )?--([a-z][a-z0-9-]*)`)
	// helpCmdRE is a command line in the "Available Commands:" section of
	// `pinnsweep help`.
	helpCmdRE = regexp.MustCompile(`^  ([a-z][a-z0-9-]*)\s`)
)

// shellInvocations returns the invocations in shell text: the logical
// lines (backslash continuations joined) that are not comments. start is
// the line number of the text's first line.
func shellInvocations(file string, text string, start int) []invocation {
	var out []invocation
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		first := i
		line := lines[i]
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + lines[i]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range invocationRE.FindAllStringSubmatchIndex(line, -1) {
			rest := line[m[1]:]
			if e := commandEnd.FindStringIndex(rest); e != nil {
				rest = rest[:e[0]]
			}
			inv := invocation{where: fmt.Sprintf("%s:%d", file, start+first), sub: line[m[2]:m[3]]}
			for _, f := range flagRE.FindAllStringSubmatch(rest, -1) {
				inv.flags = append(inv.flags, f[1])
			}
			out = append(out, inv)
		}
	}
	return out
}

// markdownInvocations returns the invocations in the sh/bash/console code
// blocks of a Markdown file.
func markdownInvocations(file, text string) []invocation {
	var out []invocation
	var block strings.Builder
	in, start := false, 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && (trimmed == "```sh" || trimmed == "```bash" || trimmed == "```console"):
			in, start = true, i+2
			block.Reset()
		case in && trimmed == "```":
			in = false
			out = append(out, shellInvocations(file, block.String(), start)...)
		case in:
			block.WriteString(strings.TrimPrefix(trimmed, "$ ") + "\n")
		}
	}
	return out
}

// manifestInvocations returns the pinnsweep invocations of the manifests'
// containers: the image's entrypoint is pinnsweep, so args[0] is the
// subcommand.
func manifestInvocations(t *testing.T) []invocation {
	c, err := loadCluster(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []invocation
	for _, o := range c.objects {
		for _, ct := range o.Spec.Template.Spec.Containers {
			if !strings.Contains(ct.Image, "pinnsweep") || len(ct.Args) == 0 {
				continue
			}
			inv := invocation{where: fmt.Sprintf("k8s/%s: %s %s, container %s", o.file, o.Kind, o.Metadata.Name, ct.Name), sub: ct.Args[0]}
			for _, a := range ct.Args[1:] {
				if name, ok := strings.CutPrefix(a, "--"); ok {
					name, _, _ = strings.Cut(name, "=")
					inv.flags = append(inv.flags, name)
				}
			}
			out = append(out, inv)
		}
	}
	return out
}

// recipeInvocations collects every invocation of the recipes.
func recipeInvocations(t *testing.T) []invocation {
	invs := manifestInvocations(t)
	files := []string{"slurm/pinnsweep.sbatch", "slurm/workers-array.sbatch", "../Dockerfile",
		"slurm/README.md", "k8s/README.md"}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(f, "../")
		if strings.HasSuffix(f, ".md") {
			invs = append(invs, markdownInvocations(name, string(raw))...)
		} else {
			invs = append(invs, shellInvocations(name, string(raw), 1)...)
		}
	}
	return invs
}

// binaryFlags returns the subcommands of the built binary and their flags,
// from `pinnsweep help` and `pinnsweep SUBCOMMAND -h` (cobra's and
// pflag's help formats).
func binaryFlags(t *testing.T) map[string][]string {
	out, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("pinnsweep help: %v\n%s", err, out)
	}
	cmds := map[string][]string{}
	inCommands := false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case line == "Available Commands:":
			inCommands = true
		case strings.TrimSpace(line) == "":
			inCommands = false
		case inCommands:
			if m := helpCmdRE.FindStringSubmatch(line); m != nil {
				cmds[m[1]] = nil
			}
		}
	}
	for sub := range cmds {
		if slices.Contains(builtins, sub) {
			continue
		}
		out, err := exec.Command(bin, sub, "-h").CombinedOutput()
		if err != nil {
			t.Fatalf("pinnsweep %s -h: %v\n%s", sub, err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if m := helpFlagRE.FindStringSubmatch(sc.Text()); m != nil {
				cmds[sub] = append(cmds[sub], m[1])
			}
		}
	}
	return cmds
}

// TestRecipeFlags checks that every subcommand and flag the recipes pass
// exists in the binary built from this tree.
func TestRecipeFlags(t *testing.T) {
	cmds := binaryFlags(t)
	if len(cmds["serve"]) == 0 || !slices.Contains(cmds["work"], "slots") {
		t.Fatalf("could not read the binary's flags: %v", cmds)
	}
	invs := recipeInvocations(t)
	// The recipes must run the commands they are about.
	used := map[string]bool{}
	for _, inv := range invs {
		used[inv.sub] = true
	}
	for _, sub := range []string{"serve", "work", "submit", "status", "export"} {
		if !used[sub] {
			t.Errorf("no recipe runs pinnsweep %s: the extraction missed it", sub)
		}
	}

	var unknown []string
	missingAuth := map[string]map[string]bool{} // subcommand → auth flags the binary lacks
	for _, inv := range invs {
		flags, ok := cmds[inv.sub]
		if !ok && !slices.Contains(builtins, inv.sub) {
			unknown = append(unknown, fmt.Sprintf("%s: unknown subcommand %q", inv.where, inv.sub))
			if _, auth := authFlags[inv.sub]; auth {
				missingAuth[inv.sub] = map[string]bool{}
			}
			continue
		}
		for _, f := range inv.flags {
			if slices.Contains(flags, f) {
				continue
			}
			unknown = append(unknown, fmt.Sprintf("%s: pinnsweep %s has no flag --%s", inv.where, inv.sub, f))
			if slices.Contains(authFlags[inv.sub], f) {
				if missingAuth[inv.sub] == nil {
					missingAuth[inv.sub] = map[string]bool{}
				}
				missingAuth[inv.sub][f] = true
			}
		}
	}
	if len(unknown) == 0 {
		return
	}
	sort.Strings(unknown)
	msg := fmt.Sprintf("%d uses of subcommands or flags that %s does not have:\n  %s", len(unknown),
		filepath.Base(bin), strings.Join(slices.Compact(unknown), "\n  "))
	if len(missingAuth) > 0 {
		var exp []string
		for sub, fs := range missingAuth {
			names := make([]string, 0, len(fs))
			for f := range fs {
				names = append(names, "--"+f)
			}
			sort.Strings(names)
			if len(names) == 0 {
				exp = append(exp, "the subcommand "+sub)
			} else {
				exp = append(exp, sub+" "+strings.Join(names, " "))
			}
		}
		sort.Strings(exp)
		msg += "\nOf these, the authentication branch is expected to add: " + strings.Join(exp, "; ")
	}
	t.Error(msg)
}

// TestExtraction checks the invocation finder on examples of the forms the
// recipes use.
func TestExtraction(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // "sub --flag ..." per invocation
	}{
		{"line start", "pinnsweep work --coordinator h:1 --slots 4", []string{"work coordinator slots"}},
		{"variable", `srun -N2 --ntasks=1 "$PINNSWEEP" work --slots "$S" ${CA:+--ca "$CA"} &`, []string{"work slots ca"}},
		{"continuation", "srun --overlap \\\n  \"$PINNSWEEP\" serve --db x \\\n  --listen :1", []string{"serve db listen"}},
		{"path", "RUN /out/pinnsweep version", []string{"version"}},
		{"pipe ends the flags", `out=$("$PINNSWEEP" submit s --coordinator a | grep --count x)`, []string{"submit coordinator"}},
		{"herestring", `sweep=$(sed -n p <<<"$out")`, nil},
		{"not a command", "kubectl -n pinnsweep rollout status --watch", nil},
		{"comment", "# pinnsweep work --bogus", nil},
		{"file names", "rm -f /data/pinnsweep.db pinnsweep-out", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, inv := range shellInvocations("x", tt.text, 1) {
				got = append(got, strings.TrimSpace(inv.sub+" "+strings.Join(inv.flags, " ")))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
