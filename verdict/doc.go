// Package verdict is the one rule for what a sweep's trials say: which
// number a trial is judged by, what each trial's outcome is, and what the
// replicates of a grid point say together — their statistics and their
// verdict against the failure threshold. Refinement (package sweeps, via
// the coordinator), the report, the dashboard and `pinnsweep run`'s
// summary all call it, so they cannot disagree.
//
// # Metric
//
// A Metric names the number in a trial's result object that judges it
// (rel_l2 by default; a spec may name its own, for users' programs whose
// results are free-form JSON), its Goal (minimise, the default, or
// maximise) and the failure threshold (0.1 by default, a spec's
// failure_threshold). The value is always read from the decoded result by
// the metric's name (Metric.Value, Metric.Result): a result without it,
// or with a non-finite one, has none.
//
// # Outcomes
//
// Classify gives each trial one of four outcomes: open (pending or
// running), measured (done, with the metric), failed (diverged or timed
// out: the method failed there) and void (failed, cancelled, or done
// without the metric: the trial says nothing about the point). A
// per-trial failure class computed from a trial's own numbers (pass,
// optimization, collocation overfit, consistent but wrong, diverged,
// timeout) belongs beside Classify, in this package.
//
// # Verdicts
//
// Metric.Judge takes a grid point's outcomes and returns its Judgement:
// the counts by outcome, the statistics of the measured values (median,
// min, max, quartiles as observed values, IQR) and the verdict:
//
//	a replicate open, or none           pending
//	else a replicate void               void
//	else median vs threshold            pass or fail
//
// where the median is over the measured and failed replicates, a failed
// one counting as the metric's worst value (+Inf when minimising), so a
// point where most seeds diverged fails even if one converged. Only a
// point whose every replicate ended, none void, has a verdict that
// refinement acts on; the report and the dashboard show the same verdict,
// and draw the failure boundary only between a pass and a fail.
package verdict
