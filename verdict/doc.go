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
// without the metric: the trial says nothing about the point).
//
// # Failure classes
//
// Metric.FailureClass says why one finished trial failed, from its status
// and its own result numbers (the trainer's loss, loss_initial,
// residual_train, residual_grid, and for the supervised control loss_res
// and mse_grid): pass, collocation-overfit (a residual on the whole grid
// ≥ ResidualRatio = 10 times the one on the training points), optimization
// (otherwise, if the loss stayed at ≥ LossRatio = 1e-2 of its initial
// value), consistent-but-wrong (a small loss and a grid residual as small
// as at the points, yet a large error: a degenerate solution), diverged,
// timeout; unexplained when the result lacks the numbers (a command
// trial's free-form result); none for trials that are open, failed (a
// fault), cancelled or void. The thresholds are calibrated on
// docs/repro.md's failing cases and the convection-why sweep
// (docs/why.md), where every failing trial lies at least 3 times from
// them.
//
// The coordinator's engine classifies every result it commits with the
// sweep's metric and stores the class in it (WithClass, key
// failure_class); readers (the report, the dashboard, exports) call
// FailureClass again with their metric, which returns the stored
// diagnosis for a failing trial and classifies results stored before
// classes existed from their numbers. Pass or fail is always the reader's
// metric's, so `report --threshold` reclassifies by its threshold. A
// grid point shows the class of its median replicate (Judgement.Median:
// the replicate at the verdict's median, a failed one ranking as the
// worst value; of an even count, the middle one on the verdict's side).
// Goal.MedianReplicate is that rule; the report's median replicate to
// draw (report.Cell.Representative) applies it to the measured ones.
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
