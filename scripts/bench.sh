#!/usr/bin/env bash
# make bench: the trainer against its anchors, measured in the same run,
# one thread. Prints a Markdown report for BENCHMARKS.md on stdout (the
# raw benchmark output goes to stderr):
#
#   - this core's FMA-bound peak per precision and vector width
#     (BenchmarkPeak);
#   - ms per loss+gradient evaluation (convection β = 30, N_f = 1000,
#     2-50-50-50-50-1; BenchmarkLossGrad) in float64 and float32 for every
#     BLAS build and kernel level, GFLOP/s of the GEMMs over the whole
#     evaluation and its fraction of the peak, beside PyTorch's
#     (../shared/bench/torch_pinn_eval.py) in both precisions;
#   - whole trials (paper protocol, L-BFGS to convergence, seeds 0–4;
#     BenchmarkTrial) at β = 1, 10 and 30 in float32 and float64 beside
#     ../shared/bench/torch_pinn_trial.py with the same seeds: seconds,
#     evaluations, rel_l2, compared by their medians over the seeds (one
#     seed's trajectory is decided by rounding);
#   - which of the goals of issue 14 the run meets.
#
# Every time is given as wall time and as CPU time (the thread's for
# pinnsweep; the process's for PyTorch, through scripts/torch_cpu_clock.py):
# on a shared machine wall time mostly measures waiting for a CPU. The load
# average before and after is printed. Knobs: COUNT (repetitions of each
# per-evaluation benchmark, default 5), BETAS (default "1 10 30"), SEEDS
# (default "0 1 2 3 4").
set -euo pipefail
cd "$(dirname "$0")/.."
OPENBLAS_DIR=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-serial}
EVAL_ANCHOR=${EVAL_ANCHOR:-../shared/bench/torch_pinn_eval.py}
TRIAL_ANCHOR=${TRIAL_ANCHOR:-../shared/bench/torch_pinn_trial.py}
PY=${PY:-/usr/bin/python3}
COUNT=${COUNT:-5}
BETAS=${BETAS:-"1 10 30"}
SEEDS=${SEEDS:-"0 1 2 3 4"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
uptime >"$tmp/load-before"

echo "== building the benchmark binaries" >&2
go test -c -o "$tmp/gonum.test" ./trainer/
GOEXPERIMENT=simd go test -c -o "$tmp/simd.test" ./trainer/
GOEXPERIMENT=simd go test -c -o "$tmp/simdblas.test" ./internal/simdblas/
have_openblas=0
if [ -e "$OPENBLAS_DIR/libopenblas.so" ] || ls "$OPENBLAS_DIR"/libopenblas*.so* >/dev/null 2>&1; then
  GOEXPERIMENT=simd CGO_ENABLED=1 CGO_LDFLAGS="-L$OPENBLAS_DIR -lopenblas -Wl,-rpath,$OPENBLAS_DIR" \
    go test -tags openblas -c -o "$tmp/openblas.test" ./trainer/ && have_openblas=1
fi
have_torch=0
if [ -f "$EVAL_ANCHOR" ] && "$PY" -c 'import torch' 2>/dev/null; then have_torch=1; fi

echo "== peak (BenchmarkPeak)" >&2
"$tmp/simdblas.test" -test.run '^$' -test.bench '^BenchmarkPeak$' -test.cpu 1 -test.count 3 | tee "$tmp/peak.txt" >&2

EVAL='^BenchmarkLossGrad$/^.*$/^.*$/^nf=1000$/^shards=1$'
run_eval() { # name binary [env...]
  local name=$1 bin=$2
  shift 2
  echo "== per evaluation: $name" >&2
  env "$@" "$bin" -test.run '^$' -test.bench "$EVAL" -test.cpu 1 -test.count "$COUNT" | tee "$tmp/eval-$name.txt" >&2
}
run_eval gonum "$tmp/gonum.test"
run_eval avx2 "$tmp/simd.test" PINNSWEEP_KERNELS=avx2
run_eval avx512 "$tmp/simd.test"
if [ $have_openblas = 1 ]; then run_eval openblas "$tmp/openblas.test"; fi
if [ $have_torch = 1 ]; then
  for dt in float64 float32; do
    echo "== per evaluation: PyTorch $dt" >&2
    "$PY" scripts/torch_cpu_clock.py "$EVAL_ANCHOR" --dtype "$dt" --threads 1 | tee "$tmp/torch-eval-$dt.txt" >&2
  done
fi

# Whole trials, interleaved with the anchor's so that both see the same load.
for b in $BETAS; do
  for p in f32 f64; do
    for s in $SEEDS; do
      echo "== trial β=$b $p seed $s" >&2
      "$tmp/simd.test" -test.run '^$' -test.bench "^BenchmarkTrial\$/^$p\$/^beta=$b\$/^seed=$s\$" -test.cpu 1 -test.benchtime 1x -test.timeout 60m |
        tee "$tmp/trial-$p-$b-$s.txt" >&2
      if [ $have_torch = 1 ]; then
        dt=float32
        [ $p = f64 ] && dt=float64
        echo "== trial β=$b PyTorch $dt seed $s" >&2
        "$PY" scripts/torch_cpu_clock.py "$TRIAL_ANCHOR" --beta "$b" --dtype "$dt" --threads 1 --seed "$s" | tee "$tmp/torch-trial-$p-$b-$s.txt" >&2
      fi
    done
  done
done
uptime >"$tmp/load-after"

"$PY" scripts/bench_report.py "$tmp" "$BETAS" "$COUNT" "$SEEDS"
