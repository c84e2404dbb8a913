package state

import "slices"

// Needs is what each trial of a sweep needs of the worker slot that runs
// it: its resource class. A sweep's trials all have the same needs, which
// come from its spec (resources: {gpus: G}, and a command runner) and are
// stored with the sweep record, like its budget.
type Needs struct {
	// GPUs is the number of GPUs each trial needs (0 to MaxGPUs): a trial
	// with GPUs > 0 runs only on a GPU slot that offers that many devices,
	// one without only on a slot that offers none (a CPU slot).
	GPUs int `json:"gpus,omitempty"`
	// Command is set when the trials run a program (the spec's runner has
	// a command): only workers that run commands may lease them.
	Command bool `json:"command,omitempty"`
}

// MaxGPUs is the most GPUs a sweep's trial may need, and a lease request
// may offer (sweeps.MaxGPUs, worker.MaxGPUs).
const MaxGPUs = 64

// Offer is what a lease request offers: the sweeps it takes trials from,
// the GPUs of the slot that asks, and whether its worker runs commands.
// The zero Offer is a CPU slot of a worker that runs only the built-in
// trainer, taking trials of any sweep: what every worker that predates
// GPUs and commands asks for.
type Offer struct {
	// Sweeps restricts the lease to trials of these sweeps; empty means
	// any sweep.
	Sweeps []string
	// GPUs is the number of devices the asking slot offers (0: a CPU
	// slot).
	GPUs int
	// Commands is set when the worker runs command trials (it was started
	// with --allow-exec).
	Commands bool
}

// Fits reports whether a trial that needs n may be granted to this
// offer: it is the one rule of resource matching. A command trial needs a
// worker that runs commands; a trial that needs no GPU goes only to a slot
// that offers none (so that it never occupies a device), and one that
// needs g GPUs only to a slot that offers at least g.
func (o *Offer) Fits(n Needs) bool {
	if n.Command && !o.Commands {
		return false
	}
	if n.GPUs == 0 {
		return o.GPUs == 0
	}
	return n.GPUs <= o.GPUs
}

// Takes reports whether the offer takes trials of the named sweep, whose
// trials need n: the sweep is one of o.Sweeps (when given) and Fits(n).
func (o *Offer) Takes(sweep string, n Needs) bool {
	return (len(o.Sweeps) == 0 || slices.Contains(o.Sweeps, sweep)) && o.Fits(n)
}

// Command is how a worker runs a trial of a sweep whose spec has a command
// runner: the runner section of the spec (sweeps.Runner) and the result
// field the worker judges the outcome by. The engine fills it in a Grant
// from the sweep's parsed spec.
type Command struct {
	// Argv is the argv template: Argv[0] is the program, the other
	// elements may hold {name} placeholders.
	Argv []string
	// Workdir is the program's working directory on the worker ("": the
	// worker's).
	Workdir string
	// Env holds variables added to the program's environment; values may
	// hold placeholders.
	Env map[string]string
	// Metric is the result field that decides done, diverged or failed.
	Metric string
}

// TailPut stores (or with an empty Text deletes) the standard-error tail
// of a trial's latest completed attempt.
type TailPut struct {
	// Sweep and Key name the trial.
	Sweep, Key string
	// Text is the tail (at most MaxStderrTail bytes), or "" to delete the
	// stored one.
	Text string
}

// MaxStderrTail bounds the standard-error tail a completion carries and a
// store keeps per trial: the last 64 KiB (worker.StderrTailBytes).
const MaxStderrTail = 64 << 10
