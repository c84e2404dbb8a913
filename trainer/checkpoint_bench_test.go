package trainer

import (
	"context"
	"testing"
)

// BenchmarkCheckpoint encodes and decodes a checkpoint of the paper's
// network (2-50-50-50-50-1, N_f = 1000) in an L-BFGS call with its history
// of 50 pairs full: the cost of one checkpoint besides writing the file,
// in both precisions (a float32 network's pairs are saved as float32).
func BenchmarkCheckpoint(b *testing.B) {
	for _, prec := range []string{PrecisionF64, PrecisionF32} {
		cfg := DefaultConfig()
		cfg.MaxIters, cfg.TolChange, cfg.TolGrad, cfg.Precision = 60, 0, 0, prec
		var last []byte
		if _, err := Train(context.Background(), cfg, Options{Checkpoint: func(d []byte) { last = d }}); err != nil {
			b.Fatal(err)
		}
		ck, err := ReadCheckpoint(last)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(prec+"/encode", func(b *testing.B) {
			b.SetBytes(int64(len(last)))
			for b.Loop() {
				encodeCheckpoint(ck.st)
			}
			b.ReportMetric(float64(len(last))/(1<<20), "MiB")
		})
		b.Run(prec+"/read", func(b *testing.B) {
			b.SetBytes(int64(len(last)))
			for b.Loop() {
				if _, err := ReadCheckpoint(last); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
