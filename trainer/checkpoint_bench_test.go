package trainer

import (
	"context"
	"testing"
)

// BenchmarkCheckpoint encodes and decodes a checkpoint of the paper's
// network (2-50-50-50-50-1, N_f = 1000) in an L-BFGS call with its history
// of 50 pairs full: the cost of one checkpoint besides writing the file.
func BenchmarkCheckpoint(b *testing.B) {
	cfg := DefaultConfig()
	cfg.MaxIters, cfg.TolChange, cfg.TolGrad = 60, 0, 0
	var last []byte
	if _, err := Train(context.Background(), cfg, Options{Checkpoint: func(d []byte) { last = d }}); err != nil {
		b.Fatal(err)
	}
	ck, err := ReadCheckpoint(last)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(last)))
		for b.Loop() {
			encodeCheckpoint(ck.st)
		}
		b.ReportMetric(float64(len(last))/(1<<20), "MiB")
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(last)))
		for b.Loop() {
			if _, err := ReadCheckpoint(last); err != nil {
				b.Fatal(err)
			}
		}
	})
}
