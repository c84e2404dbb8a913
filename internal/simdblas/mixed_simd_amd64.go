//go:build goexperiment.simd && amd64

package simdblas

import "simd/archsimd"

// DotMixed returns Σ x[i]·y[i] over len(x) elements (len(y) ≥ len(x)),
// each float32 x[i] widened exactly to float64 and the sum accumulated in
// float64, with the vector kernels of Kernels' float64 level (four
// accumulators, fused multiply–adds) or a plain loop without them.
// L-BFGS with its curvature pairs stored in float32 uses it: half the
// memory traffic of float64 pairs, float64 arithmetic.
func DotMixed(x []float32, y []float64) float64 {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		return dotMixed8(x, y[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		return dotMixed4(x, y[:len(x)])
	}
	return dotMixedGo(x, y)
}

// AxpyMixed sets y[i] += alpha·x[i] over len(x) elements (len(y) ≥
// len(x)), each float32 x[i] widened exactly to float64, with the vector
// kernels of Kernels' float64 level (fused multiply–adds) or a plain loop
// without them.
func AxpyMixed(alpha float64, x []float32, y []float64) {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		axpyMixed8(alpha, x, y[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		axpyMixed4(alpha, x, y[:len(x)])
	default:
		axpyMixedGo(alpha, x, y)
	}
}

func dotMixed8(x []float32, y []float64) float64 {
	n := len(x)
	var c0, c1 archsimd.Float64x8
	i := 0
	for ; i+16 <= n; i += 16 {
		c0 = archsimd.LoadFloat32x8((*[8]float32)(x[i:])).ConvertToFloat64().MulAdd(archsimd.LoadFloat64x8((*[8]float64)(y[i:])), c0)
		c1 = archsimd.LoadFloat32x8((*[8]float32)(x[i+8:])).ConvertToFloat64().MulAdd(archsimd.LoadFloat64x8((*[8]float64)(y[i+8:])), c1)
	}
	for ; i < n; i += 8 {
		c0 = archsimd.LoadFloat32x8SlicePart(x[i:]).ConvertToFloat64().MulAdd(archsimd.LoadFloat64x8SlicePart(y[i:]), c0)
	}
	var s [4]float64
	c := c0.Add(c1)
	reduceFloat64x4(c.GetLo().Add(c.GetHi()), archsimd.Float64x4{}, archsimd.Float64x4{}, archsimd.Float64x4{}, s[:])
	archsimd.ClearAVXUpperBits()
	return s[0]
}

func dotMixed4(x []float32, y []float64) float64 {
	n := len(x)
	var c0, c1 archsimd.Float64x4
	i := 0
	for ; i+8 <= n; i += 8 {
		c0 = archsimd.LoadFloat32x4((*[4]float32)(x[i:])).ConvertToFloat64().MulAdd(archsimd.LoadFloat64x4((*[4]float64)(y[i:])), c0)
		c1 = archsimd.LoadFloat32x4((*[4]float32)(x[i+4:])).ConvertToFloat64().MulAdd(archsimd.LoadFloat64x4((*[4]float64)(y[i+4:])), c1)
	}
	for ; i < n; i += 4 {
		c0 = archsimd.LoadFloat32x4SlicePart(x[i:]).ConvertToFloat64().MulAdd(archsimd.LoadFloat64x4SlicePart(y[i:]), c0)
	}
	var s [4]float64
	reduceFloat64x4(c0.Add(c1), archsimd.Float64x4{}, archsimd.Float64x4{}, archsimd.Float64x4{}, s[:])
	archsimd.ClearAVXUpperBits()
	return s[0]
}

func axpyMixed8(alpha float64, x []float32, y []float64) {
	n := len(x)
	a := archsimd.BroadcastFloat64x8(alpha)
	i := 0
	for ; i+8 <= n; i += 8 {
		p := (*[8]float64)(y[i:])
		archsimd.LoadFloat32x8((*[8]float32)(x[i:])).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x8(p)).Store(p)
	}
	if i < n {
		archsimd.LoadFloat32x8SlicePart(x[i:]).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x8SlicePart(y[i:])).StoreSlicePart(y[i:])
	}
	archsimd.ClearAVXUpperBits()
}

func axpyMixed4(alpha float64, x []float32, y []float64) {
	n := len(x)
	a := archsimd.BroadcastFloat64x4(alpha)
	i := 0
	for ; i+4 <= n; i += 4 {
		p := (*[4]float64)(y[i:])
		archsimd.LoadFloat32x4((*[4]float32)(x[i:])).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x4(p)).Store(p)
	}
	if i < n {
		archsimd.LoadFloat32x4SlicePart(x[i:]).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x4SlicePart(y[i:])).StoreSlicePart(y[i:])
	}
	archsimd.ClearAVXUpperBits()
}
