package trainer

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pinnsweep/pinnsweep/internal/bincodec"
)

// CheckpointFormat is the version of the checkpoint encoding this build
// writes and reads.
const CheckpointFormat = 1

// ErrCheckpoint is wrapped by every error about a checkpoint: data that
// is not one (corrupt, truncated, another format), or one that does not
// continue the run it is given to.
var ErrCheckpoint = errors.New("trainer: unusable checkpoint")

// checkpointMagic starts every encoded checkpoint.
const checkpointMagic = "pinnsweep checkpoint\n"

// Checkpoint is a trial's whole training state at an iteration boundary,
// as Options.Checkpoint receives it (encoded) and Options.Resume takes it
// back: the weights; the optimizer in progress (L-BFGS's curvature pairs,
// last direction, step and gradient, or Adam's moments, step count and
// learning rate, with the counters of the call in progress); the
// curriculum stage; the seq2seq segment and the networks of the segments
// before it; the collocation points, the redraw RNG, the stall monitor,
// the causal ε schedule and balancing weights of the epoch loop of
// adaptive, resample and adam_lbfgs; the evaluation and iteration
// counters, the loss history and the training seconds so far.
//
// A run resumed from a checkpoint ends with the Result the run it was
// taken from would have reached, bit for bit, except for wall-clock
// seconds (Result.Seconds and HistoryPoint.Seconds, which count the
// seconds before the checkpoint plus those after the resume).
type Checkpoint struct{ st *ckptState }

// Tag returns the caller's name for the trial (Options.CheckpointTag).
func (c *Checkpoint) Tag() string { return c.st.tag }

// Evals returns the loss evaluations done before the checkpoint.
func (c *Checkpoint) Evals() int { return c.st.evals }

// Seconds returns the training seconds before the checkpoint.
func (c *Checkpoint) Seconds() float64 { return c.st.seconds }

// Check reports, with an error wrapping ErrCheckpoint, why the checkpoint
// cannot continue a run of cfg: it was taken with other settings (a hash
// of every setting, precision included, is stored), by another trainer
// version, or on another BLAS or kernel level (BLASName: their rounding
// would change the rest of the run).
func (c *Checkpoint) Check(cfg Config) error {
	switch {
	case c.st.version != Version:
		return fmt.Errorf("%w: written by trainer %s, this is %s", ErrCheckpoint, c.st.version, Version)
	case c.st.blas != BLASName():
		return fmt.Errorf("%w: written on BLAS %s, this process uses %s", ErrCheckpoint, c.st.blas, BLASName())
	case c.st.configHash != configHash(cfg):
		return fmt.Errorf("%w: written for other trainer settings", ErrCheckpoint)
	}
	return nil
}

// configHash is the SHA-256 of cfg's JSON encoding (every setting,
// precision included), with the default strategy and precision made
// explicit as Train does.
func configHash(cfg Config) [32]byte {
	cfg.explicitDefaults()
	b, err := json.Marshal(cfg)
	if err != nil {
		// A Config holds plain numbers, strings and slices; only a
		// non-finite float fails, and such a config never trains.
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// ckptState is a checkpoint's content, in the order of its encoding.
type ckptState struct {
	tag           string
	version, blas string
	configHash    [32]byte
	seconds       float64

	// the session
	evals, iters int
	lastF        float64
	nextLog      int
	history      []HistoryPoint
	balanceW     [numTerms]float64
	// loss sums of the seq2seq segments before the current one
	loss, lossIC, lossBC, lossRes float64

	// params are the weights of the network being trained.
	params []float64
	// call is the optimizer call in progress, if any.
	call *callCkpt
	// stage is the curriculum stage.
	stage int
	// segment is the seq2seq segment, and segModels the weights of the
	// segments before it.
	segment   int
	segModels [][]float64
	// epoch is the state of the epoch loop, if the run is in one.
	epoch *epochCkpt
}

// callCkpt is an optimizer call in progress: its encoded state and the
// session's counters when it started (its caps count from them).
type callCkpt struct {
	opt            []byte
	evals0, iters0 int
}

// epochCkpt is the state of runAdaptive's loop at the top of an epoch.
type epochCkpt struct {
	resX, resT, resW  []float64
	rng               []byte
	stats             AdaptiveStats
	adam              bool
	opt               []byte
	every, phaseStart int
	k                 int
	monBest           float64
	monSince          int
	// the reweighter (causal ε, last minimum weight, balancing weights)
	rwEps, rwMinW float64
	rwLam         [numTerms]float64
}

// encodeCheckpoint returns st's encoding: the magic line, the fields
// (package bincodec), and the SHA-256 of everything before it.
func encodeCheckpoint(st *ckptState) []byte {
	var w bincodec.Writer
	w.Int(CheckpointFormat)
	w.String(st.tag)
	w.String(st.version)
	w.String(st.blas)
	w.Blob(st.configHash[:])
	w.Float(st.seconds)
	w.Int(st.evals)
	w.Int(st.iters)
	w.Float(st.lastF)
	w.Int(st.nextLog)
	w.Int(len(st.history))
	for _, h := range st.history {
		w.Int(h.Eval)
		w.Int(h.Iter)
		for _, v := range []float64{h.Seconds, h.Loss, h.LossIC, h.LossBC, h.LossRes} {
			w.Float(v)
		}
	}
	for _, v := range st.balanceW {
		w.Float(v)
	}
	for _, v := range []float64{st.loss, st.lossIC, st.lossBC, st.lossRes} {
		w.Float(v)
	}
	w.Floats(st.params)
	w.Bool(st.call != nil)
	if c := st.call; c != nil {
		w.Blob(c.opt)
		w.Int(c.evals0)
		w.Int(c.iters0)
	}
	w.Int(st.stage)
	w.Int(st.segment)
	w.Int(len(st.segModels))
	for _, p := range st.segModels {
		w.Floats(p)
	}
	w.Bool(st.epoch != nil)
	if e := st.epoch; e != nil {
		e.encode(&w)
	}
	body := append([]byte(checkpointMagic), w.Bytes()...)
	sum := sha256.Sum256(body)
	return append(body, sum[:]...)
}

func (e *epochCkpt) encode(w *bincodec.Writer) {
	w.Floats(e.resX)
	w.Floats(e.resT)
	w.Floats(e.resW)
	w.Blob(e.rng)
	s := e.stats
	for _, n := range []int{s.Epochs, s.Resamples, s.Restarts, s.Points, s.Switched} {
		w.Int(n)
	}
	w.Bool(s.Causal != nil)
	if s.Causal != nil {
		w.Float(s.Causal.Eps)
		w.Float(s.Causal.MinWeight)
	}
	w.Bool(e.adam)
	w.Blob(e.opt)
	w.Int(e.every)
	w.Int(e.phaseStart)
	w.Int(e.k)
	w.Float(e.monBest)
	w.Int(e.monSince)
	w.Float(e.rwEps)
	w.Float(e.rwMinW)
	for _, v := range e.rwLam {
		w.Float(v)
	}
}

// ReadCheckpoint decodes a checkpoint that Options.Checkpoint received.
// It returns an error wrapping ErrCheckpoint for data that is not a
// complete, intact checkpoint of this format (the SHA-256 it ends with
// must match). Whether it continues a given run is Check's question.
func ReadCheckpoint(data []byte) (*Checkpoint, error) {
	n := len(checkpointMagic)
	if len(data) < n+sha256.Size || !bytes.Equal(data[:n], []byte(checkpointMagic)) {
		return nil, fmt.Errorf("%w: not a pinnsweep checkpoint", ErrCheckpoint)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:]) {
		return nil, fmt.Errorf("%w: checksum mismatch (truncated or damaged)", ErrCheckpoint)
	}
	r := bincodec.NewReader(body[n:])
	if f := r.Int(); r.Err() == nil && f != CheckpointFormat {
		return nil, fmt.Errorf("%w: format %d; this build reads format %d", ErrCheckpoint, f, CheckpointFormat)
	}
	st := &ckptState{tag: r.String(), version: r.String(), blas: r.String()}
	copy(st.configHash[:], r.Blob())
	st.seconds = r.Float()
	st.evals, st.iters = r.Int(), r.Int()
	st.lastF, st.nextLog = r.Float(), r.Int()
	nh := r.Int()
	if nh < 0 || nh > len(body)/56 {
		return nil, fmt.Errorf("%w: %d history points", ErrCheckpoint, nh)
	}
	for range nh {
		st.history = append(st.history, HistoryPoint{Eval: r.Int(), Iter: r.Int(), Seconds: r.Float(),
			Loss: r.Float(), LossIC: r.Float(), LossBC: r.Float(), LossRes: r.Float()})
	}
	for i := range st.balanceW {
		st.balanceW[i] = r.Float()
	}
	st.loss, st.lossIC, st.lossBC, st.lossRes = r.Float(), r.Float(), r.Float(), r.Float()
	st.params = r.Floats()
	if r.Bool() {
		st.call = &callCkpt{opt: r.Blob(), evals0: r.Int(), iters0: r.Int()}
	}
	st.stage, st.segment = r.Int(), r.Int()
	ns := r.Int()
	if ns < 0 || ns > len(body)/8 {
		return nil, fmt.Errorf("%w: %d segment models", ErrCheckpoint, ns)
	}
	for i := 0; i < ns && r.Err() == nil; i++ {
		st.segModels = append(st.segModels, r.Floats())
	}
	if r.Bool() {
		st.epoch = decodeEpoch(r)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if st.evals < 1 || st.iters < 0 || len(st.params) == 0 || st.stage < 0 || st.segment < 0 {
		return nil, fmt.Errorf("%w: %d evaluations, %d iterations, %d weights, stage %d, segment %d",
			ErrCheckpoint, st.evals, st.iters, len(st.params), st.stage, st.segment)
	}
	return &Checkpoint{st: st}, nil
}

func decodeEpoch(r *bincodec.Reader) *epochCkpt {
	e := &epochCkpt{resX: r.Floats(), resT: r.Floats(), resW: r.Floats(), rng: r.Blob()}
	e.stats = AdaptiveStats{Epochs: r.Int(), Resamples: r.Int(), Restarts: r.Int(), Points: r.Int(), Switched: r.Int()}
	if r.Bool() {
		e.stats.Causal = &CausalStats{Eps: r.Float(), MinWeight: r.Float()}
	}
	e.adam = r.Bool()
	e.opt = r.Blob()
	e.every, e.phaseStart, e.k = r.Int(), r.Int(), r.Int()
	e.monBest, e.monSince = r.Float(), r.Int()
	e.rwEps, e.rwMinW = r.Float(), r.Float()
	for i := range e.rwLam {
		e.rwLam[i] = r.Float()
	}
	return e
}
