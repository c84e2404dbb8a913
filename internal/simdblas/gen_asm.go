//go:build ignore

// gen_asm writes the AVX-512 assembly micro-kernels of Dgemm and Sgemm,
// gemm_avx512_amd64.s, and their Go declarations,
// gemm_avx512_decl_amd64.go:
//
//	go generate ./internal/simdblas/
//
// (-o DIR writes them elsewhere; TestGeneratedAsm compares a fresh run
// with the checked-in files.)
//
// Assembly, unlike archsimd, gives a kernel all 32 vector registers, the
// FMA form that accumulates in place (VFMADD231) and broadcasts straight
// from memory, so the outer-product block is 5 rows by 5 vectors (25
// accumulators, five B vectors and one broadcast A element) and the
// dot-product block 5 rows of A by 5 rows of B. The kernels for fewer
// rows (the last m mod 5 rows, and the dot product's last columns) are
// the same code with fewer accumulators. Z15 is never used (Go's
// internal ABI keeps it zero; the wrappers of these ABI0 functions would
// restore it, but leaving it alone costs nothing), and the kernels never
// store a pointer: the arguments are read-only.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
)

// elem is one element type.
type elem struct {
	name  string // f64, f32
	sfx   string // PD, PS
	bcast string // VBROADCASTSD, VBROADCASTSS
	size  int    // bytes per element
}

var elems = []elem{
	{"f64", "PD", "VBROADCASTSD", 8},
	{"f32", "PS", "VBROADCASTSS", 4},
}

// accRegs are the accumulators: every vector register but Z15 and the
// six the kernels load operands into (Z26–Z31).
var accRegs = func() []string {
	var r []string
	for i := 0; i <= 25; i++ {
		if i != 15 {
			r = append(r, fmt.Sprintf("Z%d", i))
		}
	}
	return r
}()

// rowAddr returns the address of row r of an operand whose row 0 is at
// base: stride s1 (one row) and s3 (three rows) are in registers, so
// that five rows need no further pointers: base, base+s, base+2s,
// base+3s, base+4s.
func rowAddr(off int, base, s1, s3 string, r int) string {
	o := ""
	if off != 0 {
		o = fmt.Sprint(off)
	}
	switch r {
	case 0:
		return fmt.Sprintf("%s(%s)", o, base)
	case 1:
		return fmt.Sprintf("%s(%s)(%s*1)", o, base, s1)
	case 2:
		return fmt.Sprintf("%s(%s)(%s*2)", o, base, s1)
	case 3:
		return fmt.Sprintf("%s(%s)(%s*1)", o, base, s3)
	case 4:
		return fmt.Sprintf("%s(%s)(%s*4)", o, base, s1)
	}
	panic("row")
}

// ymm and xmm name the lower halves of a Z register.
func ymm(z string) string { return "Y" + z[1:] }
func xmm(z string) string { return "X" + z[1:] }

type gen struct{ s, d bytes.Buffer }

func (g *gen) f(format string, args ...any) { fmt.Fprintf(&g.s, format+"\n", args...) }

// Offsets in outerArgs (see gemm_avx512_amd64.go).
const (
	oK, oPA, oSAR, oSAK, oPB, oSB, oPC, oSC, oNP, oMode, oPanA, oPanC, oAlpha = 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96
)

// outer writes outer<R>x5<e>: C = alpha·op(A)·B + beta·C for np panels of
// R rows by 5 vectors. See outerArgs for the arguments.
func (g *gen) outer(e elem, rows int) {
	const nv = 5
	name := fmt.Sprintf("outer%dx%d%s", rows, nv, e.name)
	fmt.Fprintf(&g.d, "\n// %s computes np panels of %d rows by %d vectors (see outerArgs).\n//\n//go:noescape\nfunc %s(a *outerArgs%s)\n", name, rows, nv, name, e.name)
	g.f("\n// func %s(a *outerArgs%s)", name, e.name)
	g.f("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.f("\tMOVQ a+0(FP), BX")
	g.f("\tMOVQ %d(BX), R8  // A: bytes between rows", oSAR)
	g.f("\tLEAQ (R8)(R8*2), R9")
	g.f("\tMOVQ %d(BX), R12 // A: bytes between k", oSAK)
	g.f("\tMOVQ %d(BX), R10 // B: bytes between rows", oSB)
	g.f("\tMOVQ %d(BX), R11 // C: bytes between rows", oSC)
	g.f("\tLEAQ (R11)(R11*2), R13")
	g.f("\tMOVQ %d(BX), DX  // C panel", oPC)
	g.f("\tMOVQ %d(BX), CX  // panels", oNP)
	g.f("\tMOVQ %d(BX), R14 // A panel", oPA)
	g.f("%s_panel:", name)
	acc := func(r, v int) string { return accRegs[r*nv+v] }
	for r := 0; r < rows; r++ {
		for v := 0; v < nv; v++ {
			g.f("\tVPXORQ %s, %s, %s", acc(r, v), acc(r, v), acc(r, v))
		}
	}
	g.f("\tMOVQ %d(BX), AX  // k", oK)
	g.f("\tMOVQ R14, SI")
	g.f("\tMOVQ %d(BX), DI  // B strip", oPB)
	g.f("%s_k:", name)
	for v := 0; v < nv; v++ {
		g.f("\tVMOVUP%c %d(DI), Z%d", e.sfx[1], v*64, 26+v)
	}
	for r := 0; r < rows; r++ {
		g.f("\t%s %s, Z31", e.bcast, rowAddr(0, "SI", "R8", "R9", r))
		for v := 0; v < nv; v++ {
			g.f("\tVFMADD231%s Z%d, Z31, %s", e.sfx, 26+v, acc(r, v))
		}
	}
	// Row p of the next strip of B, for the panels that follow: measured
	// 1–11% faster in isolation (N = 2000 and 10000), no change inside a
	// whole evaluation.
	for v := 0; v < nv; v++ {
		g.f("\tPREFETCHT0 %d(DI)", nv*64+v*64)
	}
	g.f("\tADDQ R12, SI")
	g.f("\tADDQ R10, DI")
	g.f("\tDECQ AX")
	g.f("\tJNZ %s_k", name)
	// C = alpha·acc (+ beta·C).
	g.f("\t%s %d(BX), Z31 // alpha", e.bcast, oAlpha)
	g.f("\tCMPQ %d(BX), $0", oMode)
	g.f("\tJNE %s_beta", name)
	for r := 0; r < rows; r++ {
		for v := 0; v < nv; v++ {
			g.f("\tVMUL%s %s, Z31, %s", e.sfx, acc(r, v), acc(r, v))
			g.f("\tVMOVUP%c %s, %s", e.sfx[1], acc(r, v), rowAddr(v*64, "DX", "R11", "R13", r))
		}
	}
	g.f("\tJMP %s_next", name)
	g.f("%s_beta:", name)
	g.f("\t%s %d(BX), Z30 // beta", e.bcast, oAlpha+e.size)
	for r := 0; r < rows; r++ {
		for v := 0; v < nv; v++ {
			// Z26–Z29 are free; Z30 holds beta.
			g.f("\tVMUL%s %s, Z30, Z%d", e.sfx, rowAddr(v*64, "DX", "R11", "R13", r), 26+v%4)
			g.f("\tVFMADD213%s Z%d, Z31, %s", e.sfx, 26+v%4, acc(r, v))
			g.f("\tVMOVUP%c %s, %s", e.sfx[1], acc(r, v), rowAddr(v*64, "DX", "R11", "R13", r))
		}
	}
	g.f("%s_next:", name)
	g.f("\tADDQ %d(BX), DX", oPanC)
	g.f("\tADDQ %d(BX), R14", oPanA)
	g.f("\tDECQ CX")
	g.f("\tJNZ %s_panel", name)
	g.f("\tVZEROUPPER")
	g.f("\tRET")
}

// Offsets in dotArgs (see gemm_avx512_amd64.go).
const (
	dKV, dMask, dPA, dSA, dPB, dSB, dPC, dSC, dNT, dMode, dRewind, dAlpha = 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88
)

// dot writes dot<R>x<C><e>: for nt tiles of R rows of C by C columns,
//
//	C[r][c] = alpha·Σ_p A_r[p]·B_c[p] + beta·C[r][c],
//
// each tile C columns (and C rows of B) after the previous one. See
// dotArgs for the arguments.
func (g *gen) dot(e elem, rows, cols int) {
	name := fmt.Sprintf("dot%dx%d%s", rows, cols, e.name)
	fmt.Fprintf(&g.d, "\n// %s computes nt tiles of %d×%d dot products of %d rows of A and %d of B into C (see dotArgs).\n//\n//go:noescape\nfunc %s(a *dotArgs%s)\n", name, rows, cols, rows, cols, name, e.name)
	g.f("\n// func %s(a *dotArgs%s)", name, e.name)
	g.f("TEXT ·%s(SB), NOSPLIT, $0-8", name)
	g.f("\tMOVQ a+0(FP), BX")
	g.f("\tMOVQ %d(BX), SI  // A", dPA)
	g.f("\tMOVQ %d(BX), R8  // A: bytes between rows", dSA)
	g.f("\tLEAQ (R8)(R8*2), R9")
	g.f("\tMOVQ %d(BX), DI  // B", dPB)
	g.f("\tMOVQ %d(BX), R10 // B: bytes between rows", dSB)
	g.f("\tLEAQ (R10)(R10*2), R11")
	g.f("\tMOVQ %d(BX), DX  // C", dPC)
	g.f("\tMOVQ %d(BX), R12 // C: bytes between rows", dSC)
	g.f("\tLEAQ (R12)(R12*2), R13")
	g.f("\tMOVQ %d(BX), R14 // tiles", dNT)
	g.f("%s_tile:", name)
	acc := func(r, c int) string { return accRegs[r*cols+c] }
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			g.f("\tVPXORQ %s, %s, %s", acc(r, c), acc(r, c), acc(r, c))
		}
	}
	zero := map[bool]string{true: ".Z", false: ""}
	body := func(mask string) {
		for r := 0; r < rows; r++ {
			g.f("\tVMOVUP%c%s %s, %sZ%d", e.sfx[1], zero[mask != ""], rowAddr(0, "SI", "R8", "R9", r), mask, 26+r)
		}
		for c := 0; c < cols; c++ {
			g.f("\tVMOVUP%c%s %s, %sZ31", e.sfx[1], zero[mask != ""], rowAddr(0, "DI", "R10", "R11", c), mask)
			for r := 0; r < rows; r++ {
				g.f("\tVFMADD231%s Z31, Z%d, %s", e.sfx, 26+r, acc(r, c))
			}
		}
	}
	g.f("\tMOVQ %d(BX), AX  // full vectors", dKV)
	g.f("\tTESTQ AX, AX")
	g.f("\tJZ %s_tail", name)
	g.f("%s_k:", name)
	body("")
	g.f("\tADDQ $64, SI")
	g.f("\tADDQ $64, DI")
	g.f("\tDECQ AX")
	g.f("\tJNZ %s_k", name)
	g.f("%s_tail:", name)
	g.f("\tMOVQ %d(BX), CX  // mask of the last, partial vector", dMask)
	g.f("\tTESTQ CX, CX")
	g.f("\tJZ %s_sum", name)
	g.f("\tKMOVW CX, K1")
	body("K1, ")
	g.f("%s_sum:", name)
	// Reduce each row's cols accumulators to one vector whose lanes
	// 0..cols−1 are the sums (see reduceRow), then update that row of C
	// with one masked load and store: C = alpha·sum, or beta·C + alpha·sum.
	g.f("\t%s %d(BX), Z28 // alpha", e.bcast, dAlpha)
	g.f("\t%s %d(BX), Z29 // beta", e.bcast, dAlpha+e.size)
	g.f("\tMOVQ $%d, CX", 1<<cols-1)
	g.f("\tKMOVW CX, K2 // the tile's columns")
	g.f("\tMOVQ %d(BX), CX  // mode", dMode)
	for r := 0; r < rows; r++ {
		accs := make([]string, cols)
		for c := range accs {
			accs[c] = acc(r, c)
		}
		sum := g.reduceRow(e, accs)
		addr := rowAddr(0, "DX", "R12", "R13", r)
		g.f("\tVMUL%s Z28, %s, %s", e.sfx, sum, sum)
		g.f("\tTESTQ CX, CX")
		g.f("\tJZ %s_st%d", name, r)
		g.f("\tVMOVUP%c.Z %s, K2, Z30", e.sfx[1], addr)
		g.f("\tVFMADD231%s Z29, Z30, %s", e.sfx, sum)
		g.f("%s_st%d:", name, r)
		g.f("\tVMOVUP%c %s, K2, %s", e.sfx[1], sum, addr)
	}
	// The next tile: cols columns of C, cols rows of B; A and B back to
	// the start of the k block.
	g.f("\tADDQ $%d, DX", cols*e.size)
	g.f("\tSUBQ %d(BX), SI", dRewind)
	g.f("\tSUBQ %d(BX), DI", dRewind)
	for c := 0; c < cols; c++ {
		g.f("\tADDQ R10, DI")
	}
	g.f("\tDECQ R14")
	g.f("\tJNZ %s_tile", name)
	g.f("\tVZEROUPPER")
	g.f("\tRET")
}

// reduceRow writes the horizontal reduction of the accumulators accs (at
// most 5) and returns the register whose lanes 0..len(accs)−1 hold their
// sums (the other lanes hold copies or partial sums). It overwrites accs
// and uses Z26, Z27 as temporaries. A transposing tree instead of one
// horizontal sum per accumulator: about 18 instructions for 5 sums
// instead of 30, and one vector store per row of C instead of 5 scalar
// ones.
//
// Level 1 adds neighbouring elements of two accumulators x, y inside each
// 128-bit lane, interleaved: lane l holds x's and y's partial sums
// (float32: a second unpack step, so that each lane holds the partial
// sums of four accumulators); an odd accumulator is paired with itself.
// Then combine(x, y) = [x.L0+x.L1, x.L2+x.L3, y.L0+y.L1, y.L2+y.L3] over
// the four 128-bit lanes L, applied twice, leaves the totals in column
// order in the low lanes.
func (g *gen) reduceRow(e elem, accs []string) string {
	const t0, t1 = "Z26", "Z27"
	sfx := e.sfx
	pair := func(x, y string) string { // in place into x
		g.f("\tVUNPCKL%s %s, %s, %s", sfx, y, x, t0)
		g.f("\tVUNPCKH%s %s, %s, %s", sfx, y, x, t1)
		g.f("\tVADD%s %s, %s, %s", sfx, t1, t0, x)
		return x
	}
	var level []string
	for c := 0; c < len(accs); c += 2 {
		y := accs[c]
		if c+1 < len(accs) {
			y = accs[c+1]
		}
		level = append(level, pair(accs[c], y))
	}
	if e.name == "f32" {
		// Lane l of each pair vector holds [x0+x2, y0+y2, x1+x3, y1+y3];
		// unpacking two of them as 64-bit pairs gives four accumulators'
		// partial sums per lane.
		var next []string
		for i := 0; i < len(level); i += 2 {
			y := level[i]
			if i+1 < len(level) {
				y = level[i+1]
			}
			g.f("\tVUNPCKLPD %s, %s, %s", y, level[i], t0)
			g.f("\tVUNPCKHPD %s, %s, %s", y, level[i], t1)
			g.f("\tVADDPS %s, %s, %s", t1, t0, level[i])
			next = append(next, level[i])
		}
		level = next
	}
	shuf := "VSHUFF64X2"
	if e.name == "f32" {
		shuf = "VSHUFF32X4"
	}
	combine := func(x, y string) string { // into x
		g.f("\t%s $0x88, %s, %s, %s", shuf, y, x, t0)
		g.f("\t%s $0xDD, %s, %s, %s", shuf, y, x, t1)
		g.f("\tVADD%s %s, %s, %s", sfx, t1, t0, x)
		return x
	}
	// m ≤ 3 vectors v_i whose totals belong in 128-bit lane i (column c
	// is in lane c/2 for float64, c/4 for float32):
	// combine(combine(v0, v1), combine(v2, v2)) = [v0, v1, v2, v2] totals.
	if len(level) > 3 {
		panic("reduceRow: more than 3 vectors after the pairing")
	}
	y := level[0]
	if len(level) > 1 {
		y = level[1]
	}
	s := combine(level[0], y)
	t := s
	if len(level) == 3 {
		t = combine(level[2], level[2])
	}
	return combine(s, t)
}

func main() {
	dir := flag.String("o", ".", "directory to write the files to")
	flag.Parse()
	var g gen
	g.f("// Code generated by gen_asm.go; DO NOT EDIT.")
	g.f("")
	g.f("//go:build goexperiment.simd && amd64")
	g.f("")
	g.f("#include \"textflag.h\"")
	fmt.Fprintf(&g.d, "// Code generated by gen_asm.go; DO NOT EDIT.\n\n//go:build goexperiment.simd && amd64\n\npackage simdblas\n")
	for _, e := range elems {
		for r := 5; r >= 1; r-- {
			g.outer(e, r)
		}
		for r := 5; r >= 1; r-- {
			for c := 5; c >= 1; c-- {
				g.dot(e, r, c)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(*dir, "gemm_avx512_amd64.s"), g.s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	src, err := format.Source(g.d.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "gemm_avx512_decl_amd64.go"), src, 0o644); err != nil {
		log.Fatal(err)
	}
}
