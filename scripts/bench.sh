#!/usr/bin/env bash
# make bench: the trainer's loss+gradient benchmark in both BLAS builds (one
# thread: -cpu 1) and the PyTorch anchor, measured in the same run so the
# ratios compare like with like. Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-serial}
ANCHOR=${ANCHOR:-../shared/bench/torch_pinn_eval.py}
PY=${PY:-/usr/bin/python3}
COUNT=${COUNT:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== gonum (pure Go)" >&2
go test -run '^$' -bench '^BenchmarkLossGrad$/^.*$/^nf=1000$/^shards=1$' -cpu 1 -count "$COUNT" ./trainer/ | tee "$tmp/gonum.txt" >&2
echo "== OpenBLAS (serial, -tags openblas)" >&2
GOEXPERIMENT=simd CGO_ENABLED=1 CGO_LDFLAGS="-L$OPENBLAS_DIR -lopenblas -Wl,-rpath,$OPENBLAS_DIR" \
  go test -tags openblas -run '^$' -bench '^BenchmarkLossGrad$/^.*$/^nf=1000$/^shards=1$' -cpu 1 -count "$COUNT" ./trainer/ | tee "$tmp/openblas.txt" >&2
echo "== GOEXPERIMENT=simd (archsimd tanh and GEMM kernels, pure Go)" >&2
GOEXPERIMENT=simd go test -run '^$' -bench '^BenchmarkLossGrad$/^.*$/^nf=1000$/^shards=1$' -cpu 1 -count "$COUNT" ./trainer/ | tee "$tmp/simd.txt" >&2
torch64=NA; torch32=NA
if [ -f "$ANCHOR" ] && "$PY" -c 'import torch' 2>/dev/null; then
  echo "== PyTorch anchor" >&2
  torch64=$("$PY" "$ANCHOR" --dtype float64 --threads 1 | sed -n 's/ms_per_eval=//p')
  torch32=$("$PY" "$ANCHOR" --dtype float32 --threads 1 | sed -n 's/ms_per_eval=//p')
fi
# Median ms/eval of each build.
med() { grep -o '[0-9.]* ms/eval' "$1" | awk '{print $1}' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
gf() { grep -o '[0-9.]* GFLOP/s' "$1" | awk '{print $1}' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
g=$(med "$tmp/gonum.txt"); o=$(med "$tmp/openblas.txt"); s=$(med "$tmp/simd.txt")
echo
echo "| implementation (convection β=30, N_f=1000, float64, 1 thread) | ms/eval (median of $COUNT) | GFLOP/s | speed-up vs PyTorch float64 |"
echo "|---|---|---|---|"
ratio() { if [ "$torch64" = NA ]; then echo NA; else awk -v t="$torch64" -v x="$1" 'BEGIN{printf "%.2f×", t/x}'; fi; }
echo "| PyTorch float64 (anchor) | $torch64 | | 1.00× |"
echo "| PyTorch float32 (anchor) | $torch32 | | $(ratio "$torch32") |"
echo "| pinnsweep, gonum BLAS (default build) | $g | $(gf "$tmp/gonum.txt") | $(ratio "$g") |"
echo "| pinnsweep, pure Go with archsimd GEMM + tanh (GOEXPERIMENT=simd, make build) | $s | $(gf "$tmp/simd.txt") | $(ratio "$s") |"
echo "| pinnsweep, OpenBLAS serial (-tags openblas) | $o | $(gf "$tmp/openblas.txt") | $(ratio "$o") |"
