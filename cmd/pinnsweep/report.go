package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinnsweep/pinnsweep/verdict"
)

func newReportCmd() *cobra.Command {
	var (
		o      reportOptions
		format string
		keys   = listFlag{what: "trial key"}
		fields = listFlag{what: "result field"}
	)
	cmd := &cobra.Command{
		Use:   "report SWEEP",
		Short: "draw a sweep's phase diagrams and trial figures, with replicate statistics",
		Long: `Writes into the report directory (default pinnsweep-out/SWEEP, where pinnsweep run
writes too): a phase diagram per pair of axes (median of the sweep's metric per grid point,
rel_l2 unless the spec names another; the threshold boundary; the failure class of each
point's median replicate as a marker), a failure-class diagram (classes-*), a diagram of each
--metric field (metric-FIELD-*: its median per point, on a log scale when the medians are
positive and span a decade or more), a solution figure (exact, predicted, |error|) and a
loss-curve figure per chosen trial under trials/, summary.md (replicate statistics and
failure classes per point), aggregate.json, results.csv and results.json, with mode 0644. The report is written whole or not at all:
its files are staged in a hidden directory inside it and moved into place, summary.md
last, once every one is written.

The sweep is read from --db FILE, or from a coordinator (--coordinator,
$PINNSWEEP_COORDINATOR or a context), else from ` + defaultDB + `: right after
'pinnsweep run SPEC', 'pinnsweep report SWEEP' needs no flags.`,
		Args: positional(1, 1, "SWEEP"),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.dir, "out", "", "report `dir`ectory, created if missing; files in it are replaced, all together once the whole report is written (default pinnsweep-out/SWEEP)")
	var threshold float64
	fs.Float64Var(&threshold, "threshold", 0, fmt.Sprintf("failure threshold on the median of the sweep's metric (default: the spec's failure_threshold, else %g on rel_l2)", verdict.DefaultThreshold))
	fs.StringVar(&o.x, "x", "", "horizontal `axis` of the phase diagrams (default: the first axis with several values)")
	fs.StringVar(&o.y, "y", "", "vertical `axis` (default: the next axis with several values)")
	fs.StringVar(&format, "format", "png,svg", "image `formats`, comma-separated: png, svg")
	fs.Var(&keys, "trial", "also draw the trial with this `key` (repeatable)")
	fs.StringVar(&o.trials, "trials", "median", "trials drawn per grid point: "+strings.Join(trialChoices, ", ")+" (median, best, worst by the sweep's metric)")
	fs.Var(&fields, "metric", "also draw a phase diagram coloured by this numeric result `field` (e.g. hessian_max, residual_grid; repeatable)")
	fs.BoolVar(&o.landscape, "landscape", false, "also draw each drawn trial's loss landscape (trials run with diagnostics: [landscape]), one colour scale per sweep")
	_ = cmd.RegisterFlagCompletionFunc("trials", completeWords(trialChoices...))
	_ = cmd.RegisterFlagCompletionFunc("format", completeWords("png,svg", "png", "svg"))
	sf := addSourceFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		o.sweep, o.keys, o.fields = args[0], keys.values, fields.values
		if !cmd.Flags().Changed("out") {
			o.dir = defaultOut(o.sweep)
		}
		if cmd.Flags().Changed("threshold") {
			o.threshold = &threshold
		}
		o.formats = nil
		for _, v := range strings.Split(format, ",") {
			if v = strings.TrimSpace(v); v != "" {
				o.formats = append(o.formats, v)
			}
		}
		if err := o.check(); err != nil {
			return err
		}
		src, err := sf.resolve(cmd)
		if err != nil {
			return err
		}
		ctx, cancel := callContext()
		defer cancel()
		ls, err := loadSweep(ctx, src, o.sweep)
		if err != nil {
			return err
		}
		res, err := writeReport(ls, o, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		for _, p := range res.problems {
			fmt.Fprintf(cmd.ErrOrStderr(), "pinnsweep report: not drawn: %s\n", p)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "report: %d files in %s (%d phase diagrams, %d trials drawn); see %s\n",
			res.written, o.dir, res.slices, res.trials, filepath.Join(o.dir, "summary.md"))
		return nil
	}
	return cmd
}
