package coordinator_test

import (
	"path/filepath"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		s := coordinator.NewMemoryStore()
		return func() coordinator.Store { return reopenable{s} }
	})
}

func TestBoltStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "sweeps.db")
		return func() coordinator.Store {
			s, err := coordinator.OpenBoltStore(path, coordinator.BoltOptions{})
			if err != nil {
				t.Fatalf("OpenBoltStore: %v", err)
			}
			return s
		}
	})
}

// reopenable lets one memory store be "closed" and "reopened".
type reopenable struct{ coordinator.Store }

func (reopenable) Close() error { return nil }
