package state

import "testing"

// TestStatusTable: codes and wire values are unique and never 0, ordinals
// are the table's positions, and the roles are those of the lifecycle.
func TestStatusTable(t *testing.T) {
	codes, wires := map[byte]Status{}, map[int32]Status{}
	for i, s := range Statuses() {
		c, ok := s.Code()
		if !ok || c == 0 || codes[c] != "" {
			t.Errorf("%s: record code %d (ok %v) is 0 or taken by %s", s, c, ok, codes[c])
		}
		codes[c] = s
		if w := s.Wire(); w == 0 || wires[w] != "" {
			t.Errorf("%s: wire value %d is 0 or taken by %s", s, w, wires[w])
		}
		wires[s.Wire()] = s
		if got, ok := StatusOfCode(c); !ok || got != s {
			t.Errorf("StatusOfCode(%d) = %s", c, got)
		}
		if got := StatusOfWire(s.Wire()); got != s {
			t.Errorf("StatusOfWire(%d) = %s", s.Wire(), got)
		}
		if s.Ordinal() != uint8(i) || StatusAt(uint8(i)) != s {
			t.Errorf("%s: ordinal %d, want %d", s, s.Ordinal(), i)
		}
		if p, ok := ParseStatus(string(s)); !ok || p != s {
			t.Errorf("ParseStatus(%q) = %s, %v", s, p, ok)
		}
		live := s == StatusPending || s == StatusRunning
		if s.Final() == live || s.Reported() == live || !s.Valid() {
			t.Errorf("%s: final %v, reported %v", s, s.Final(), s.Reported())
		}
	}
	for _, bad := range []Status{"", "unknown", "Done"} {
		if bad.Valid() || bad.Final() || bad.Reported() || bad.Wire() != 0 || bad.Ordinal() != 0xff {
			t.Errorf("invalid status %q passes", bad)
		}
		if _, ok := bad.Code(); ok {
			t.Errorf("invalid status %q has a code", bad)
		}
	}
	if _, ok := StatusOfCode(0); ok || StatusOfWire(0) != "" || StatusAt(200) != "" {
		t.Error("code or wire value 0 names a status")
	}
	seen := map[byte]bool{}
	for i := range uint8(5) {
		l, ok := LeaseAt(i)
		c, cok := l.Code()
		if !ok || !cok || seen[c] || l.Ordinal() != i || !l.Valid() {
			t.Errorf("lease state %d: %q code %d", i, l, c)
		}
		seen[c] = true
		if back, ok := LeaseOfCode(c); !ok || back != l {
			t.Errorf("LeaseOfCode(%d) = %q", c, back)
		}
	}
	if LeaseState("gone").Valid() {
		t.Error("an invalid lease state passes")
	}
}
