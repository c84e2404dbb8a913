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
