package optim

import (
	"errors"
	"fmt"
)

// ErrDiverged is returned (wrapped) by Minimize when the objective produced a
// NaN or ±Inf loss, or a gradient with a NaN or ±Inf entry. The accompanying
// Result has Reason == ReasonDiverged. Test for it with errors.Is.
//
// Where x is left after a divergence:
//   - LBFGS: at the last accepted iterate (trial points of the line search
//     are evaluated in an internal buffer and never written to x), so
//     Result.F is that iterate's finite loss. If the very first evaluation of
//     the call diverged, x is untouched and Result.F is NaN.
//   - Adam: rolled back to the point evaluated just before the failing one
//     (whose loss, Result.F, was finite), if that point was reached in the
//     same Minimize call; otherwise x is untouched and Result.F is NaN. The
//     moment estimates keep the update that led to the failing point; call
//     Reset before continuing from the rolled-back x if that matters.
var ErrDiverged = errors.New("optim: loss or gradient is not finite")

// errDiverged wraps ErrDiverged with the evaluation count at which it happened.
func errDiverged(eval int) error {
	return fmt.Errorf("%w (evaluation %d)", ErrDiverged, eval)
}

// ErrSettings is returned (wrapped) by Settings.Validate and by Minimize when
// a setting is out of range. No evaluation happens in that case.
var ErrSettings = errors.New("optim: invalid settings")

// ErrDimension is returned (wrapped) by Minimize when len(x) differs from the
// dimension the optimizer was created with. No evaluation happens.
var ErrDimension = errors.New("optim: dimension mismatch")

// ErrState is returned (wrapped) by UnmarshalBinary when the data is not an
// optimizer state this optimizer can take: corrupt, of the other optimizer,
// or made with another dimension, history size or settings.
var ErrState = errors.New("optim: invalid optimizer state")
