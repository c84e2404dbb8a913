package trainer

import "math/rand/v2"

// model is a network with its parameters and input embedding.
type model struct {
	nt  *network
	emb embedding
	p   []float64
}

// newEmbedding returns the input embedding of c: raw (x, t), or the
// periodic and Fourier features of PeriodicX and FourierT. The Fourier
// frequencies b_i ~ N(0, FourierSigma²) are drawn from PCG(Seed, 0xf0f0).
func newEmbedding(c *Config) embedding {
	if c.PeriodicX == 0 && c.FourierT == 0 {
		return rawEmbedding{}
	}
	e := featureEmbedding{m: c.PeriodicX, dropT: c.FourierT > 0 && !c.FourierTRaw}
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0xf0f0))
	for i := 0; i < c.FourierT; i++ {
		e.b = append(e.b, c.FourierSigma*rng.NormFloat64())
	}
	return e
}

func newModel(c *Config) (*model, error) {
	act, err := activationByName(c.Activation)
	if err != nil {
		return nil, err
	}
	emb := newEmbedding(c)
	sizes := append([]int{emb.dim()}, c.Layers...)
	sizes = append(sizes, 1)
	nt, err := newNetwork(sizes, act)
	if err != nil {
		return nil, err
	}
	nt.f32 = c.Precision == PrecisionF32
	m := &model{nt: nt, emb: emb, p: make([]float64, nt.n)}
	nt.initParams(m.p, c.Seed)
	return m, nil
}
