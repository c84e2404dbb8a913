#!/usr/bin/env python3
"""Turn the raw output of scripts/bench.sh into the Markdown report of
BENCHMARKS.md: the peak, the per-evaluation table, the whole-trial table
and the goals of issue 14, every figure beside its anchor from the same
run.

    bench_report.py DIR BETAS COUNT SEEDS
"""
import glob
import os
import platform
import re
import statistics
import subprocess
import sys

d, betas, count, seeds = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4].split()


def bench_lines(path):
    """Yield (name, {unit: value}) for every benchmark result line."""
    if not os.path.exists(path):
        return
    for line in open(path):
        if not line.startswith("Benchmark"):
            continue
        f = line.split()
        name = re.sub(r"-\d+$", "", f[0])
        m = {}
        for i in range(2, len(f) - 1, 2):
            try:
                m[f[i + 1]] = float(f[i])
            except ValueError:
                pass
        yield name, m


def medians(path):
    """Median of every metric per benchmark name."""
    acc = {}
    for name, m in bench_lines(path):
        for k, v in m.items():
            acc.setdefault(name, {}).setdefault(k, []).append(v)
    return {n: {k: statistics.median(v) for k, v in ms.items()} for n, ms in acc.items()}


def kv(path):
    """key=value pairs of an anchor's output."""
    out = {}
    if os.path.exists(path):
        for tok in open(path).read().split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                out[k] = v
    return out


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def fmt(v, spec=".3g"):
    return "–" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


# ---- peak
peak = {"f64": None, "f32": None}
peaks = medians(f"{d}/peak.txt")
rows = []
for name, m in sorted(peaks.items()):
    prec, lvl = name.split("/")[1:3]
    g = m.get("cpu-GFLOP/s")
    rows.append(f"| {prec} | {lvl} | {g:.1f} |")
    peak[prec] = max(peak[prec] or 0, g)

print("## Trainer at the hardware's limit (`make bench`)\n")
print(f"- CPU: {cpu_model()}; one thread (`-cpu 1`, PyTorch `--threads 1`).")
print(f"- Load before: `{open(d + '/load-before').read().strip()}`; after: `{open(d + '/load-after').read().strip()}`.")
gov = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
tv = kv(f"{d}/torch-eval-float32.txt").get("torch", "not run")
print(f"- {gov}; PyTorch {tv}.")
print("- Times are wall time and CPU time (thread CPU time for pinnsweep, process CPU time for PyTorch")
print("  through `scripts/torch_cpu_clock.py`); on a shared machine compare the CPU columns.\n")
print("### Peak: FMA-bound loop on this core (`BenchmarkPeak`, 12 independent chains, median of 3)\n")
print("| precision | vectors | GFLOP/s (CPU time) |\n|---|---|---|")
print("\n".join(rows))
print(f"\nPeak used below: float64 {fmt(peak['f64'], '.1f')} GFLOP/s, float32 {fmt(peak['f32'], '.1f')} GFLOP/s.\n")

# ---- per evaluation
torch = {}
for dt, p in (("float64", "f64"), ("float32", "f32")):
    a = kv(f"{d}/torch-eval-{dt}.txt")
    if a:
        torch[p] = (float(a["wall_ms_per_eval"]), float(a["ms_per_eval"]))
t32wall, t32cpu = torch.get("f32", (None, None))
print(f"### One loss+gradient evaluation (convection β = 30, N_f = 1000, 2-50-50-50-50-1 tanh; median of {count})\n")
print("GFLOP/s counts the GEMMs' multiply–adds (3 products per layer, the bias not counted) over the whole")
print("evaluation's CPU time; % of peak divides by the peak of the same precision above.\n")
print("| implementation | precision | ms/eval (wall) | ms/eval (CPU) | GFLOP/s (CPU) | % of peak | speed-up vs PyTorch float32 (CPU / wall) |")
print("|---|---|---|---|---|---|---|")
for p, dt in (("f64", "float64"), ("f32", "float32")):
    if p in torch:
        w, c = torch[p]
        print(f"| PyTorch {tv} (anchor) | {dt} | {w:.3f} | {c:.3f} | | | {fmt(ratio(t32cpu, c), '.2f')}× / {fmt(ratio(t32wall, w), '.2f')}× |")
labels = {
    "gonum": "pinnsweep, gonum BLAS (default build)",
    "avx2": "pinnsweep, archsimd AVX2 (PINNSWEEP_KERNELS=avx2)",
    "avx512": "pinnsweep, assembly AVX-512 GEMMs + archsimd tanh (`make build`)",
    "openblas": "pinnsweep, OpenBLAS serial (-tags openblas)",
}
evals = {}
for build in ("gonum", "avx2", "avx512", "openblas"):
    for name, m in medians(f"{d}/eval-{build}.txt").items():
        p = name.split("/")[2]
        evals[(build, p)] = m
        g = m.get("cpu-GFLOP/s")
        pct = None if g is None or not peak.get(p) else 100 * g / peak[p]
        print(f"| {labels[build]} | {'float64' if p == 'f64' else 'float32'} | {m['ms/eval']:.3f} | {m.get('cpu-ms/eval', float('nan')):.3f} | "
              f"{fmt(g, '.1f')} | {fmt(pct, '.0f')}% | {fmt(ratio(t32cpu, m.get('cpu-ms/eval')), '.2f')}× / {fmt(ratio(t32wall, m['ms/eval']), '.2f')}× |")

# ---- trials
print(f"\n### Whole trials (paper protocol: N_f = 1000, seeds {', '.join(seeds)}, L-BFGS history 50 to convergence, one thread)\n")
print("pinnsweep's seconds are `Train` from start to the final evaluation on the grid; PyTorch's cover its")
print("`LBFGS.step` (training only). Both run the same seeds (the collocation draw and the initialisation; the")
print("two programs draw differently from a seed). One seed's evaluation count and rel_l2 are decided by")
print("rounding, so each cell is the median over the seeds, rel_l2 with every seed's value in seed order, and")
print("speed-up = PyTorch's median seconds / pinnsweep's median seconds.\n")
print("| β | precision | pinnsweep s (wall / CPU) | evals | rel_l2 [per seed] | PyTorch s (wall / CPU) | evals | rel_l2 [per seed] | speed-up (CPU / wall) |")
print("|---|---|---|---|---|---|---|---|---|")


def med(xs):
    return statistics.median(xs) if xs else None


trials = {}
for b in betas:
    for p in ("f32", "f64"):
        ours = [m for s_ in seeds for m in medians(f"{d}/trial-{p}-{b}-{s_}.txt").values()]
        tor = [t for t in (kv(f"{d}/torch-trial-{p}-{b}-{s_}.txt") for s_ in seeds) if "seconds" in t]
        if not ours:
            continue
        o = {k: med([m[k] for m in ours]) for k in ("s/trial", "cpu-s/trial", "evals", "rel_l2")}
        t = {"wall_seconds": med([float(x["wall_seconds"]) for x in tor if "wall_seconds" in x]),
             "seconds": med([float(x["seconds"]) for x in tor]),
             "evals": med([float(x["evals"]) for x in tor]),
             "rel_l2": med([float(x["rel_l2"]) for x in tor])} if tor else {}
        trials[(b, p)] = (o, t)
        ol = ", ".join(f"{m['rel_l2']:.2g}" for m in ours)
        tl = ", ".join(f"{float(x['rel_l2']):.2g}" for x in tor)
        print(f"| {b} | {'float32' if p == 'f32' else 'float64'} | {o['s/trial']:.2f} / {o['cpu-s/trial']:.2f} | {o['evals']:.0f} | "
              f"{o['rel_l2']:.3g} [{ol}] | "
              f"{fmt(t.get('wall_seconds'), '.2f')} / {fmt(t.get('seconds'), '.2f')} | {fmt(t.get('evals'), '.0f')} | "
              f"{fmt(t.get('rel_l2'), '.3g')} [{tl}] | "
              f"{fmt(ratio(t.get('seconds'), o['cpu-s/trial']), '.2f')}× / {fmt(ratio(t.get('wall_seconds'), o['s/trial']), '.2f')}× |")

# ---- goals
print("\n### Goals of issue 14 in this run\n")


def verdict(ok):
    return "**met**" if ok else "**not met**"


for b in ("1", "10"):
    ours, t = trials.get((b, "f32"), (None, {}))
    if ours is None or t.get("seconds") is None:
        continue
    rc = ratio(t["seconds"], ours["cpu-s/trial"])
    rw = ratio(t["wall_seconds"], ours["s/trial"])
    better = ours["rel_l2"] <= t["rel_l2"]
    print(f"- Whole trial float32 ≥ 3× PyTorch float32 at β = {b}, rel_l2 no worse (medians over seeds "
          f"{', '.join(seeds)}): {rc:.2f}× CPU, {rw:.2f}× wall; rel_l2 {ours['rel_l2']:.3g} vs {t['rel_l2']:.3g} — "
          f"{verdict(rc >= 3 and better)} on CPU time, {verdict(rw >= 3 and better)} on wall time.")
m64 = evals.get(("avx512", "f64"))
m32 = evals.get(("avx512", "f32"))
if m64 and t32cpu:
    r = t32cpu / m64["cpu-ms/eval"]
    print(f"- float64 ≥ 2× PyTorch float32 per evaluation: {r:.2f}× (CPU), {t32wall / m64['ms/eval']:.2f}× (wall) — {verdict(r >= 2)}.")
if m64 and peak["f64"]:
    f = m64["cpu-GFLOP/s"] / peak["f64"]
    print(f"- float64 evaluation ≥ 60% of the float64 peak: {100 * f:.0f}% of {peak['f64']:.0f} GFLOP/s — {verdict(f >= 0.6)}.")
if m32 and peak["f32"]:
    f = m32["cpu-GFLOP/s"] / peak["f32"]
    print(f"- float32 evaluation ≥ 50% of the float32 peak: {100 * f:.0f}% of {peak['f32']:.0f} GFLOP/s — {verdict(f >= 0.5)}.")
