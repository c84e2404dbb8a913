//go:build ignore

// gen_kernels writes the GEMM drivers and micro-kernels of every vector
// variant (element type × vector width) from the templates of templates/:
//
//	go generate ./internal/simdblas/
//
// writes gemm_f64x4_amd64.go, gemm_f64x8_amd64.go, gemm_f32x8_amd64.go and
// gemm_f32x16_amd64.go, and BenchmarkPeak's FMA loop of each variant into
// peak_<variant>_amd64_test.go, so that production binaries do not carry
// it (-o DIR writes them elsewhere; TestGeneratedKernels compares a fresh
// run with the checked-in files). The variants differ only in the element type, the
// archsimd vector type and its lane count W; the outer-product block is
// always 5 rows by 2W columns (ten accumulators, one A vector loaded at a
// time) and the dot-product block 4 rows of A by 2 of B, which is what
// fits in the 15 vector registers Go's register allocator uses without
// spilling.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// variant is one element type and vector width.
type variant struct {
	S     string // name suffix: f64x4
	T     string // element type: float64
	U     string // unsigned type of the same size, for copies: uint64
	V     string // archsimd vector type: Float64x4
	W     int    // lanes
	E     int    // bytes per element
	KC    int    // k extent of one packed block of the outer-product path
	Level string // the CPU level that selects the variant
	Base  string // the 256-bit vector type the dot kernels reduce to
	MR    int    // rows of the outer-product register block
	V32   string // float64 variants: the float32 vector of the same lane count (mixed precision)
	NC    int    // columns of a block of B kept in L2 while A's panels run over it
}

// Rows returns 0, 1, …, MR−1.
func (v variant) Rows() []int {
	r := make([]int, v.MR)
	for i := range r {
		r[i] = i
	}
	return r
}

// DR is the number of rows of A of the dot-product block: with 4, its
// eight accumulators, four rows of A and two of B fit in the registers
// even though the compiler loads every row before the first FMA (5 rows
// spilled). It is the same for every variant, and dot.tmpl's reductions
// and DRows are written for 4 rows.
func (v variant) DR() int { return 4 }

// DRows returns 0, 1, …, DR−1.
func (v variant) DRows() []int { return []int{0, 1, 2, 3} }

// MC is the row extent of one packed block of A: a multiple of MR.
func (v variant) MC() int { return (64 / v.MR) * v.MR }

func (v variant) UName() string {
	if v.E == 8 {
		return "Uint64"
	}
	return "Uint32"
}

// Chains returns 0, 1, …, 11: the independent FMA chains of the peak loop.
func (v variant) Chains() []int { return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11} }

func (v variant) NR() int    { return 2 * v.W }
func (v variant) VB() int    { return v.W * v.E } // bytes per vector
func (v variant) Half() bool { return v.W*v.E == 64 }

var variants = []variant{
	{S: "f64x4", T: "float64", U: "uint64", V: "Float64x4", W: 4, E: 8, KC: 128, Level: "AVX2", Base: "Float64x4", MR: 5, NC: 256, V32: "Float32x4"},
	{S: "f64x8", T: "float64", U: "uint64", V: "Float64x8", W: 8, E: 8, KC: 64, Level: "AVX-512", Base: "Float64x4", MR: 5, NC: 256, V32: "Float32x8"},
	{S: "f32x8", T: "float32", U: "uint32", V: "Float32x8", W: 8, E: 4, KC: 128, Level: "AVX2", Base: "Float32x8", MR: 5, NC: 512},
	{S: "f32x16", T: "float32", U: "uint32", V: "Float32x16", W: 16, E: 4, KC: 64, Level: "AVX-512", Base: "Float32x8", MR: 5, NC: 512},
}

// outputs are the files written for each variant: the name (a format of
// the variant's suffix) and the templates whose concatenation, in order,
// is its source.
var outputs = []struct {
	name      string
	templates []string
}{
	// The file header and the outer-product path, the dot-product path,
	// the level-1 kernels.
	{"gemm_%s_amd64.go", []string{"templates/outer.tmpl", "templates/dot.tmpl", "templates/level1.tmpl"}},
	// Only BenchmarkPeak runs the peak loop: a test file.
	{"peak_%s_amd64_test.go", []string{"templates/peak.tmpl"}},
}

func main() {
	dir := flag.String("o", ".", "directory to write the files to")
	flag.Parse()
	funcs := template.FuncMap{"mul": func(a, b int) int { return a * b }, "sub": func(a, b int) int { return a - b }}
	for _, o := range outputs {
		var source strings.Builder
		for _, f := range o.templates {
			b, err := os.ReadFile(f)
			if err != nil {
				log.Fatal(err)
			}
			source.Write(b)
			source.WriteString("\n")
		}
		tmpl := template.Must(template.New(o.name).Funcs(funcs).Parse(source.String()))
		for _, v := range variants {
			var buf bytes.Buffer
			if err := tmpl.Execute(&buf, v); err != nil {
				log.Fatal(err)
			}
			out, err := format.Source(buf.Bytes())
			if err != nil {
				os.WriteFile(filepath.Join(*dir, "broken.go"), buf.Bytes(), 0o644)
				log.Fatalf("%s: %v", v.S, err)
			}
			if err := os.WriteFile(filepath.Join(*dir, fmt.Sprintf(o.name, v.S)), out, 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}
}
