//go:build !(goexperiment.simd && amd64)

package vmath

func implementationName() string   { return "go" }
func implementation32Name() string { return "go" }

func tanhKernel(dst, src []float64)         { tanhGeneric(dst, src) }
func tanhDerivKernel(h, s, src []float64)   { tanhJetGeneric(tanhGeneric, h, s, nil, src, nil) }
func tanh32Kernel(dst, src []float32)       { tanh32Generic(dst, src) }
func tanhDeriv32Kernel(h, s, src []float32) { tanhJetGeneric(tanh32Generic, h, s, nil, src, nil) }

func tanhJet64(h, s, hd, src, ad []float64) { tanhJetGeneric(tanhGeneric, h, s, hd, src, ad) }
func tanhJet32(h, s, hd, src, ad []float32) { tanhJetGeneric(tanh32Generic, h, s, hd, src, ad) }

func jetAdjoint64(gv, gd, h, hd []float64) { jetAdjointGeneric(gv, gd, h, hd) }
func jetAdjoint32(gv, gd, h, hd []float32) { jetAdjointGeneric(gv, gd, h, hd) }
