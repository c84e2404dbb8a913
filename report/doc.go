// Package report turns a sweep's trials into failure-mode phase diagrams,
// per-trial figures and replicate statistics.
//
// The package has no I/O of its own: Aggregate groups trials
// (coordinator/state.TrialRecord) into a Grid of cells, one per grid point
// (the trial's point without its seed), judges each with the one rule of
// package verdict, and counts the replicates by status; Grid.Slices cuts
// the grid into two-axis planes; and the writers (WritePhase,
// WriteSolution, WriteLoss, WriteSummary) draw or print to an io.Writer.
// The command `pinnsweep report` reads the trials from a database file or
// a coordinator and writes the files. The package depends on the
// coordinator's record types only: not on its engine, bbolt, gRPC or
// protobuf (a test says so). The dashboard groups and judges sweeps with
// Aggregate too.
//
// # Statistics and verdicts
//
// A grid's Metric (verdict.Metric: rel_l2, minimised, failing above the
// spec's failure_threshold, 0.1 by default as in Krishnapriyan et al.
// 2021) is read from each trial's result by name. A cell's statistics are
// over its replicates that measured it (done, with a finite value): the
// median (the middle value, the mean of the two middle ones for an even
// count), min, max, and the quartiles Q1 and Q3 as observed values
// (gonum's stat.Quantile with the Empirical kind, so for three
// replicates IQR = max − min). Its verdict is verdict.Metric.Judge's, the
// rule refinement and the dashboard use too: pending while a replicate is
// still to run, void when one failed, was cancelled or has no value
// (states of the infrastructure, which say nothing about the PINN), and
// otherwise pass or fail by the median over the replicates, a diverged or
// timed-out one counting as a failure.
//
// # Figures
//
// A phase diagram (WritePhase) colours each cell by log10 of its median
// on the metric's Scale, the same for every sweep, ScaleMin to ScaleMax
// (1e-4 to about 3), blue through white (at the threshold) to red on the
// failing side; a metric with a median or threshold ≤ 0 has no log
// scale and is drawn on a linear one over its grid's medians and
// threshold (Grid.Scale, ScaleFor). The dashboard draws with the same
// Scale. It writes the
// median and done/total replicates in the cell, counts the unsuccessful
// and open replicates on a third line, hatches cells without a done
// replicate (grey; red when every replicate diverged or timed out, a
// failing cell), outlines cells with replicates still to run with a
// dashed line, and draws a thick line between neighbours of which one
// passes and the other fails.
//
// Every phase diagram marks each cell, in its top right corner, with the
// failure class of the cell's median replicate (Cell.Class, from
// verdict.Metric.FailureClass and verdict.Judgement.Median; one marker
// shape per class, keyed under the diagram: StyleOf). WriteClasses draws
// the classes' diagram: each cell filled with its class's colour (Okabe
// and Ito's colour-blind-safe palette) and annotated with its replicates
// counted by class. WriteField draws a diagram coloured by any numeric
// top-level result field (Grid.Field; `report --metric NAME`): the median
// of the field over the done replicates that have it, on Kindlmann's
// sequential map, log10 when every cell's median is positive and the
// largest is at least LogSpan (10) times the smallest, linear otherwise;
// the field's name is on the colour bar and in the file name
// (Slice.FieldName), and the threshold boundary is drawn only when the
// field is the grid's verdict metric.
//
// A trial's solution figure
// (WriteSolution) shows the exact solution, the prediction (on the same
// colour range) and the absolute error over (t, x) on the result's
// snapshot sub-grid; its loss figure (WriteLoss) the total loss and each
// term, unweighted, against the L-BFGS iteration on a log scale. A
// trial's loss landscape (WriteLandscape; trials trained with the
// landscape diagnostic) is log10 of the training loss over the plane of
// its top two Hessian eigenvectors, a heatmap with a contour line every
// decade and the trained parameters marked, on a colour scale shared by
// every trial of the sweep (SweepLandscapes: the sweep's smallest to
// largest landscape loss), so that trials compare at a glance. Every
// colour bar is drawn by one function (drawColorBar) and keeps its ramp's
// width whatever its tick labels: labels with decimals, signs or many
// digits, measured in their font as gonum's layout does, take their room
// from the plot beside the bar. PNGs are drawn at DPI dots per inch; SVGs do not embed fonts. Every writer's
// bytes depend on its inputs alone (no clock, randomness or map order),
// so that a redrawn report diffs clean: the landscapes' contour lines are
// traced by the package in grid order (contourAt), not by gonum's
// plotter.Contour, which draws them in a map's order.
//
// # Axes
//
// Axis values are ordered numerically when every value of the axis is a
// number, and in the order of the trials (the spec's order) otherwise;
// the seed is never an axis of the grid. Phase diagrams place each value
// in its own equal-width cell, so a numeric axis is shown in order but
// not to scale.
//
// # Untrusted input
//
// Labels and axis names come from specs, results from workers. A trial's
// exact field is computed from its stored params (SolutionFields), never
// from the config inside its result, on the snapshot grid only once that
// is checked (trainer.Snapshot.ExactAt). Every such text in summary.md is
// escaped for Markdown (markdown.go), so it shows as written and adds no
// HTML, link or structure. FileName keeps file names safe, short and
// distinct: a name with other characters than [A-Za-z0-9.=_-], or longer
// than MaxFileStem, is cut and followed by a hash of the original.
package report
