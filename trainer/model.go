package trainer

// model is a network with its parameters and input embedding.
type model struct {
	nt  *network
	emb embedding
	p   []float64
}

func newModel(c *Config) (*model, error) {
	act, err := activationByName(c.Activation)
	if err != nil {
		return nil, err
	}
	emb := embedding(rawEmbedding{})
	sizes := append([]int{emb.dim()}, c.Layers...)
	sizes = append(sizes, 1)
	nt, err := newNetwork(sizes, act)
	if err != nil {
		return nil, err
	}
	m := &model{nt: nt, emb: emb, p: make([]float64, nt.n)}
	nt.initParams(m.p, c.Seed)
	return m, nil
}

