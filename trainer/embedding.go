package trainer

import "math"

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

// featureEmbedding maps (x, t) to [t (unless dropT), cos kx, sin kx (k = 1..M), cos b_i t,
// sin b_i t (i = 1..F)], or keeps x itself when M = 0. With M > 0 the
// network is exactly 2π-periodic in x, with every x-derivative.
type featureEmbedding struct {
	m     int       // periodic harmonics in x (0: raw x)
	b     []float64 // Fourier frequencies of t
	dropT bool      // leave t itself out (only its Fourier features)
}

func (e featureEmbedding) dim() int {
	d := 1 + 2*len(e.b)
	if e.dropT {
		d--
	}
	if e.m > 0 {
		return d + 2*e.m
	}
	return d + 1
}

func (e featureEmbedding) fill(in []float64, st streams, x, t []float64) {
	n := len(x)
	S := st.count()
	cols := S * n
	row := 0
	// set writes feature row r, stream block k, point i.
	set := func(r, k, i int, v float64) { in[r*cols+k*n+i] = v }
	xxb := st.xxBlock()
	if !e.dropT {
		for i := 0; i < n; i++ {
			set(row, 0, i, t[i])
			for k, d := range st.dirs {
				set(row, k+1, i, d[1])
			}
			if st.xx {
				set(row, xxb, i, 0)
			}
		}
		row++
	}
	if e.m == 0 {
		for i := 0; i < n; i++ {
			set(row, 0, i, x[i])
			for k, d := range st.dirs {
				set(row, k+1, i, d[0])
			}
			if st.xx {
				set(row, xxb, i, 0)
			}
		}
		row++
	}
	for h := 1; h <= e.m; h++ {
		kf := float64(h)
		for i := 0; i < n; i++ {
			sn, cs := math.Sincos(kf * x[i])
			set(row, 0, i, cs)
			set(row+1, 0, i, sn)
			for k, d := range st.dirs {
				set(row, k+1, i, -kf*sn*d[0])
				set(row+1, k+1, i, kf*cs*d[0])
			}
			if st.xx {
				set(row, xxb, i, -kf*kf*cs)
				set(row+1, xxb, i, -kf*kf*sn)
			}
		}
		row += 2
	}
	for _, bf := range e.b {
		for i := 0; i < n; i++ {
			sn, cs := math.Sincos(bf * t[i])
			set(row, 0, i, cs)
			set(row+1, 0, i, sn)
			for k, d := range st.dirs {
				set(row, k+1, i, -bf*sn*d[1])
				set(row+1, k+1, i, bf*cs*d[1])
			}
			if st.xx {
				set(row, xxb, i, 0)
				set(row+1, xxb, i, 0)
			}
		}
		row += 2
	}
}
