package verdict_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/pinnsweep/pinnsweep/coordinator"
	"github.com/pinnsweep/pinnsweep/coordinator/state"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// leaseEach opens a coordinator on a new database, submits spec and
// leases every trial, handing each grant with its beta and seed to end,
// which completes it, keeps it for later or leaves it leased. The
// coordinator is closed when the test ends.
func leaseEach(t *testing.T, spec string, end func(c *coordinator.Coordinator, g *state.Grant, beta, seed int)) *coordinator.Coordinator {
	t.Helper()
	ctx := context.Background()
	c, err := coordinator.Open(coordinator.Options{Path: filepath.Join(t.TempDir(), "fixture.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Submit(ctx, "fixture.yaml", []byte(spec)); err != nil {
		t.Fatal(err)
	}
	for {
		g, err := c.LeaseOffer(ctx, "w", 0, state.Offer{Commands: true}) // command sweeps too
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			return c
		}
		var pt sweeps.Point
		if err := json.Unmarshal(g.Trial.Point, &pt); err != nil {
			t.Fatal(err)
		}
		beta, _ := pt.Get("beta")
		seed, _ := pt.Get(sweeps.SeedKey)
		end(c, g, int(beta.(int64)), int(seed.(int64)))
	}
}
