// Package export writes a sweep's trials as CSV or JSON (Write): one row
// or object per trial with its key, status, attempts and point; the
// result's numeric top-level fields, the sweep's metric first (Sheet);
// the params that are not axes (a command sweep's free-form settings, the
// built-in trainer's); worker, reason and the stderr tail of the latest
// completed attempt, and its failure class (verdict.Metric.FailureClass
// with the sweep's metric, Sheet). The JSON also holds each full params object, result
// and tail. The CSV's derived columns are bounded (MaxResultColumns,
// MaxParamColumns) whatever the results hold. `pinnsweep export` and
// `pinnsweep run` write them from a database file
// (boltstore.ReadDatabase) or a coordinator.
package export
