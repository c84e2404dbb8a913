// Package export writes a sweep's trials as CSV or JSON (Write): one row
// or object per trial with its key, status, attempts, point, the result's
// metrics (rel_l2, abs_err, linf_rel, residuals, evals, iterations,
// seconds: numbers only, empty or null otherwise), its failure class
// (verdict.Metric.FailureClass with the metric the caller gives, normally
// the sweep's), worker and reason; the JSON also holds each full result. `pinnsweep export` and `pinnsweep
// run` write them from a database file (boltstore.ReadDatabase) or a
// coordinator.
package export
