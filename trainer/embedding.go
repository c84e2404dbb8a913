package trainer

// embedding maps the coordinates (x, t) to the network's input features and
// fills the derivative streams of those features: for a direction d the
// stream holds ∂features/∂d, for xx the second x-derivative.
type embedding interface {
	// dim is the number of input features.
	dim() int
	// fill writes the dim() × (S·n) input matrix for points (x, t).
	fill(in []float64, st streams, x, t []float64)
}

// rawEmbedding feeds (x, t) unchanged: a direction d = (dx, dt) is the
// constant column (dx, dt) and u_xx's input stream is zero.
type rawEmbedding struct{}

func (rawEmbedding) dim() int { return 2 }

func (rawEmbedding) fill(in []float64, st streams, x, t []float64) {
	n := len(x)
	cols := st.count() * n
	copy(in[0:n], x)
	copy(in[cols:cols+n], t)
	for k, d := range st.dirs {
		for i := 0; i < n; i++ {
			in[(k+1)*n+i] = d[0]
			in[cols+(k+1)*n+i] = d[1]
		}
	}
	if st.xx {
		b := st.xxBlock() * n
		clear(in[b : b+n])
		clear(in[cols+b : cols+b+n])
	}
}
