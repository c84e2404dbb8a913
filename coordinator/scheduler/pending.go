package scheduler

import "math/bits"

// pendingSet is a sweep's pending trials, as a bitmap over their indexes
// (a sweep's indexes are 0..n-1): 1 bit per trial, with O(1) add and
// remove, and peek amortised O(1) (first is a lower bound on the set's
// smallest member, which peek advances).
type pendingSet struct {
	words []uint64
	first int // no index below first is in the set
	n     int // members
}

// add puts index i into the set.
func (p *pendingSet) add(i int32) {
	w := int(i) >> 6
	for w >= len(p.words) {
		p.words = append(p.words, 0)
	}
	bit := uint64(1) << (uint(i) & 63)
	if p.words[w]&bit != 0 {
		return
	}
	p.words[w] |= bit
	p.n++
	if p.n == 1 || int(i) < p.first {
		p.first = int(i)
	}
}

// remove takes index i out of the set.
func (p *pendingSet) remove(i int32) {
	w := int(i) >> 6
	if w >= len(p.words) {
		return
	}
	bit := uint64(1) << (uint(i) & 63)
	if p.words[w]&bit != 0 {
		p.words[w] &^= bit
		p.n--
	}
}

// has reports whether index i is in the set.
func (p *pendingSet) has(i int32) bool {
	w := int(i) >> 6
	return w < len(p.words) && p.words[w]&(uint64(1)<<(uint(i)&63)) != 0
}

// peek returns the smallest index in the set, and false when it is empty.
func (p *pendingSet) peek() (int32, bool) {
	if p.n == 0 {
		return 0, false
	}
	for w := p.first >> 6; w < len(p.words); w++ {
		if x := p.words[w]; x != 0 {
			p.first = w<<6 + bits.TrailingZeros64(x)
			return int32(p.first), true
		}
	}
	panic("scheduler: pending set count out of step with its bits")
}

// truncate drops every index from n on (their trials are gone).
func (p *pendingSet) truncate(n int) {
	for i := n; i < len(p.words)<<6; i++ {
		p.remove(int32(i))
	}
	p.words = p.words[:min(len(p.words), (n+63)>>6)]
}

// members returns the set's indexes in increasing order (for tests).
func (p *pendingSet) members() []int32 {
	var out []int32
	for w, x := range p.words {
		for x != 0 {
			out = append(out, int32(w<<6+bits.TrailingZeros64(x)))
			x &= x - 1
		}
	}
	return out
}
