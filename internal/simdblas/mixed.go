package simdblas

// dotMixedGo is DotMixed without kernels.
func dotMixedGo(x []float32, y []float64) float64 {
	y = y[:len(x)]
	s := 0.0
	for i, v := range x {
		s += float64(v) * y[i]
	}
	return s
}

// axpyMixedGo is AxpyMixed without kernels.
func axpyMixedGo(alpha float64, x []float32, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * float64(v)
	}
}

// axpyDotGo is AxpyDot without kernels.
func axpyDotGo(alpha float64, x, y, z []float64) float64 {
	y, z = y[:len(x)], z[:len(x)]
	s := 0.0
	for i, v := range x {
		y[i] += alpha * v
		s += z[i] * y[i]
	}
	return s
}

// axpyDotMixedGo is AxpyDotMixed without kernels.
func axpyDotMixedGo(alpha float64, x []float32, y []float64, z []float32) float64 {
	y, z = y[:len(x)], z[:len(x)]
	s := 0.0
	for i, v := range x {
		y[i] += alpha * float64(v)
		s += float64(z[i]) * y[i]
	}
	return s
}
