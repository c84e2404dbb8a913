// Package sweeps reads sweep specifications and expands them into trials.
//
// A sweep trains a physics-informed neural network once for every point of
// a grid of PDE coefficients, training strategies and other trainer
// settings, times a number of replicate seeds. A spec is a YAML file that
// names the settings shared by every trial, the ordered axes of the grid
// and the replicates; Parse checks it and Spec.Expand turns it into a
// deterministic list of Trials, each identified by a stable Key computed
// from its settings.
//
// The package knows nothing of the trainer: settings are opaque key/value
// pairs, checked by the Options.Validate function the caller provides. A
// sweep may also run a program of the user's own per trial (a command
// runner): its settings are then free-form and reach the program through
// placeholders in its command line and a parameters file.
//
// # Spec format
//
// A spec is one YAML mapping with these keys:
//
//	name: convection-beta        # required: 1-64 characters from A-Z a-z 0-9 . _ -
//	fixed:                       # settings applied to every trial
//	  pde: convection
//	  ic: sin
//	  nf: 1000
//	  layers: [50, 50, 50, 50]   # a setting value may be a list of scalars
//	axes:                        # ordered: the grid varies the last axis fastest
//	  beta: [1, 5, 10, 20, 30, 40]
//	  lambda: {logspace: [-1, 1, 3]}       # 0.1, 1, 10
//	  strategy:
//	    - regular                          # a plain value: strategy=regular
//	    - label: curriculum-5              # a bundle of several settings
//	      strategy: curriculum
//	      curriculum_start: 1
//	replicates: 3                # seeds 0, 1, 2 (or a list: [0, 7, 42]); default 1
//	budget:
//	  iterations: 5000           # the trainer setting max_iters
//	  evaluations: 6000          # the trainer setting max_evals
//	  seconds: 600               # wall time, enforced by the worker
//	retries: 2                   # a failed trial is attempted at most 1+retries times; default 2
//	max_trials: 10000            # grid-size limit; default Options.MaxTrials
//	refine:                      # bisect the failure boundary of numeric axes
//	  - {axis: beta, tolerance: 1, max_depth: 4}
//	failure_threshold: 0.1       # the metric's pass/fail threshold; default 0.1 for rel_l2
//	runner: builtin              # the default; or a program, see Command runners
//	metric: rel_l2               # the result field verdicts judge; default rel_l2
//	goal: min                    # min (smaller is better, the default) or max
//	resources: {gpus: 0}         # GPUs each trial needs (command runners only)
//
// Decoding is strict. An unknown or duplicate key, a value of the wrong
// type, a setting rejected by Options.Validate or given twice, are errors
// that name the file, line and key:
//
//	spec.yaml:3: unknown key "replicate" (known: name, runner, fixed, axes, replicates, budget, retries, max_trials, refine, failure_threshold, metric, goal, resources)
//	quick.yaml:7: axes.beta[1]: want a value or a bundle mapping, got null
//
// Plain scalars follow the YAML 1.2 core schema: 1e-3 is a number, while
// yes, on and 1_000 are strings. Anchors, aliases, tags and several
// documents in one file are not accepted.
//
// A spec may be at most MaxSpecSize bytes (1 MiB) and its collections may
// nest at most MaxDepth (32) levels deep; both are checked on the text
// before the YAML parser runs (limits.go), whose cost grows with the
// square of the nesting depth. Within the limits parsing is linear: the
// costliest 1 MiB spec (a flow sequence of one-character items) takes the
// parser about 3 s per 512 KiB and allocates about 700 bytes per byte.
//
// # Command runners
//
// A runner section with a command runs a program once per trial instead of
// the built-in trainer:
//
//	runner:
//	  command: [python3, train.py, --beta, "{beta}", "--lr={lr}", --seed, "{seed}"]
//	  workdir: examples/pytorch-pinn   # on the worker; relative to its working directory
//	  env: {OMP_NUM_THREADS: 1}        # added to the worker's environment
//
// The settings of a command sweep (fixed, axes, bundles) are free-form: any
// setting name, any scalar or list of scalars; Options.Validate is not
// called. The trial's params are those of a built-in sweep (fixed and axis
// settings, max_iters and max_evals from the budget, the seed), and its key
// is computed the same way.
//
// Each element of command after the first, and each env value, may hold
// placeholders {name} that expand to the trial's value of the setting name
// (see ExpandPlaceholders and FormatValue): a string as it is, a number in
// canonical form, a list as JSON. A placeholder expands inside the one
// argv element that holds it, never into several elements and never
// through a shell. {{ and }} are literal braces; any other brace is an
// error. A placeholder must name a setting every trial has: a fixed
// setting, an axis whose every value sets it, seed, or max_iters and
// max_evals when the budget sets them; otherwise Parse reports the file,
// line and name. The program itself (command[0]) cannot hold placeholders.
//
// Everything a runner section can make a worker build is bounded
// (MaxCommandArgs, MaxArgLen, MaxEnvVars, MaxEnvValueLen, MaxWorkdirLen;
// MaxExpandedArgLen and MaxExpandedLen after expansion), and env may not
// set PINNSWEEP_*, the GPU assignment or the dynamic loader's LD_* and
// DYLD_* (CheckEnvName). Runner.Check applies the same rules to a runner a
// worker receives over the wire, and Runner.Expand builds a trial's argv.
//
// The metric key names the result field that verdicts judge (default
// rel_l2) and goal says which way is better. A metric other than rel_l2
// needs an explicit failure_threshold, which may then be any finite
// number. resources.gpus (0 to MaxGPUs) is the number of GPUs each trial
// needs; only command sweeps may ask for GPUs.
//
// # Axes
//
// An axis maps a name to its values, in one of these forms:
//
//   - a list of plain values (numbers, strings, bools, or lists of scalars
//     such as [20, 20] for layers), each assigned to the setting named by
//     the axis;
//   - a single plain value, an axis of length one;
//   - a range {linspace: [start, stop, n]} or {logspace: [start_exp,
//     stop_exp, n]} (base 10); see Range for the exact values;
//   - a list whose items may be bundles: mappings of several settings,
//     such as a strategy with its parameters. A bundle's label, which
//     reports show for the axis, is its label key, else the value of its
//     strategy key, else its settings written k=v,k=v in key order.
//
// Options.Validate is called for every fixed setting, every plain axis
// value (with the axis name as key), every range value and every bundle
// setting. An axis value must not repeat another one of the same axis
// (by value or label, or by the settings it sets), and no setting may be
// set both by fixed and by an axis, or by two axes. The settings "seed",
// "max_iters" and "max_evals" come from replicates and budget and cannot be
// given otherwise when those set them.
//
// # Expansion
//
// Spec.Expand enumerates the grid with the axes in file order, the last
// axis varying fastest, and the replicate seeds innermost. Each Trial
// carries its flattened trainer settings (Params: fixed settings, axis
// settings, budget-derived settings and the seed) and its coordinates
// (Point: each axis's value or bundle label, then the seed), which reports
// show as the trial's params.
//
// The grid size, the product of the axis lengths and the number of seeds,
// is checked against the trial limit before anything proportional to it
// is allocated (see Spec.Size); a larger grid fails with
// ErrTooManyTrials. The limit is the spec's max_trials, which may not
// exceed Options.MaxTrials (default DefaultMaxTrials, one million).
//
// A set of params is never generated twice: explicit duplicate axis values
// are errors, range values that coincide after rounding are dropped, and
// Expand drops any remaining repeat.
//
// # Keys
//
// A trial's key is the first 16 hex digits of the SHA-256 digest of the
// canonical JSON encoding of its params (see CanonicalJSON and Key): keys
// sorted, no whitespace, numbers in one canonical form, so 1 and 1.0, or
// two maps in different orders, give the same key in any process. Keys
// are what a coordinator stores results under.
//
// # Refinement
//
// A refine rule names a numeric axis (plain numbers, no bundles, whose
// setting accepts fractional values: Parse checks this with
// Options.Validate), a tolerance in the axis's units and a maximum depth.
// Spec.Refinements takes a sweep's existing trials with their outcomes
// (Observation, classified by verdict.Classify) and returns the trials to
// add, a pure and deterministic function that a coordinator calls after
// each trial ends, and again after a restart:
//
//   - a point's replicates (the spec's seeds) decide its verdict, by the
//     one rule of package verdict (Spec.VerdictMetric's Judge, which the report
//     and the dashboard use too): pending while one is open or missing;
//     void when one failed, was cancelled or ended without the metric,
//     which blocks refinement next to the point until it is rerun;
//     otherwise pass when the median of the metric (rel_l2 unless the spec
//     names another) is at most failure_threshold (at least it with goal:
//     max) and fail when not, a diverged or timed-out replicate counting
//     as the metric's worst value (+Inf, or -Inf with goal: max);
//   - for each combination of the other axes' values, the refined axis's
//     values (grid and refined) are sorted, and between two neighbours with
//     opposite verdicts the midpoint, (a+b)/2 rounded to 15 significant
//     digits, is added with every seed, unless the bracket is at most
//     tolerance wide or its grid interval has been bisected max_depth
//     times;
//   - refined trials are ordinary trials: the params of a grid trial with
//     the axis value replaced, keyed by the same Key, so a repeated call
//     proposes the same keys and a caller adds only those it lacks.
//
// Spec.Brackets reports each transition, with its ends, their median
// metric and a status (converged, max-depth, refining, blocked): the
// critical coefficient, such as β* of a strategy, lies within it.
// Spec.Verdicts reports every point's verdict as refinement sees it.
//
// A spec's Grid gives its trials by position, computed when asked, so that
// a coordinator stores a large grid without expanding it in memory.
//
// # Growth
//
// A sweep grows by resubmitting its spec with more axis values or seeds.
// Spec.Compatible checks that the new spec changes nothing else (the
// runner included) and says exactly what changed if it does; the trials to run are then those of the
// new expansion whose keys are not already known.
//
// # Errors
//
// Errors wrap one of the sentinel errors declared in errors.go (ErrSyntax,
// ErrUnknownKey, ErrType, ...) for use with errors.Is. Parse reports each
// problem as an *Error with the file, line and key path, joining several
// with errors.Join.
package sweeps
