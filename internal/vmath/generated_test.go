package vmath

import (
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/gencheck"
)

// TestGeneratedKernels fails when the checked-in archsimd kernels differ
// from what gen_kernels.go writes: edit the generator's template and run
// go generate, never the output.
func TestGeneratedKernels(t *testing.T) { gencheck.Fresh(t, "gen_kernels.go") }
