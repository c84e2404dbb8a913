//go:build openblas

package trainer

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// BLASEngine names the BLAS implementation the trainer's GEMMs use.
const BLASEngine = "openblas"

// With -tags openblas the trainer runs its GEMMs on OpenBLAS through
// gonum/netlib's cgo binding. Link Debian's SERIAL build (the Makefile sets
// CGO_LDFLAGS): the pthread build does not scale when points are sharded
// over goroutines, and a sweep runs one trial per core anyway.
func init() { blas64.Use(netlib.Implementation{}) }
