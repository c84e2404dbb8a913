package trainer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Checkpoints inside a session.
//
// A checkpoint is taken at an iteration boundary only, where every piece
// of state is consistent: inside an optimizer call at optim's AtBoundary
// hook (the plain L-BFGS or Adam run, each curriculum stage, each seq2seq
// segment), and at the top of each epoch of runAdaptive's loop. The
// strategies keep the checkpointer told where they are (the model being
// trained, the call in progress, the stage, the segment and the models
// before it, a capture function for the epoch loop); capture reads it.
//
// Resuming runs the same code from the top: TrainFields restores the
// session's counters and clock, and each strategy skips ahead to the
// position it finds in the checkpoint (the stage, the segment, the epoch
// loop's state) and restores the optimizer call in progress, which then
// continues without its initial evaluation. Everything derived
// deterministically from the settings (the grid, the training points of
// the paper protocol, the schedule, the seq2seq windows and their points,
// the networks' shapes and embeddings, the loss problems) is rebuilt, not
// stored.

// optState is an optimizer whose state can be saved and restored.
type optState interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// checkpointer takes a session's checkpoints and holds the state it
// resumes from. A nil *checkpointer does nothing.
type checkpointer struct {
	s     *session
	save  func([]byte)
	every time.Duration
	tag   string
	last  time.Time
	// from is the state resumed from; the strategies take its parts.
	from *ckptState

	// where the run is
	model     *model
	call      *activeCall
	stage     int
	segment   int
	segModels []*model
	epoch     func() *epochCkpt
}

// activeCall is the optimizer call in progress.
type activeCall struct {
	opt            optState
	evals0, iters0 int
}

// epochLoop reports whether c trains in runAdaptive's epoch loop.
func (c *Config) epochLoop() bool {
	switch c.Strategy {
	case StrategyAdaptive, StrategyResample:
		return true
	case StrategyRegular, StrategyHard:
		return c.CausalChunks > 0 || c.GradBalance || c.Optimizer == OptimizerAdamLBFGS
	}
	return false
}

// newCheckpointer returns the session's checkpointer (nil when opts
// neither saves nor resumes) and, resuming, restores the session's
// counters, history and clock.
func newCheckpointer(s *session, opts Options) (*checkpointer, error) {
	if opts.Checkpoint == nil && opts.Resume == nil {
		return nil, nil
	}
	ck := &checkpointer{s: s, save: opts.Checkpoint, every: opts.CheckpointEvery, tag: opts.CheckpointTag, last: time.Now()}
	if opts.Resume == nil {
		return ck, nil
	}
	if err := opts.Resume.Check(s.cfg); err != nil {
		return nil, err
	}
	st := opts.Resume.st
	c := &s.cfg
	bad := func(what string) error { return fmt.Errorf("%w: %s for strategy %s", ErrCheckpoint, what, c.Strategy) }
	switch {
	case c.Strategy == StrategySeq2Seq:
		if st.call == nil || st.epoch != nil || st.segment >= c.segments() || len(st.segModels) != st.segment {
			return nil, bad(fmt.Sprintf("segment %d of %d with %d earlier models", st.segment, c.segments(), len(st.segModels)))
		}
	case c.epochLoop():
		if st.epoch == nil || st.call != nil {
			return nil, bad("no epoch-loop state")
		}
	case c.Strategy == StrategyCurriculum:
		if st.call == nil || st.epoch != nil || st.stage >= len(c.CurriculumSchedule()) {
			return nil, bad(fmt.Sprintf("stage %d of %d", st.stage, len(c.CurriculumSchedule())))
		}
	default:
		if st.call == nil || st.epoch != nil {
			return nil, bad("no optimizer call")
		}
	}
	// A private copy: the strategies take its parts.
	cp := *st
	ck.from = &cp
	s.evals, s.iters, s.lastF, s.nextLog = st.evals, st.iters, st.lastF, st.nextLog
	s.res.History = slices.Clone(st.history)
	s.balanceW = st.balanceW
	s.res.Loss, s.res.LossIC, s.res.LossBC, s.res.LossRes = st.loss, st.lossIC, st.lossBC, st.lossRes
	s.start = time.Now().Add(-time.Duration(st.seconds * float64(time.Second)))
	return ck, nil
}

// saving reports whether the checkpointer takes checkpoints.
func (ck *checkpointer) saving() bool { return ck != nil && ck.save != nil }

// track records m as the network being trained and, resuming, gives it
// the checkpoint's weights.
func (ck *checkpointer) track(m *model) error {
	if ck == nil {
		return nil
	}
	ck.model = m
	if f := ck.from; f != nil && f.params != nil {
		if len(f.params) != len(m.p) {
			return fmt.Errorf("%w: %d weights; the network has %d", ErrCheckpoint, len(f.params), len(m.p))
		}
		copy(m.p, f.params)
		f.params = nil
	}
	return nil
}

// takeCall returns the optimizer call to resume, once.
func (ck *checkpointer) takeCall() *callCkpt {
	if ck == nil || ck.from == nil {
		return nil
	}
	c := ck.from.call
	ck.from.call = nil
	return c
}

// enter records the optimizer call in progress; leave forgets it.
func (ck *checkpointer) enter(opt optState, evals0, iters0 int) {
	if ck != nil {
		ck.call = &activeCall{opt: opt, evals0: evals0, iters0: iters0}
	}
}

func (ck *checkpointer) leave() {
	if ck != nil {
		ck.call = nil
	}
}

// resumeStage returns the curriculum stage to start at.
func (ck *checkpointer) resumeStage() int {
	if ck == nil || ck.from == nil {
		return 0
	}
	st := ck.from.stage
	ck.from.stage = 0
	return st
}

// atStage records the curriculum stage.
func (ck *checkpointer) atStage(i int) {
	if ck != nil {
		ck.stage = i
	}
}

// resumeSegment returns the seq2seq segment to resume at and the weights
// of the segments before it (0 and nil when not resuming).
func (ck *checkpointer) resumeSegment() (int, [][]float64) {
	if ck == nil || ck.from == nil {
		return 0, nil
	}
	return ck.from.segment, ck.from.segModels
}

// atSegment records the seq2seq segment k, trained on m, after the
// segments of done.
func (ck *checkpointer) atSegment(k int, done []*model, m *model) {
	if ck != nil {
		ck.segment, ck.segModels, ck.model = k, done, m
	}
}

// takeEpoch returns the epoch loop's state to resume, once.
func (ck *checkpointer) takeEpoch() *epochCkpt {
	if ck == nil || ck.from == nil {
		return nil
	}
	e := ck.from.epoch
	ck.from.epoch = nil
	return e
}

// inEpoch records the epoch loop's capture function.
func (ck *checkpointer) inEpoch(capture func() *epochCkpt) {
	if ck != nil {
		ck.epoch = capture
	}
}

// boundary takes a checkpoint if one is due (at least every since the
// last one, or at every boundary when every ≤ 0). Not before the first
// evaluation: the epoch loop's first boundary comes before any, a
// checkpoint there would save no work, and ReadCheckpoint refuses one
// without evaluations (a resume would start afresh all the same, after
// ignoring it).
func (ck *checkpointer) boundary() {
	if !ck.saving() || ck.s.evals == 0 || (ck.every > 0 && time.Since(ck.last) < ck.every) {
		return
	}
	data, err := ck.capture()
	if err != nil {
		// Not a reason to stop training: the next boundary tries again.
		return
	}
	ck.save(data)
	ck.last = time.Now()
}

// capture encodes the session's state where it is now.
func (ck *checkpointer) capture() ([]byte, error) {
	s := ck.s
	st := &ckptState{
		tag: ck.tag, version: Version, blas: BLASName(), configHash: configHash(s.cfg),
		seconds: time.Since(s.start).Seconds(),
		evals:   s.evals, iters: s.iters, lastF: s.lastF, nextLog: s.nextLog,
		history: s.res.History, balanceW: s.balanceW,
		loss: s.res.Loss, lossIC: s.res.LossIC, lossBC: s.res.LossBC, lossRes: s.res.LossRes,
		stage: ck.stage, segment: ck.segment,
	}
	if ck.model != nil {
		st.params = ck.model.p
	}
	for _, m := range ck.segModels {
		st.segModels = append(st.segModels, m.p)
	}
	if c := ck.call; c != nil {
		b, err := c.opt.MarshalBinary()
		if err != nil {
			return nil, err
		}
		st.call = &callCkpt{opt: b, evals0: c.evals0, iters0: c.iters0}
	} else if ck.epoch != nil {
		st.epoch = ck.epoch()
		if st.epoch == nil {
			return nil, fmt.Errorf("%w: the epoch loop's state could not be encoded", ErrCheckpoint)
		}
	}
	return encodeCheckpoint(st), nil
}

// captureEpoch is the epoch loop's part of a checkpoint.
func captureEpoch(pts *pointSet, pcg *rand.PCG, stats *AdaptiveStats, opt optState, adam bool,
	every, phaseStart, k int, mon *stallMonitor, rw *reweighter) *epochCkpt {
	rng, err := pcg.MarshalBinary()
	if err != nil {
		return nil
	}
	o, err := opt.MarshalBinary()
	if err != nil {
		return nil
	}
	e := &epochCkpt{resX: pts.resX, resT: pts.resT, resW: pts.resW, rng: rng, stats: *stats, adam: adam, opt: o,
		every: every, phaseStart: phaseStart, k: k, monBest: mon.best, monSince: mon.since}
	if stats.Causal != nil {
		cs := *stats.Causal
		e.stats.Causal = &cs
	}
	if rw != nil {
		e.rwEps, e.rwMinW, e.rwLam = rw.eps, rw.minW, rw.lam
	}
	return e
}

// restoreEpoch is captureEpoch's inverse for what lives outside the loop's
// locals: the points, the RNG, the stats, the monitor and the reweighter.
func restoreEpoch(e *epochCkpt, pts *pointSet, pcg *rand.PCG, stats *AdaptiveStats, mon *stallMonitor, rw *reweighter) error {
	if len(e.resX) != len(e.resT) || (e.resW != nil && len(e.resW) != len(e.resX)) {
		return fmt.Errorf("%w: %d, %d, %d collocation coordinates and weights", ErrCheckpoint, len(e.resX), len(e.resT), len(e.resW))
	}
	if err := pcg.UnmarshalBinary(e.rng); err != nil {
		return fmt.Errorf("%w: the redraw RNG: %w", ErrCheckpoint, err)
	}
	// Copies: a problem may write into the weights, and a Checkpoint may
	// be resumed from more than once.
	pts.resX, pts.resT, pts.resW = slices.Clone(e.resX), slices.Clone(e.resT), slices.Clone(e.resW)
	*stats = e.stats
	if e.stats.Causal != nil {
		cs := *e.stats.Causal
		stats.Causal = &cs
	}
	mon.best, mon.since = e.monBest, e.monSince
	if rw != nil {
		rw.eps, rw.minW, rw.lam = e.rwEps, e.rwMinW, e.rwLam
	}
	return nil
}

// resumeSegmentModel gives seq2seq segment k's network m its weights from
// the checkpoint resumed from: those it ended with for a segment before
// resumeAt (trained), the checkpoint's current ones for resumeAt itself.
func (s *session) resumeSegmentModel(k, resumeAt int, trained [][]float64, m *model) error {
	var p []float64
	switch {
	case k < resumeAt:
		p = trained[k]
	case k == resumeAt && s.ck != nil && s.ck.from != nil:
		return s.ck.track(m)
	default:
		return nil
	}
	if len(p) != len(m.p) {
		return fmt.Errorf("%w: segment %d has %d weights; the network has %d", ErrCheckpoint, k, len(p), len(m.p))
	}
	copy(m.p, p)
	return nil
}
