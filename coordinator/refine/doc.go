// Package refine is the coordinator's refinement step: given the
// scheduler's state and a sweep's spec, it computes the trials that the
// spec's refine rules add (sweeps.Spec.Refinements), and the brackets and
// point verdicts refinement sees. It is deterministic and does no I/O of
// its own: it reads the trials' points, which the scheduler does not keep,
// from the changes of the batch in progress and, once, from the store.
//
// Each trial is classified by verdict.Classify from its status and the
// metric value the scheduler keeps (read from its result when it ended),
// so refinement, the report and the dashboard judge trials alike.
package refine
