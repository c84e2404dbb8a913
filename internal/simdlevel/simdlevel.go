// Package simdlevel decides which vector kernels the process runs: the
// widest instruction set the CPU supports in this build, capped by the
// environment variable PINNSWEEP_KERNELS, read once at start-up.
// internal/simdblas (GEMM, level-1) and internal/vmath (tanh, jets) both
// take their level from here, so the rule lives in one place.
//
// PINNSWEEP_KERNELS=avx2 caps the level at AVX2 (benchmarks use it to
// compare the 256-bit and 512-bit kernels on one machine); "none" or "go"
// turns the kernels off; anything else, normally unset, changes nothing.
package simdlevel

import "os"

// Level is an instruction set of vector kernels.
type Level int

// Levels, in increasing order of width.
const (
	// None: no vector kernels (portable Go, or gonum's routines).
	None Level = iota
	// AVX2: 256-bit vectors; needs AVX2 and FMA.
	AVX2
	// AVX512: 512-bit vectors; needs AVX-512 F, CD, BW, DQ and VL, and FMA.
	AVX512
)

// String returns "none", "avx2" or "avx512".
func (l Level) String() string {
	switch l {
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return "none"
}

// CPU returns the widest level this CPU supports in this build: None
// without GOEXPERIMENT=simd on amd64.
func CPU() Level { return cpu }

// Start returns the level the kernels use from start-up: CPU capped by
// PINNSWEEP_KERNELS.
func Start() Level { return start }

var (
	cpu   = detect()
	start = capLevel(cpu, os.Getenv("PINNSWEEP_KERNELS"))
)

// capLevel returns the level to use on a CPU that supports c, given the
// value of PINNSWEEP_KERNELS.
func capLevel(c Level, env string) Level {
	switch env {
	case "avx2":
		return min(c, AVX2)
	case "none", "go":
		return None
	}
	return c
}
