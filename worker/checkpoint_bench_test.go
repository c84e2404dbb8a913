package worker

import (
	"testing"

	"github.com/hashicorp/go-hclog"
)

// BenchmarkCheckpointWrite writes a 6 MiB checkpoint (the paper's network
// with a full L-BFGS history) as a worker does: a temporary file, fsynced,
// renamed over the attempt's file, the directory fsynced.
func BenchmarkCheckpointWrite(b *testing.B) {
	store := newCkptStore(b.TempDir(), Trial{Sweep: "s", Key: "0123456789abcdef", Token: 1}, hclog.NewNullLogger())
	data := make([]byte, 6<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		store.save(data)
	}
	if store.failed {
		b.Fatal("a write failed")
	}
}
