package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/sweeps"
)

// Defaults of CommandOptions.
const (
	// DefaultKillGrace is how long a stopped command trial has between
	// SIGTERM and SIGKILL.
	DefaultKillGrace = 10 * time.Second
	// DefaultLogCap bounds each trial's log file: its first and last
	// halves are kept.
	DefaultLogCap = 4 << 20
	// DefaultProgressRate is how many progress lines a trial's stdout may
	// feed per second.
	DefaultProgressRate = 10
	// DefaultWorkDir is the worker directory of `pinnsweep work`.
	DefaultWorkDir = "pinnsweep-work"
)

// shimSlack is how long the worker waits for the shim beyond the kill
// grace before it kills the shim and the program's group itself.
const shimSlack = 5 * time.Second

// pipeDrain bounds the wait for a trial's output after its shim exited.
const pipeDrain = 2 * time.Second

// ErrNotAllowed is the cause of a command trial refused because its
// program is not one the worker allows.
var ErrNotAllowed = errors.New("worker: program not allowed")

// CommandOptions configures NewCommandRunner. Allow is required; every
// other zero value means the documented default.
type CommandOptions struct {
	// Allow lists the programs command trials may run: names looked up in
	// PATH, or paths (relative ones against the working directory), each
	// resolved once, to an absolute path, by NewCommandRunner. A trial
	// runs only if its program resolves to one of these paths.
	Allow []string
	// Dir is the worker directory: each trial gets
	// Dir/SWEEP/KEY/TOKEN/ with out/ ($PINNSWEEP_OUT), params.json
	// ($PINNSWEEP_PARAMS) and trial.log (stdout and stderr). Zero means
	// DefaultWorkDir; it is created when the first trial runs.
	Dir string
	// KillGrace is how long a stopped trial has between SIGTERM and
	// SIGKILL; zero means DefaultKillGrace.
	KillGrace time.Duration
	// LogCap bounds each trial.log, in bytes: the first and last halves of
	// the output are kept; zero means DefaultLogCap.
	LogCap int64
	// ProgressRate bounds the progress lines applied per second; zero
	// means DefaultProgressRate.
	ProgressRate int
	// Shim is the executable that runs the trial shim: a program that
	// imports this package (whose import of internal/trialshim makes it a
	// shim when started as one) or calls ShimMain. Zero means
	// os.Executable().
	Shim string
	// CheckpointDir, if set, gives each trial's program a checkpoint
	// directory of its own, $PINNSWEEP_CHECKPOINT_DIR =
	// CheckpointDir/SWEEP/KEY/: the same for every attempt of the trial,
	// on every worker that shares CheckpointDir, so that a re-leased
	// attempt can resume from what an earlier one saved. It is removed
	// when an attempt ends with the trial's final outcome (done, diverged
	// or timeout) and kept otherwise. Zero means none (the variable is
	// unset).
	CheckpointDir string
}

// CommandRunner runs command trials: the user's own program, once per
// trial, by the result contract of the README's "Command trials". Create
// it with NewCommandRunner; it is safe for concurrent use.
type CommandRunner struct {
	allow    map[string]bool // absolute paths
	allowed  []string        // the same, in flag order, for messages
	dir      string
	grace    time.Duration
	logCap   int64
	rate     int
	shim     string
	startDir string // the worker's working directory
	ckptDir  string
}

// Command is a command runner as a lease grant carries it.
type Command struct {
	// Argv is the argv template; Argv[0] is the program.
	Argv []string
	// Workdir is the working directory; relative to the worker's.
	Workdir string
	// Env holds variables added to the worker's environment.
	Env map[string]string
	// Metric is the result field judged; empty means rel_l2.
	Metric string
}

// CommandTrial is one leased command trial.
type CommandTrial struct {
	// Sweep and Key name the trial; Token is the lease's fencing token.
	Sweep, Key string
	Token      uint64
	// Params is the trial's params, a JSON object.
	Params string
	// Command is how to run it.
	Command Command
	// Devices are the GPU device ids assigned to the trial (it sees them
	// through CUDA_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES); HideGPUs
	// sets both empty for a trial without devices on a GPU worker.
	Devices  []string
	HideGPUs bool
}

// NewCommandRunner resolves the allowed programs and returns a runner. It
// fails when Allow is empty or a program cannot be found, or on a
// platform without the process control command trials need (Linux only).
func NewCommandRunner(o CommandOptions) (*CommandRunner, error) {
	if err := checkPlatform(); err != nil {
		return nil, err
	}
	if len(o.Allow) == 0 {
		return nil, errors.New("worker: no program is allowed (CommandOptions.Allow is empty)")
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	r := &CommandRunner{allow: make(map[string]bool), dir: o.Dir, grace: o.KillGrace, logCap: o.LogCap,
		rate: o.ProgressRate, shim: o.Shim, startDir: cwd, ckptDir: o.CheckpointDir}
	for _, p := range o.Allow {
		abs, err := resolveProgram(p, cwd)
		if err != nil {
			return nil, fmt.Errorf("worker: allowed program %q: %w", p, err)
		}
		if !r.allow[abs] {
			r.allow[abs] = true
			r.allowed = append(r.allowed, abs)
		}
	}
	if r.dir == "" {
		r.dir = DefaultWorkDir
	}
	if r.dir, err = filepath.Abs(r.dir); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if r.grace <= 0 {
		r.grace = DefaultKillGrace
	}
	if r.logCap <= 0 {
		r.logCap = DefaultLogCap
	}
	if r.rate <= 0 {
		r.rate = DefaultProgressRate
	}
	if r.shim == "" {
		if r.shim, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("worker: finding the trial shim: %w", err)
		}
	}
	return r, nil
}

// Allowed returns the absolute paths of the allowed programs.
func (r *CommandRunner) Allowed() []string { return slices.Clone(r.allowed) }

// stopGrace is how long the worker should wait for Run to return after
// cancelling it.
func (r *CommandRunner) stopGrace() time.Duration {
	return r.grace + shimSlack + pipeDrain + time.Second
}

// resolveProgram returns the absolute path a program name runs: a name
// without a slash is looked up in the worker's PATH, a path is taken
// relative to dir.
func resolveProgram(name, dir string) (string, error) {
	var p string
	if strings.ContainsRune(name, '/') {
		p = name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := exec.LookPath(p); err != nil {
			return "", err
		}
	} else {
		found, err := exec.LookPath(name)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(found) {
			return "", fmt.Errorf("%s is found relative to the current directory (%s), through a relative PATH entry", name, found)
		}
		p = found
	}
	return filepath.Clean(p), nil
}

// pathElem matches a sweep name or trial key used as a directory name.
var pathElem = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// Run runs one command trial (see the README's "Command trials" for the
// contract) and returns its outcome. It reports problems of the trial —
// a bad command, a program not allowed, a failing program — as a failed
// Outcome, and returns an error only when the worker itself cannot run
// trials (its directory cannot be created).
func (r *CommandRunner) Run(ctx context.Context, t CommandTrial, progress func(evals int64, loss float64)) (Outcome, error) {
	failed := func(format string, a ...any) (Outcome, error) {
		return Outcome{Status: StatusFailed, Reason: fmt.Sprintf(format, a...)}, nil
	}
	if !pathElem.MatchString(t.Sweep) || !pathElem.MatchString(t.Key) || t.Sweep == "." || t.Sweep == ".." || t.Key == "." || t.Key == ".." {
		return failed("invalid sweep name %q or trial key %q", t.Sweep, t.Key)
	}
	var params map[string]any
	dec := json.NewDecoder(strings.NewReader(t.Params))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil || params == nil {
		return failed("decoding the trial's params: not a JSON object (%v)", err)
	}
	runner := sweeps.Runner{Command: t.Command.Argv, Workdir: t.Command.Workdir, Env: t.Command.Env}
	if runner.Builtin() {
		return failed("the trial's command is empty")
	}
	argv, specEnv, err := runner.Expand(params)
	if err != nil {
		return failed("invalid command: %v", err)
	}
	workdir := r.startDir
	if d := t.Command.Workdir; d != "" {
		workdir = d
		if !filepath.IsAbs(d) {
			workdir = filepath.Join(r.startDir, d)
		}
	}
	if fi, err := os.Stat(workdir); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return failed("workdir %s: %v", workdir, err)
	}
	path, err := resolveProgram(argv[0], workdir)
	if err != nil {
		return failed("program %q: %v", argv[0], err)
	}
	if !r.allow[path] {
		return failed("%v: %q resolves to %s, which this worker does not allow (--allow-exec %s)",
			ErrNotAllowed, argv[0], path, strings.Join(r.allowed, ","))
	}

	dir := filepath.Join(r.dir, t.Sweep, t.Key, strconv.FormatUint(t.Token, 10))
	out := filepath.Join(dir, "out")
	if err := os.RemoveAll(dir); err != nil {
		return Outcome{}, fmt.Errorf("clearing the trial directory: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return Outcome{}, fmt.Errorf("creating the trial directory: %w", err)
	}
	paramsPath := filepath.Join(dir, "params.json")
	if err := os.WriteFile(paramsPath, []byte(t.Params), 0o644); err != nil {
		return Outcome{}, fmt.Errorf("writing the params file: %w", err)
	}
	log, err := newCappedLog(filepath.Join(dir, "trial.log"), r.logCap)
	if err != nil {
		return Outcome{}, fmt.Errorf("creating the trial log: %w", err)
	}

	ckpt := r.checkpointDir(ctx, t)
	env := trialEnv(os.Environ(), specEnv, t, paramsPath, out, ckpt, params)
	stdout := newStdoutScanner(progress, r.rate)
	stderrTail := newTail(StderrTailBytes)
	stopFlush := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		tick := time.NewTicker(time.Second / time.Duration(r.rate))
		defer tick.Stop()
		for {
			select {
			case <-stopFlush:
				return
			case <-tick.C:
				stdout.flush(false)
			}
		}
	}()
	rep := r.runProcess(ctx, procSpec{path: path, argv: argv, env: env, dir: workdir},
		multiWriter{log, stdout}, multiWriter{log, stderrTail})
	close(stopFlush)
	<-flushed
	stdout.flush(true)
	if err := log.Close(); err != nil {
		rep.startErr = strings.TrimSpace(rep.startErr + " (and writing the trial log: " + err.Error() + ")")
	}
	last, long, _ := stdout.lastLine()
	o := judge(metricOr(t.Command.Metric), rep, trialOutput{
		resultPath: filepath.Join(out, "result.json"),
		last:       last,
		lastLong:   long,
		stderr:     stderrTail.bytes(),
	})
	// The trial's checkpoint directory, whole, for the worker to remove
	// when the coordinator says the trial is final ("" is the zero set).
	o.Checkpoints = CheckpointSet{Dir: ckpt}
	return o, nil
}

// checkpointDir creates and returns the trial's checkpoint directory
// (CommandOptions.CheckpointDir), or "" without one. A directory that
// cannot be created is logged and the trial runs without it, as a
// built-in trial goes on when a checkpoint cannot be written.
func (r *CommandRunner) checkpointDir(ctx context.Context, t CommandTrial) string {
	if r.ckptDir == "" {
		return ""
	}
	dir := filepath.Join(r.ckptDir, safeName(t.Sweep), safeName(t.Key))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		hclog.FromContext(ctx).Warn("cannot create the trial's checkpoint directory; it runs without", "dir", dir, "error", err)
		return ""
	}
	return dir
}

// metricOr returns m, or rel_l2 when it is empty.
func metricOr(m string) string {
	if m == "" {
		return sweeps.DefaultMetric
	}
	return m
}

// trialEnv returns a trial's environment: the worker's, without its
// PINNSWEEP_* variables (its credentials among them), then the spec's env,
// then the trial's PINNSWEEP_* variables and GPU assignment. ckpt is the
// trial's checkpoint directory, if any.
func trialEnv(base, specEnv []string, t CommandTrial, paramsPath, out, ckpt string, params map[string]any) []string {
	vars := make(map[string]int) // name → index in env
	var env []string
	set := func(kv string) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := vars[name]; ok {
			env[i] = kv
			return
		}
		vars[name] = len(env)
		env = append(env, kv)
	}
	gpuVars := len(t.Devices) > 0 || t.HideGPUs
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "PINNSWEEP_"):
		case gpuVars && (name == "CUDA_VISIBLE_DEVICES" || name == "ROCR_VISIBLE_DEVICES"):
		default:
			set(kv)
		}
	}
	for _, kv := range specEnv {
		set(kv)
	}
	set("PINNSWEEP_PARAMS=" + paramsPath)
	set("PINNSWEEP_OUT=" + out)
	set("PINNSWEEP_TRIAL_KEY=" + t.Key)
	set("PINNSWEEP_SWEEP=" + t.Sweep)
	if ckpt != "" {
		set("PINNSWEEP_CHECKPOINT_DIR=" + ckpt)
	}
	if seed, ok := params[sweeps.SeedKey]; ok {
		set("PINNSWEEP_SEED=" + sweeps.FormatValue(seed))
	}
	if gpuVars {
		devs := strings.Join(t.Devices, ",")
		set("CUDA_VISIBLE_DEVICES=" + devs)
		set("ROCR_VISIBLE_DEVICES=" + devs)
		if _, ok := vars["CUDA_DEVICE_ORDER"]; !ok && len(t.Devices) > 0 {
			// Number devices as nvidia-smi does, which --gpus ids follow.
			set("CUDA_DEVICE_ORDER=PCI_BUS_ID")
		}
	}
	return env
}

// multiWriter writes to every writer, ignoring their errors (a full log
// must not stop the trial).
type multiWriter []interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(p []byte) (int, error) {
	for _, w := range m {
		w.Write(p)
	}
	return len(p), nil
}
