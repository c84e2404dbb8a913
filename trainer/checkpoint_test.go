package trainer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinnsweep/pinnsweep/internal/simdlevel"
)

// ckptCases are small trials of every strategy and training path: the
// plain L-BFGS and Adam runs, each curriculum stage and seq2seq segment
// (mid-call checkpoints of a fresh optimizer), and the epoch loop of
// adaptive, resample, adam_lbfgs, causal weights and balancing; and in
// float32 the plain L-BFGS and Adam runs,
// Adam then L-BFGS, adaptive's epoch loop and supervised with the
// diagnostics.
func ckptCases() []struct {
	name string
	cfg  Config
} {
	base := func() Config {
		c := DefaultConfig()
		c.NX, c.NT, c.NU, c.NB = 64, 26, 32, 26
		c.NF, c.Layers, c.Beta = 80, []int{12, 12}, 5
		c.MaxIters = 120
		return c
	}
	var out []struct {
		name string
		cfg  Config
	}
	add := func(name string, f func(*Config)) {
		c := base()
		f(&c)
		out = append(out, struct {
			name string
			cfg  Config
		}{name, c})
	}
	add("regular-lbfgs", func(c *Config) {})
	add("regular-lbfgs-max-evals", func(c *Config) { c.MaxIters, c.MaxEvals, c.TolChange, c.TolGrad = 0, 140, 0, 0 })
	add("regular-threads", func(c *Config) { c.Threads = 2 })
	add("regular-adam", func(c *Config) { c.Optimizer, c.LR, c.AdamDecaySteps, c.AdamDecay = OptimizerAdam, 1e-2, 30, 0.5 })
	add("adam-then-lbfgs", func(c *Config) { c.Optimizer, c.AdamIters, c.AdamLR = OptimizerAdamLBFGS, 50, 1e-2 })
	add("curriculum", func(c *Config) {
		c.Strategy, c.Beta, c.CurriculumStep, c.CurriculumIters, c.MaxIters, c.TolChange = StrategyCurriculum, 8, 2.5, 30, 50, 1e-10
	})
	add("seq2seq-warm", func(c *Config) { c.Strategy, c.Seq2SeqDt, c.MaxIters = StrategySeq2Seq, 0.25, 30 })
	add("seq2seq-cold", func(c *Config) {
		c.PDE, c.Rho, c.Nu, c.IC = ReactionDiffusion, 3, 1, "gauss"
		c.Strategy, c.Seq2SeqDt, c.Seq2SeqWarm, c.MaxIters = StrategySeq2Seq, 0.34, false, 25
	})
	add("adaptive", func(c *Config) {
		// A stall delta this large restarts often, so the stall monitor's
		// state matters at every checkpoint.
		c.Strategy, c.ResampleEvery, c.AdaptivePeriod, c.StallPatience, c.StallDelta = StrategyAdaptive, 25, 30, 5, 1e-2
	})
	add("resample", func(c *Config) { c.Strategy, c.ResampleEvery, c.ResampleReset = StrategyResample, 15, false })
	add("hard", func(c *Config) { c.Strategy, c.MaxIters = StrategyHard, 60 })
	add("causal-fourier-adam-lbfgs", func(c *Config) {
		c.Strategy, c.NF, c.ResampleEvery, c.Jitter = StrategyResample, 64, 1, 1
		c.PeriodicX, c.FourierT, c.FourierSigma = 1, 4, 3
		c.CausalChunks, c.CausalEps, c.CausalEpsMax, c.ReweightEvery = 4, 0.01, 100, 20
		c.Optimizer, c.AdamIters, c.AdamLR, c.LBFGSResampleEvery, c.StallPatience = OptimizerAdamLBFGS, 50, 1e-2, 25, 1000000
	})
	add("grad-balance", func(c *Config) { c.GradBalance, c.ReweightEvery = true, 25 })
	add("supervised", func(c *Config) { c.Strategy = StrategySupervised })
	// The diagnostics run after training, on the final weights and
	// points: a resumed run must give the same curvature and landscape.
	withDiagnostics := func(c *Config) {
		c.Diagnostics = []string{DiagnosticHessian, DiagnosticLandscape}
		c.HessianSteps, c.HessianProbes, c.LandscapePoints = 12, 10, 5
	}
	add("regular-diagnostics", withDiagnostics)
	add("supervised-diagnostics", func(c *Config) { c.Strategy = StrategySupervised; withDiagnostics(c) })
	add("adaptive-diagnostics", func(c *Config) {
		c.Strategy, c.ResampleEvery, c.AdaptivePeriod, c.StallPatience, c.StallDelta = StrategyAdaptive, 25, 30, 5, 1e-2
		withDiagnostics(c)
	})
	f32 := func(f func(*Config)) func(*Config) {
		return func(c *Config) { c.Precision = PrecisionF32; f(c) }
	}
	add("f32-regular-lbfgs", f32(func(c *Config) {}))
	add("f32-regular-adam", f32(func(c *Config) { c.Optimizer, c.LR, c.AdamDecaySteps, c.AdamDecay = OptimizerAdam, 1e-2, 30, 0.5 }))
	add("f32-adam-then-lbfgs", f32(func(c *Config) { c.Optimizer, c.AdamIters, c.AdamLR = OptimizerAdamLBFGS, 50, 1e-2 }))
	add("f32-adaptive", f32(func(c *Config) {
		c.Strategy, c.ResampleEvery, c.AdaptivePeriod, c.StallPatience, c.StallDelta = StrategyAdaptive, 25, 30, 5, 5e-2
	}))
	add("f32-supervised-diagnostics", f32(func(c *Config) { c.Strategy = StrategySupervised; withDiagnostics(c) }))
	return out
}

// resultBits is r's JSON encoding with the wall-clock fields zeroed (the
// training's, the history's and the diagnostics'): the comparison of two
// results bit for bit (encoding/json writes the shortest decimal that
// round-trips, and -0 as -0).
func resultBits(t *testing.T, r *Result) []byte {
	t.Helper()
	c := *r
	c.Seconds = 0
	c.History = append([]HistoryPoint(nil), r.History...)
	for i := range c.History {
		c.History[i].Seconds = 0
	}
	if r.Hessian != nil {
		h := *r.Hessian
		h.Seconds = 0
		c.Hessian = &h
	}
	if r.Landscape != nil {
		l := *r.Landscape
		l.Seconds = 0
		c.Landscape = &l
	}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckpointResumeBitForBit: for every case, a run that takes a
// checkpoint at every iteration boundary ends exactly as a run that takes
// none; and a run interrupted twice (its context cancelled at 40% and at
// 75% of its evaluations, losing the work after its last checkpoint each
// time) and resumed from its last checkpoint each time ends with the same
// result, bit for bit, as the run straight through.
func TestCheckpointResumeBitForBit(t *testing.T) {
	for _, tc := range ckptCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			straight, err := Train(context.Background(), tc.cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := resultBits(t, straight)
			if a := straight.Adaptive; tc.cfg.Strategy == StrategyAdaptive && (a == nil || a.Restarts == 0 || a.Resamples == 0) {
				t.Fatalf("adaptive stats %+v: the case must redraw and restart", a)
			}
			if tc.cfg.wantsHessian() && (straight.Status != StatusDone || straight.Hessian == nil || straight.Hessian.Error != "" ||
				straight.HessianMax == nil || straight.Landscape == nil) {
				t.Fatalf("status %s, hessian %+v, landscape %v: the case must run its diagnostics", straight.Status, straight.Hessian, straight.Landscape != nil)
			}
			if tc.cfg.Strategy != StrategySeq2Seq && straight.LossInitial == nil {
				t.Fatal("no loss_initial")
			}

			// Every checkpoint written must be one a resume accepts.
			var n int
			with, err := Train(context.Background(), tc.cfg, Options{Checkpoint: func(b []byte) {
				n++
				if _, err := ReadCheckpoint(b); err != nil {
					t.Errorf("checkpoint %d cannot be resumed from: %v", n, err)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got := resultBits(t, with); !bytes.Equal(got, want) {
				t.Fatalf("taking checkpoints changed the result:\n got %s\nwant %s", got, want)
			}
			if n < 10 {
				t.Fatalf("%d checkpoints in %d evaluations: the case is too short", n, straight.Evals)
			}

			var resume *Checkpoint
			for _, frac := range []float64{0.4, 0.75, 2} {
				ctx, cancel := context.WithCancel(context.Background())
				var last []byte
				stopAt := int(frac * float64(straight.Evals))
				res, err := Train(ctx, tc.cfg, Options{
					Resume:        resume,
					CheckpointTag: tc.name,
					Checkpoint:    func(b []byte) { last = b },
					Progress: func(p Progress) {
						if p.Evals >= stopAt {
							cancel()
						}
					},
				})
				cancel()
				if frac > 1 {
					if err != nil {
						t.Fatal(err)
					}
					if got := resultBits(t, res); !bytes.Equal(got, want) {
						t.Fatalf("resumed twice: the result differs from the run straight through:\n got %s\nwant %s", got, want)
					}
					if res.Seconds < resume.Seconds() {
						t.Errorf("resumed run took %gs, less than the %gs its checkpoint carries", res.Seconds, resume.Seconds())
					}
					// A Checkpoint is not used up: resuming from it again gives the same.
					again, err := Train(context.Background(), tc.cfg, Options{Resume: resume})
					if err != nil {
						t.Fatal(err)
					}
					if got := resultBits(t, again); !bytes.Equal(got, want) {
						t.Fatalf("resumed a second time from the same checkpoint: the result differs")
					}
					break
				}
				if !errors.Is(err, context.Canceled) || res.Status != StatusCancelled {
					t.Fatalf("interrupting at %d of %d evaluations: status %s, err %v", stopAt, straight.Evals, res.Status, err)
				}
				if last == nil {
					t.Fatalf("no checkpoint before evaluation %d", stopAt)
				}
				if resume, err = ReadCheckpoint(last); err != nil {
					t.Fatal(err)
				}
				if resume.Tag() != tc.name || resume.Evals() <= 0 || resume.Evals() > res.Evals {
					t.Fatalf("checkpoint tag %q, %d evaluations (the run did %d)", resume.Tag(), resume.Evals(), res.Evals)
				}
			}
		})
	}
}

// TestCheckpointRefused: a checkpoint of other settings, of the wrong
// shape for the strategy, or damaged, is refused before any training.
func TestCheckpointRefused(t *testing.T) {
	cfg := ckptCases()[0].cfg
	var data []byte
	if _, err := Train(context.Background(), cfg, Options{Checkpoint: func(b []byte) {
		if data == nil {
			data = b
		}
	}}); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Beta = 6
	adaptive := cfg
	adaptive.Strategy = StrategyAdaptive
	f32 := cfg
	f32.Precision = PrecisionF32
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"other settings", other}, {"other strategy", adaptive}, {"other precision", f32}} {
		if err := ck.Check(c.cfg); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: Check: %v, want ErrCheckpoint", c.name, err)
		}
		if _, err := Train(context.Background(), c.cfg, Options{Resume: ck}); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: Train: %v, want ErrCheckpoint", c.name, err)
		}
	}
	if err := ck.Check(cfg); err != nil {
		t.Errorf("Check of its own settings: %v", err)
	}
	// The default precision written out is the same setting.
	explicit := cfg
	explicit.Precision = ""
	if err := ck.Check(explicit); err != nil {
		t.Errorf("Check with precision \"\" (f64): %v", err)
	}
	// Another trainer version, BLAS or kernel level: refused, naming both.
	otherBLAS := "openblas"
	if BLASName() == otherBLAS { // the openblas build
		otherBLAS = "gonum"
	}
	for _, c := range []struct {
		name string
		edit func(*ckptState)
		want string
	}{
		{"version", func(st *ckptState) { st.version = "0.1.0" }, "written by trainer 0.1.0, this is " + Version},
		{"blas", func(st *ckptState) { st.blas = otherBLAS }, "written on BLAS " + otherBLAS + ", this process uses " + BLASName()},
		{"kernel level", func(st *ckptState) { st.blas = otherLevel() }, "written on BLAS " + otherLevel() + ", this process uses " + BLASName()},
	} {
		st := *ck.st
		c.edit(&st)
		again, err := ReadCheckpoint(encodeCheckpoint(&st))
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Check(cfg); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check: %v, want ErrCheckpoint with %q", c.name, err, c.want)
		}
	}

	// Any damage is caught by the checksum or the framing.
	for _, bad := range [][]byte{nil, data[:len(data)/2], data[:len(data)-1], append(bytes.Clone(data), 0),
		flip(data, len(data)/3), flip(data, 3), flip(data, len(data)-1)} {
		if _, err := ReadCheckpoint(bad); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("damaged checkpoint (%d bytes): %v, want ErrCheckpoint", len(bad), err)
		}
	}
}

// otherLevel is BLASName on another kernel level than this process's.
func otherLevel() string {
	if strings.HasSuffix(BLASName(), "/avx2") {
		return BLASEngine + "/avx512"
	}
	return BLASEngine + "/avx2"
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x10
	return c
}

// FuzzReadCheckpoint: no bytes make ReadCheckpoint panic, and a body
// whose checksum was made to match is still decoded without panicking.
func FuzzReadCheckpoint(f *testing.F) {
	cfg := ckptCases()[0].cfg
	cfg.MaxIters = 5
	var data []byte
	if _, err := Train(context.Background(), cfg, Options{Checkpoint: func(b []byte) { data = b }}); err != nil {
		f.Fatal(err)
	}
	f.Add(data[len(checkpointMagic) : len(data)-32])
	f.Fuzz(func(t *testing.T, body []byte) {
		framed := reframe(body)
		ck, err := ReadCheckpoint(framed)
		if err == nil && ck.Evals() < 1 {
			t.Errorf("accepted a checkpoint of %d evaluations", ck.Evals())
		}
	})
}

// reframe wraps body in the magic line and a matching checksum.
func reframe(body []byte) []byte {
	framed := append([]byte(checkpointMagic), body...)
	sum := sha256.Sum256(framed)
	return append(framed, sum[:]...)
}

func ExampleReadCheckpoint() {
	cfg := DefaultConfig()
	cfg.NF, cfg.Layers, cfg.MaxIters = 50, []int{8}, 20
	var last []byte
	first, _ := Train(context.Background(), cfg, Options{Checkpoint: func(b []byte) { last = b }})
	ck, err := ReadCheckpoint(last)
	if err != nil {
		panic(err)
	}
	again, _ := Train(context.Background(), cfg, Options{Resume: ck})
	fmt.Println(first.RelL2 == again.RelL2, first.Evals == again.Evals)
	// Output: true true
}

// TestCheckpointKernelLevel: a checkpoint written by a process on the
// other kernel level (a child test process with PINNSWEEP_KERNELS set
// accordingly) is refused. The AVX2 and AVX-512 kernels accumulate in
// different orders, so a run resumed on the other level would not end as
// it would have; the test logs whether this case's results differ.
func TestCheckpointKernelLevel(t *testing.T) {
	cfg := ckptCases()[0].cfg
	cfg.Precision = PrecisionF32
	if out := os.Getenv("PINNSWEEP_TEST_CKPT_OUT"); out != "" {
		var last []byte
		res, err := Train(context.Background(), cfg, Options{Checkpoint: func(b []byte) { last = b }})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, last, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out+".result", resultBits(t, res), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	var childEnv string
	switch {
	case simdlevel.Start() == simdlevel.AVX512:
		childEnv = "avx2"
	case simdlevel.Start() == simdlevel.AVX2 && simdlevel.CPU() == simdlevel.AVX512:
		childEnv = "" // the widest
	case simdlevel.CPU() != simdlevel.None && os.Getenv("PINNSWEEP_REQUIRE_AVX512") == "1":
		t.Fatalf("kernel level %s on a CPU with %s; PINNSWEEP_REQUIRE_AVX512=1", simdlevel.Start(), simdlevel.CPU())
	default:
		t.Skipf("kernel level %s on a CPU with %s: no other level to write a checkpoint on", simdlevel.Start(), simdlevel.CPU())
	}
	out := filepath.Join(t.TempDir(), "ckpt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKernelLevel$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PINNSWEEP_TEST_CKPT_OUT="+out, "PINNSWEEP_KERNELS="+childEnv)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child process: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	want := "written on BLAS " + otherLevel() + ", this process uses " + BLASName()
	if err := ck.Check(cfg); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), want) {
		t.Errorf("Check of the other level's checkpoint: %v, want ErrCheckpoint with %q", err, want)
	}
	if _, err := Train(context.Background(), cfg, Options{Resume: ck}); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("Train resumed from the other level's checkpoint: %v", err)
	}
	theirs, err := os.ReadFile(out + ".result")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Train(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s and %s give the same result: %v", BLASName(), otherLevel(), bytes.Equal(theirs, resultBits(t, ours)))
}
