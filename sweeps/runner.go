package sweeps

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pinnsweep/pinnsweep/verdict"
)

// Runner says how a sweep's trials run: with pinnsweep's built-in trainer
// (the zero value, "runner: builtin"), or as a program run once per trial
// ("runner: {command: [...], workdir: DIR, env: {K: V}}").
type Runner struct {
	// Command is the program's argv template: Command[0] names the program
	// (resolved on the worker, which runs only programs it allows), and
	// the other elements may hold {name} placeholders (see Placeholders
	// and ExpandPlaceholders). Empty means the built-in trainer.
	Command []string

	// Workdir is the program's working directory on the worker: absolute,
	// or relative to the worker's own working directory; empty means the
	// worker's.
	Workdir string

	// Env holds environment variables set for the program on top of the
	// worker's; values may hold placeholders. Nil when there are none.
	Env map[string]string

	// Line is the 1-based line of the runner key in the spec, or 0.
	Line int
}

// Builtin reports whether r is the built-in trainer.
func (r *Runner) Builtin() bool {
	return len(r.Command) == 0
}

// Goal says whether a sweep's metric is better small or large.
type Goal string

// Goals.
const (
	// GoalMin: smaller is better (an error such as rel_l2).
	GoalMin Goal = "min"
	// GoalMax: larger is better (an accuracy, a score).
	GoalMax Goal = "max"
)

// Resources is what each trial of a sweep needs on a worker.
type Resources struct {
	// GPUs is the number of GPUs each trial needs, from 0 to MaxGPUs: a
	// trial with GPUs > 0 runs only on a worker slot with that many
	// devices, one without only on a CPU slot.
	GPUs int
}

// DefaultMetric is the metric of a spec without a metric key: the
// relative L2 error that pinnsweep's own trainer reports (the verdict
// package's default).
const DefaultMetric = verdict.DefaultName

// RunnerBuiltin is the value of "runner" that selects the built-in trainer.
const RunnerBuiltin = "builtin"

// Limits of a command runner, so that no spec can make a worker build an
// unbounded command line or environment.
const (
	// MaxCommandArgs is the most elements of runner.command.
	MaxCommandArgs = 256
	// MaxArgLen is the longest element of runner.command, in bytes.
	MaxArgLen = 4096
	// MaxEnvVars is the most variables of runner.env.
	MaxEnvVars = 64
	// MaxEnvNameLen is the longest variable name of runner.env.
	MaxEnvNameLen = 128
	// MaxEnvValueLen is the longest value of runner.env, in bytes.
	MaxEnvValueLen = 4096
	// MaxWorkdirLen is the longest runner.workdir, in bytes.
	MaxWorkdirLen = 4096
	// MaxGPUs is the largest resources.gpus.
	MaxGPUs = 64
	// MaxExpandedArgLen is the longest argv element or environment entry
	// after placeholder expansion (Linux's MAX_ARG_STRLEN).
	MaxExpandedArgLen = 128 << 10
	// MaxExpandedLen bounds the expanded argv and runner.env together.
	MaxExpandedLen = 1 << 20
)

var (
	runnerKeys     = []string{"command", "workdir", "env"}
	resourcesKeys  = []string{"gpus"}
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// reservedEnv are variables a spec may not set: the worker sets them for
// every command trial.
var reservedEnv = []string{"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER"}

// CheckEnvName reports whether a spec may set the environment variable
// name for a command trial. Names are [A-Za-z_][A-Za-z0-9_]* of at most
// MaxEnvNameLen characters. Refused are PINNSWEEP_* and the GPU
// assignment (CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES,
// CUDA_DEVICE_ORDER), which the worker sets, and LD_* and DYLD_*, which
// would let a spec load code into a program the worker allowed.
func CheckEnvName(name string) error {
	upper := strings.ToUpper(name)
	switch {
	case len(name) > MaxEnvNameLen || !envNamePattern.MatchString(name):
		return fmt.Errorf("%w: invalid environment variable name %q (want a letter or _ then letters, digits or _; at most %d characters)", ErrValue, name, MaxEnvNameLen)
	case strings.HasPrefix(upper, "PINNSWEEP_"), slices.Contains(reservedEnv, upper):
		return fmt.Errorf("%w: environment variable %s is set by the worker", ErrValue, name)
	case strings.HasPrefix(upper, "LD_"), strings.HasPrefix(upper, "DYLD_"):
		return fmt.Errorf("%w: environment variable %s is refused: it would change what the allowed program loads", ErrValue, name)
	}
	return nil
}

// checkText checks a string a runner passes to the program: at most
// limit bytes, without NUL (which no argv element or environment entry can
// hold).
func checkText(what, s string, limit int) error {
	switch {
	case len(s) > limit:
		return fmt.Errorf("%w: %s is %d bytes long, more than %d", ErrValue, what, len(s), limit)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%w: %s contains a NUL byte", ErrValue, what)
	}
	return nil
}

// checkArg checks element i of a command template.
func checkArg(i int, arg string) error {
	if err := checkText("argument", arg, MaxArgLen); err != nil {
		return err
	}
	if i == 0 && arg == "" {
		return fmt.Errorf("%w: empty program name", ErrValue)
	}
	names, err := Placeholders(arg)
	if err != nil {
		return err
	}
	if i == 0 && len(names) > 0 {
		return fmt.Errorf("%w: the program %q cannot hold placeholders", ErrValue, arg)
	}
	return nil
}

// checkEnvValue checks a value of runner.env.
func checkEnvValue(v string) error {
	if err := checkText("value", v, MaxEnvValueLen); err != nil {
		return err
	}
	_, err := Placeholders(v)
	return err
}

// checkWorkdir checks runner.workdir.
func checkWorkdir(dir string) error {
	return checkText("workdir", dir, MaxWorkdirLen)
}

// Check reports what is wrong with a command runner, by the rules Parse
// applies to a spec's runner section: the limits above, environment names
// (CheckEnvName), placeholder syntax, and no placeholder in the program.
// A worker checks a runner it receives with it. The built-in runner is
// always valid.
func (r *Runner) Check() error {
	if r.Builtin() {
		if r.Workdir != "" || len(r.Env) > 0 {
			return fmt.Errorf("%w: workdir and env need a command", ErrValue)
		}
		return nil
	}
	var errs []error
	if len(r.Command) > MaxCommandArgs {
		errs = append(errs, fmt.Errorf("%w: command has %d elements, more than %d", ErrValue, len(r.Command), MaxCommandArgs))
	}
	for i, arg := range r.Command[:min(len(r.Command), MaxCommandArgs)] {
		if err := checkArg(i, arg); err != nil {
			errs = append(errs, fmt.Errorf("command[%d]: %w", i, err))
		}
	}
	if err := checkWorkdir(r.Workdir); err != nil {
		errs = append(errs, err)
	}
	if len(r.Env) > MaxEnvVars {
		errs = append(errs, fmt.Errorf("%w: env has %d variables, more than %d", ErrValue, len(r.Env), MaxEnvVars))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Env)) {
		if err := CheckEnvName(k); err != nil {
			errs = append(errs, fmt.Errorf("env: %w", err))
		} else if err := checkEnvValue(r.Env[k]); err != nil {
			errs = append(errs, fmt.Errorf("env.%s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// Expand returns the argv and the extra environment ("K=V" entries,
// sorted by name) of r for a trial with the given params, by
// ExpandPlaceholders. It fails, wrapping ErrValue, if r is not valid
// (Check), a placeholder names no param, an expanded element holds a NUL
// byte or is longer than MaxExpandedArgLen, or all of them together exceed
// MaxExpandedLen.
func (r *Runner) Expand(params map[string]any) (argv, env []string, err error) {
	if r.Builtin() {
		return nil, nil, fmt.Errorf("%w: the built-in runner has no command", ErrValue)
	}
	if err := r.Check(); err != nil {
		return nil, nil, err
	}
	total := 0
	add := func(what, s string) error {
		if err := checkText(what+" after expansion", s, MaxExpandedArgLen); err != nil {
			return err
		}
		if total += len(s) + 1; total > MaxExpandedLen {
			return fmt.Errorf("%w: the command and its environment exceed %d bytes after expansion", ErrValue, MaxExpandedLen)
		}
		return nil
	}
	argv = make([]string, len(r.Command))
	for i, arg := range r.Command {
		s, err := ExpandPlaceholders(arg, params)
		if err != nil {
			return nil, nil, fmt.Errorf("command[%d]: %w", i, err)
		}
		if err := add(fmt.Sprintf("command[%d]", i), s); err != nil {
			return nil, nil, err
		}
		argv[i] = s
	}
	for _, k := range slices.Sorted(maps.Keys(r.Env)) {
		s, err := ExpandPlaceholders(r.Env[k], params)
		if err != nil {
			return nil, nil, fmt.Errorf("env.%s: %w", k, err)
		}
		entry := k + "=" + s
		if err := add("env."+k, entry); err != nil {
			return nil, nil, err
		}
		env = append(env, entry)
	}
	return argv, env, nil
}

// equal reports whether r and o run the same program the same way.
func (r *Runner) equal(o *Runner) bool {
	return slices.Equal(r.Command, o.Command) && r.Workdir == o.Workdir && maps.Equal(r.Env, o.Env)
}

// String describes r for messages: "builtin", or the command template
// with its workdir and env.
func (r *Runner) String() string {
	if r.Builtin() {
		return RunnerBuiltin
	}
	var b strings.Builder
	b.WriteString("command ")
	b.WriteString(canonicalString(r.Command))
	if r.Workdir != "" {
		b.WriteString(" workdir ")
		b.WriteString(canonicalString(r.Workdir))
	}
	if len(r.Env) > 0 {
		env := make(map[string]any, len(r.Env))
		for k, v := range r.Env {
			env[k] = v
		}
		b.WriteString(" env ")
		b.WriteString(canonicalString(env))
	}
	return b.String()
}
