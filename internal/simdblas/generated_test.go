package simdblas

import (
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/gencheck"
)

// TestGeneratedAsm fails when the checked-in assembly kernels or their
// declarations differ from what gen_asm.go writes: edit the generator and
// run go generate, never the output.
func TestGeneratedAsm(t *testing.T) { gencheck.Fresh(t, "gen_asm.go") }

// TestGeneratedKernels fails when the checked-in archsimd kernels or peak
// loops differ from what gen_kernels.go writes from templates/.
func TestGeneratedKernels(t *testing.T) { gencheck.Fresh(t, "gen_kernels.go") }
