package state

import "testing"

// TestOfferFits is the resource-matching rule: CPU trials only to CPU
// slots, GPU trials only to slots offering enough devices, command trials
// only to workers that run commands.
func TestOfferFits(t *testing.T) {
	tests := []struct {
		offer Offer
		needs Needs
		want  bool
	}{
		{Offer{}, Needs{}, true},
		{Offer{GPUs: 1}, Needs{}, false}, // a CPU trial never occupies a device
		{Offer{}, Needs{GPUs: 1}, false},
		{Offer{GPUs: 1, Commands: true}, Needs{GPUs: 1, Command: true}, true},
		{Offer{GPUs: 1, Commands: true}, Needs{GPUs: 2, Command: true}, false},
		{Offer{GPUs: 4, Commands: true}, Needs{GPUs: 2, Command: true}, true},
		{Offer{GPUs: 4}, Needs{GPUs: 2, Command: true}, false},
		{Offer{Commands: true}, Needs{}, true},
		{Offer{}, Needs{Command: true}, false},
		{Offer{Commands: true}, Needs{Command: true}, true},
	}
	for _, tt := range tests {
		if got := tt.offer.Fits(tt.needs); got != tt.want {
			t.Errorf("%+v.Fits(%+v) = %v, want %v", tt.offer, tt.needs, got, tt.want)
		}
	}
	o := Offer{Sweeps: []string{"a"}, Commands: true}
	if !o.Takes("a", Needs{Command: true}) || o.Takes("b", Needs{Command: true}) || o.Takes("a", Needs{GPUs: 1}) {
		t.Error("Takes: want the sweep filter and Fits together")
	}
}
