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
	return sum8(c0.Add(c1))
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
	return sum4(c0.Add(c1))
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

// AxpyDot sets y[i] += alpha·x[i] and returns Σ z[i]·y[i] with the updated
// y, in one pass over len(x) elements (len(y), len(z) ≥ len(x)): the
// two-loop recursion of L-BFGS fuses each update of its direction with
// the next dot product, so the direction is read once instead of twice.
// It uses the vector kernels of Kernels' float64 level (fused
// multiply–adds) or a plain loop without them.
func AxpyDot(alpha float64, x, y, z []float64) float64 {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		return axpyDot8(alpha, x, y[:len(x)], z[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		return axpyDot4(alpha, x, y[:len(x)], z[:len(x)])
	}
	return axpyDotGo(alpha, x, y, z)
}

// AxpyDotMixed is AxpyDot with x and z in float32, each element widened
// exactly to float64.
func AxpyDotMixed(alpha float64, x []float32, y []float64, z []float32) float64 {
	switch {
	case level64 == LevelAVX512 && len(x) >= minLevel1:
		return axpyDotMixed8(alpha, x, y[:len(x)], z[:len(x)])
	case level64 == LevelAVX2 && len(x) >= minLevel1:
		return axpyDotMixed4(alpha, x, y[:len(x)], z[:len(x)])
	}
	return axpyDotMixedGo(alpha, x, y, z)
}

func axpyDot8(alpha float64, x, y, z []float64) float64 {
	n := len(x)
	a := archsimd.BroadcastFloat64x8(alpha)
	var c0, c1 archsimd.Float64x8
	i := 0
	for ; i+16 <= n; i += 16 {
		p0, p1 := (*[8]float64)(y[i:]), (*[8]float64)(y[i+8:])
		v0 := archsimd.LoadFloat64x8((*[8]float64)(x[i:])).MulAdd(a, archsimd.LoadFloat64x8(p0))
		v1 := archsimd.LoadFloat64x8((*[8]float64)(x[i+8:])).MulAdd(a, archsimd.LoadFloat64x8(p1))
		v0.Store(p0)
		v1.Store(p1)
		c0 = archsimd.LoadFloat64x8((*[8]float64)(z[i:])).MulAdd(v0, c0)
		c1 = archsimd.LoadFloat64x8((*[8]float64)(z[i+8:])).MulAdd(v1, c1)
	}
	for ; i < n; i += 8 {
		v := archsimd.LoadFloat64x8SlicePart(x[i:]).MulAdd(a, archsimd.LoadFloat64x8SlicePart(y[i:]))
		v.StoreSlicePart(y[i:])
		c0 = archsimd.LoadFloat64x8SlicePart(z[i:]).MulAdd(v, c0)
	}
	return sum8(c0.Add(c1))
}

func axpyDot4(alpha float64, x, y, z []float64) float64 {
	n := len(x)
	a := archsimd.BroadcastFloat64x4(alpha)
	var c0, c1 archsimd.Float64x4
	i := 0
	for ; i+8 <= n; i += 8 {
		p0, p1 := (*[4]float64)(y[i:]), (*[4]float64)(y[i+4:])
		v0 := archsimd.LoadFloat64x4((*[4]float64)(x[i:])).MulAdd(a, archsimd.LoadFloat64x4(p0))
		v1 := archsimd.LoadFloat64x4((*[4]float64)(x[i+4:])).MulAdd(a, archsimd.LoadFloat64x4(p1))
		v0.Store(p0)
		v1.Store(p1)
		c0 = archsimd.LoadFloat64x4((*[4]float64)(z[i:])).MulAdd(v0, c0)
		c1 = archsimd.LoadFloat64x4((*[4]float64)(z[i+4:])).MulAdd(v1, c1)
	}
	for ; i < n; i += 4 {
		v := archsimd.LoadFloat64x4SlicePart(x[i:]).MulAdd(a, archsimd.LoadFloat64x4SlicePart(y[i:]))
		v.StoreSlicePart(y[i:])
		c0 = archsimd.LoadFloat64x4SlicePart(z[i:]).MulAdd(v, c0)
	}
	return sum4(c0.Add(c1))
}

func axpyDotMixed8(alpha float64, x []float32, y []float64, z []float32) float64 {
	n := len(x)
	a := archsimd.BroadcastFloat64x8(alpha)
	var c0, c1 archsimd.Float64x8
	i := 0
	for ; i+16 <= n; i += 16 {
		p0, p1 := (*[8]float64)(y[i:]), (*[8]float64)(y[i+8:])
		v0 := archsimd.LoadFloat32x8((*[8]float32)(x[i:])).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x8(p0))
		v1 := archsimd.LoadFloat32x8((*[8]float32)(x[i+8:])).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x8(p1))
		v0.Store(p0)
		v1.Store(p1)
		c0 = archsimd.LoadFloat32x8((*[8]float32)(z[i:])).ConvertToFloat64().MulAdd(v0, c0)
		c1 = archsimd.LoadFloat32x8((*[8]float32)(z[i+8:])).ConvertToFloat64().MulAdd(v1, c1)
	}
	for ; i < n; i += 8 {
		v := archsimd.LoadFloat32x8SlicePart(x[i:]).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x8SlicePart(y[i:]))
		v.StoreSlicePart(y[i:])
		c0 = archsimd.LoadFloat32x8SlicePart(z[i:]).ConvertToFloat64().MulAdd(v, c0)
	}
	return sum8(c0.Add(c1))
}

func axpyDotMixed4(alpha float64, x []float32, y []float64, z []float32) float64 {
	n := len(x)
	a := archsimd.BroadcastFloat64x4(alpha)
	var c0, c1 archsimd.Float64x4
	i := 0
	for ; i+8 <= n; i += 8 {
		p0, p1 := (*[4]float64)(y[i:]), (*[4]float64)(y[i+4:])
		v0 := archsimd.LoadFloat32x4((*[4]float32)(x[i:])).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x4(p0))
		v1 := archsimd.LoadFloat32x4((*[4]float32)(x[i+4:])).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x4(p1))
		v0.Store(p0)
		v1.Store(p1)
		c0 = archsimd.LoadFloat32x4((*[4]float32)(z[i:])).ConvertToFloat64().MulAdd(v0, c0)
		c1 = archsimd.LoadFloat32x4((*[4]float32)(z[i+4:])).ConvertToFloat64().MulAdd(v1, c1)
	}
	for ; i < n; i += 4 {
		v := archsimd.LoadFloat32x4SlicePart(x[i:]).ConvertToFloat64().MulAdd(a, archsimd.LoadFloat64x4SlicePart(y[i:]))
		v.StoreSlicePart(y[i:])
		c0 = archsimd.LoadFloat32x4SlicePart(z[i:]).ConvertToFloat64().MulAdd(v, c0)
	}
	return sum4(c0.Add(c1))
}

// sum8 and sum4 return the sum of the lanes of c, after which they clear
// the upper halves of the vector registers.
func sum8(c archsimd.Float64x8) float64 { return sum4(c.GetLo().Add(c.GetHi())) }

func sum4(c archsimd.Float64x4) float64 {
	var s [4]float64
	reduceFloat64x4(c, archsimd.Float64x4{}, archsimd.Float64x4{}, archsimd.Float64x4{}, s[:])
	archsimd.ClearAVXUpperBits()
	return s[0]
}
