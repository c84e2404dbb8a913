//go:build goexperiment.simd && amd64

package simdblas

import (
	"testing"
	"unsafe"
)

// TestAsmArgOffsets: the assembly kernels read their arguments at the
// byte offsets gen_asm.go fixes (oK … oAlpha, dKV … dAlpha there); a
// field moved in outerArgs or dotArgs must fail here, not make a kernel
// read the wrong field.
func TestAsmArgOffsets(t *testing.T) {
	var o64 outerArgs[float64]
	var o32 outerArgs[float32]
	var d64 dotArgs[float64]
	var d32 dotArgs[float32]
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"outer.k", unsafe.Offsetof(o64.k), 0}, {"outer.pa", unsafe.Offsetof(o64.pa), 8},
		{"outer.sar", unsafe.Offsetof(o64.sar), 16}, {"outer.sak", unsafe.Offsetof(o64.sak), 24},
		{"outer.pb", unsafe.Offsetof(o64.pb), 32}, {"outer.sb", unsafe.Offsetof(o64.sb), 40},
		{"outer.pc", unsafe.Offsetof(o64.pc), 48}, {"outer.sc", unsafe.Offsetof(o64.sc), 56},
		{"outer.np", unsafe.Offsetof(o64.np), 64}, {"outer.mode", unsafe.Offsetof(o64.mode), 72},
		{"outer.panA", unsafe.Offsetof(o64.panA), 80}, {"outer.panC", unsafe.Offsetof(o64.panC), 88},
		{"outer.alpha f64", unsafe.Offsetof(o64.alpha), 96}, {"outer.beta f64", unsafe.Offsetof(o64.beta), 104},
		{"outer.alpha f32", unsafe.Offsetof(o32.alpha), 96}, {"outer.beta f32", unsafe.Offsetof(o32.beta), 100},
		{"dot.kv", unsafe.Offsetof(d64.kv), 0}, {"dot.mask", unsafe.Offsetof(d64.mask), 8},
		{"dot.pa", unsafe.Offsetof(d64.pa), 16}, {"dot.sa", unsafe.Offsetof(d64.sa), 24},
		{"dot.pb", unsafe.Offsetof(d64.pb), 32}, {"dot.sb", unsafe.Offsetof(d64.sb), 40},
		{"dot.pc", unsafe.Offsetof(d64.pc), 48}, {"dot.sc", unsafe.Offsetof(d64.sc), 56},
		{"dot.nt", unsafe.Offsetof(d64.nt), 64}, {"dot.mode", unsafe.Offsetof(d64.mode), 72},
		{"dot.rewind", unsafe.Offsetof(d64.rewind), 80},
		{"dot.alpha f64", unsafe.Offsetof(d64.alpha), 88}, {"dot.beta f64", unsafe.Offsetof(d64.beta), 96},
		{"dot.alpha f32", unsafe.Offsetof(d32.alpha), 88}, {"dot.beta f32", unsafe.Offsetof(d32.beta), 92},
	} {
		if c.got != c.want {
			t.Errorf("%s at offset %d, gen_asm.go reads it at %d", c.name, c.got, c.want)
		}
	}
}
