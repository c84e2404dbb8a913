package trainer

// evalChunk is the number of points evaluated per forward pass when
// predicting on large point sets; it bounds the workspace memory.
const evalChunk = 2048

// predict evaluates u at the points (x, t), in the network's precision.
func predict(nt *network, emb embedding, p, x, t []float64) []float64 {
	out := make([]float64, len(x))
	if nt.f32 {
		forChunks[float32](nt, emb, streams{}, p, x, t, func(lo int, b *batch[float32]) {
			for i, v := range b.out[:b.n] {
				out[lo+i] = float64(v)
			}
		})
	} else {
		forChunks[float64](nt, emb, streams{}, p, x, t, func(lo int, b *batch[float64]) {
			copy(out[lo:], b.out[:b.n])
		})
	}
	return out
}

// residuals writes the PDE residual f at the points (x, t) into out, in
// the network's precision.
func residuals(nt *network, emb embedding, op operator, p, x, t, out []float64) {
	if nt.f32 {
		residualsT[float32](nt, emb, op, p, x, t, out)
	} else {
		residualsT[float64](nt, emb, op, p, x, t, out)
	}
}

func residualsT[T real](nt *network, emb embedding, op operator, p, x, t, out []float64) {
	f := make([]T, min(evalChunk, len(x)))
	forChunks[T](nt, emb, op.st, p, x, t, func(lo int, b *batch[T]) {
		residual(&op, b, f)
		for i, v := range f[:b.n] {
			out[lo+i] = float64(v)
		}
	})
}

// meanSquaredResidual is the mean of f² over the points (x, t).
func meanSquaredResidual(nt *network, emb embedding, op operator, p, x, t []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	f := make([]float64, len(x))
	residuals(nt, emb, op, p, x, t, f)
	s := 0.0
	for _, v := range f {
		s += v * v
	}
	return s / float64(len(x))
}

// forChunks runs the forward pass of the network with parameters p over
// the points (x, t) in chunks of evalChunk, with streams st, and calls
// use with each chunk's first index and its batch. It reuses one batch for
// every full chunk.
func forChunks[T real](nt *network, emb embedding, st streams, p, x, t []float64, use func(lo int, b *batch[T])) {
	var w params[T]
	w.load(nt, p)
	var full *batch[T]
	for lo := 0; lo < len(x); lo += evalChunk {
		hi := min(lo+evalChunk, len(x))
		var b *batch[T]
		switch {
		case hi-lo < evalChunk:
			b = newBatch[T](nt, st, emb, x[lo:hi], t[lo:hi])
		case full == nil:
			full = newBatch[T](nt, st, emb, x[lo:hi], t[lo:hi])
			b = full
		default:
			full.refill(x[lo:hi], t[lo:hi])
			b = full
		}
		b.forward(&w)
		use(lo, b)
	}
}
