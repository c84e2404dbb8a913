package state

import "testing"

func TestParseLeaseID(t *testing.T) {
	tests := []struct {
		id         string
		ok         bool
		sweep, key string
		token      uint64
	}{
		{"a/b/1", true, "a", "b", 1},
		{LeaseID("sw.x-1", "0123456789abcdef", 42), true, "sw.x-1", "0123456789abcdef", 42},
		{"a/b/0", false, "", "", 0},
		{"a//1", false, "", "", 0},
		{"/b/1", false, "", "", 0},
		{"a/b/x", false, "", "", 0},
		{"a/1", false, "", "", 0},
		{"", false, "", "", 0},
	}
	for _, tt := range tests {
		sweep, key, token, ok := ParseLeaseID(tt.id)
		if ok != tt.ok || sweep != tt.sweep || key != tt.key || token != tt.token {
			t.Errorf("ParseLeaseID(%q) = %q %q %d %v, want %q %q %d %v", tt.id, sweep, key, token, ok, tt.sweep, tt.key, tt.token, tt.ok)
		}
	}
}
