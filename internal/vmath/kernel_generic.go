//go:build !(goexperiment.simd && amd64)

package vmath

func implementationName() string { return "go" }

func tanhKernel(dst, src []float64)       { tanhGeneric(dst, src) }
func tanhDerivKernel(h, s, src []float64) { tanhDerivGeneric(h, s, src) }
