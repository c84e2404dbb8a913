#!/usr/bin/python3
"""The numbers docs/why.md states, from the convection-why sweep's results.json.

    pinnsweep export convection-why --db why.db --format json --out results.json
    /usr/bin/python3 docs/why/why_numbers.py results.json

Prints, per (strategy, beta), the median over seeds of rel_l2, lambda_max,
the trace, loss / loss_initial and residual_grid / residual_train (for the
supervised control mse_grid / loss_res) with each seed's failure class; then
the least-squares exponent of lambda_max against beta for the regular PINN
(log-log, every seed as a point), and the curriculum / regular ratios of
lambda_max and of the trace at beta >= 20; and what the diagnostics cost:
per strategy, the seconds of training, of the Hessian diagnostic (Lanczos,
Hutchinson, SLQ) and of the landscape grid, with the diagnostics' share of
each trial's time (training + diagnostics; median and range over trials)
and of the sweep's total; and per landscape the median and the largest
log10 of loss / loss at θ* over the grid and the number of local minima
(grid points below their 8 neighbours) besides θ*.
"""
import base64
import json
import math
import statistics
import sys


def main(path):
    trials = json.load(open(path))
    rows = {}
    for t in trials:
        r = t.get("result") or {}
        if t["status"] != "done":
            continue
        p = t["params"]
        rows.setdefault((p["strategy"], p["beta"]), []).append((p["seed"], t, r))
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    print("strategy     beta  rel_l2    lambda_max  trace     loss/init  grid/train  classes")
    out = {}
    for (s, b) in sorted(rows, key=lambda k: (k[0], k[1])):
        rs = sorted(rows[(s, b)], key=lambda x: x[0])
        rel = [r["rel_l2"] for _, _, r in rs]
        lam = [r["hessian_max"] for _, _, r in rs if "hessian_max" in r]
        tr = [r["hessian_trace"] for _, _, r in rs if "hessian_trace" in r]
        lr = [r["loss"] / r["loss_initial"] for _, _, r in rs if r.get("loss_initial")]
        if s == "supervised":
            gr = [r["mse_grid"] / r["loss_res"] for _, _, r in rs if r.get("loss_res")]
        else:
            gr = [r["residual_grid"] / r["residual_train"] for _, _, r in rs if r.get("residual_train")]
        cls = [t["failure_class"] or "-" for _, t, _ in rs]
        out[(s, b)] = dict(rel=rel, lam=lam, tr=tr)
        print(f"{s:<12} {b:>4}  {med(rel):<8.2g}  {med(lam):<10.3g}  {med(tr):<8.3g}  {med(lr):<9.2g}  {med(gr):<10.3g}  "
              + " ".join(cls) + "   rel_l2 per seed " + " ".join(f"{v:.2g}" for v in rel))
    # lambda_max ~ beta^p for the regular PINN: a least-squares line in log-log.
    def fit(pts):
        xs = [math.log(b) for b, _ in pts]
        ys = [math.log(v) for _, v in pts]
        mx, my = statistics.mean(xs), statistics.mean(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    for s in ("regular", "curriculum", "supervised"):
        pts = [(b, v) for (ss, b), d in out.items() if ss == s for v in d["lam"]]
        for name, sel in (("all beta", lambda b: True), ("beta >= 5", lambda b: b >= 5),
                          ("beta <= 10", lambda b: b <= 10), ("beta >= 20", lambda b: b >= 20)):
            q = [(b, v) for b, v in pts if sel(b)]
            if len({b for b, _ in q}) >= 2:
                print(f"lambda_max ~ beta^p, {s}, {name}: p = {fit(q):.2f} ({len(q)} trials)")
    for b in sorted({b for (_, b) in out}):
        if b >= 20 and ("regular", b) in out and ("curriculum", b) in out:
            reg, cur = out[("regular", b)], out[("curriculum", b)]
            print(f"beta {b}: lambda_max regular / curriculum = {med(reg['lam']) / med(cur['lam']):.2f}, "
                  f"trace {med(reg['tr']) / med(cur['tr']):.2f}; per seed regular {[f'{v:.3g}' for v in reg['lam']]} "
                  f"curriculum {[f'{v:.3g}' for v in cur['lam']]}")

    cost(trials)
    landscapes(trials)


def landscapes(trials):
    """How high and how rugged each landscape is around θ*."""
    print("landscape  strategy    beta  seed  median log10(L/L*)  max log10(L/L*)  other local minima")
    for t in sorted(trials, key=lambda t: (t["params"]["strategy"], t["params"]["beta"], t["params"]["seed"])):
        ls = (t.get("result") or {}).get("landscape")
        if t["status"] != "done" or not ls:
            continue
        raw = base64.b64decode(ls["loss"])
        n = len(ls["coords"])
        vals = [v[0] for v in __import__("struct").iter_unpack("<f", raw)]
        grid = [vals[i * n:(i + 1) * n] for i in range(n)]
        c = ls["center"]
        logs = [math.log10(v / c) for v in vals if v > 0]
        mins = 0
        for i in range(n):
            for j in range(n):
                if i == j == n // 2:
                    continue
                nb = [grid[a][b] for a in range(max(0, i - 1), min(n, i + 2))
                      for b in range(max(0, j - 1), min(n, j + 2)) if (a, b) != (i, j)]
                if all(grid[i][j] < v for v in nb):
                    mins += 1
        p = t["params"]
        print(f"landscape  {p['strategy']:<10} {p['beta']:>4}  {p['seed']:>4}  {statistics.median(logs):>18.1f}  "
              f"{max(logs):>15.1f}  {mins:>18}")


def cost(trials):
    """The diagnostics' seconds against training's (result.seconds is
    training and evaluation only; the diagnostics run after it)."""
    print("cost       trials  train s  hessian s  landscape s  hessian share (median, range)  both share (median, range)  of the total: hessian, both")
    groups, evals = {}, {}
    for t in trials:
        r = t.get("result") or {}
        if t["status"] != "done" or "hessian" not in r:
            continue
        h = r["hessian"].get("seconds", 0.0)
        # Load-independent: a Hessian-vector product is two gradient
        # evaluations (central differences), against training's evaluations.
        evals.setdefault(t["params"]["strategy"], []).append(2 * r["hessian"].get("hvps", 0) / r["evals"])
        ls = (r.get("landscape") or {}).get("seconds", 0.0)
        for g in (t["params"]["strategy"], "all"):
            groups.setdefault(g, []).append((r["seconds"], h, ls))
    for g, xs in sorted(groups.items(), key=lambda kv: kv[0] == "all"):
        tr, hs, lss = (sum(x[i] for x in xs) for i in range(3))
        hsh = [h / (s + h + l) for s, h, l in xs]
        bsh = [(h + l) / (s + h + l) for s, h, l in xs]
        print(f"{g:<10} {len(xs):>6}  {tr:>7.0f}  {hs:>9.0f}  {lss:>11.0f}  "
              f"{statistics.median(hsh):>6.1%} ({min(hsh):.1%}-{max(hsh):.1%})        "
              f"{statistics.median(bsh):>6.1%} ({min(bsh):.1%}-{max(bsh):.1%})     "
              f"{hs / (tr + hs + lss):.1%}, {(hs + lss) / (tr + hs + lss):.1%}")
    for g, xs in sorted(evals.items()):
        print(f"hessian gradient evaluations / training evaluations, {g}: median {statistics.median(xs):.1%} "
              f"({min(xs):.1%}-{max(xs):.1%})")


if __name__ == "__main__":
    main(sys.argv[1])
