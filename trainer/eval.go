package trainer

// evalChunk is the number of points evaluated per forward pass when
// predicting on large point sets; it bounds the workspace memory.
const evalChunk = 2048

// predict evaluates u at the points (x, t).
func predict(nt *network, emb embedding, p, x, t []float64) []float64 {
	out := make([]float64, len(x))
	for lo := 0; lo < len(x); lo += evalChunk {
		hi := min(lo+evalChunk, len(x))
		b := newBatch(nt, streams{}, emb, x[lo:hi], t[lo:hi])
		b.forward(p)
		copy(out[lo:hi], b.out[:b.n])
	}
	return out
}

// meanSquaredResidual is the mean of f² over the points (x, t).
func meanSquaredResidual(nt *network, emb embedding, op operator, p, x, t []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := 0.0
	f := make([]float64, evalChunk)
	for lo := 0; lo < len(x); lo += evalChunk {
		hi := min(lo+evalChunk, len(x))
		b := newBatch(nt, op.st, emb, x[lo:hi], t[lo:hi])
		b.forward(p)
		op.residual(b, f)
		for _, v := range f[:b.n] {
			s += v * v
		}
	}
	return s / float64(len(x))
}
