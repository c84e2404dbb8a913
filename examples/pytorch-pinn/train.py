#!/usr/bin/env python3
"""A plain PyTorch PINN for convection, u_t + beta u_x = 0, as a pinnsweep command trial.

The protocol of Krishnapriyan et al. (NeurIPS 2021), as pinnsweep's own trainer follows it:

- domain x in [0, 2 pi) (periodic), t in [0, 1]; a 256 x 100 grid, x_j = 2 pi j / 256,
  t_i = i / 99;
- network 2-50-50-50-50-1 with tanh, PyTorch's default initialisation (seeded by --seed);
- N_f = 1000 collocation points drawn without replacement from the grid minus x = 0 and t = 0
  (numpy seeded by --seed); 256 initial-condition points u(x, 0) = sin x; 100 periodic boundary
  pairs u(0, t) = u(2 pi, t);
- loss = MSE_IC + MSE_BC + MSE_residual, with u_x and u_t by autograd;
- L-BFGS (history 50, strong Wolfe line search, tolerances 1e-7, one step() call with
  --iters iterations) or Adam (--iters steps);
- relative L2 error against the exact solution sin(x - beta t) on the whole grid.

It follows pinnsweep's result contract: progress lines on stdout
    PINNSWEEP_PROGRESS {"step": <loss evaluations>, "loss": <loss>}
and the result as a JSON object in $PINNSWEEP_OUT/result.json (or, run by hand without
pinnsweep, as the last line of stdout). A loss that turns NaN gives rel_l2 NaN: pinnsweep
records the trial as diverged.

    python3 train.py --beta 30 --lr 1 --seed 0 [--optimizer lbfgs|adam] [--device cpu|cuda]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--beta", type=float, default=1.0, help="convection coefficient")
p.add_argument("--lr", type=float, default=1.0, help="learning rate (L-BFGS: initial step)")
p.add_argument("--seed", type=int, default=0, help="network initialisation and collocation sample")
p.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs")
p.add_argument("--iters", type=int, default=5000, help="L-BFGS iterations or Adam steps")
p.add_argument("--nf", type=int, default=1000, help="collocation points")
p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
p.add_argument("--threads", type=int, default=1, help="CPU threads")
p.add_argument("--progress-every", type=int, default=50, help="loss evaluations between progress lines")
a = p.parse_args()

if a.device == "cuda" and not torch.cuda.is_available():
    sys.exit("--device cuda: no CUDA device is available (CUDA_VISIBLE_DEVICES=%r)" % os.environ.get("CUDA_VISIBLE_DEVICES"))
torch.set_num_threads(a.threads)
dev, dt = torch.device(a.device), getattr(torch, a.dtype)

# Grid, exact solution, training points.
x = np.linspace(0, 2 * np.pi, 256, endpoint=False)
t = np.linspace(0, 1, 100)
X, T = np.meshgrid(x, t)
exact = np.sin(X - a.beta * T).reshape(-1)
Xi, Ti = np.meshgrid(x[1:], t[1:])
interior = np.stack([Xi.reshape(-1), Ti.reshape(-1)], 1)
np.random.seed(a.seed)
f = interior[np.random.choice(len(interior), a.nf, replace=False)]
torch.manual_seed(a.seed)


def col(v, grad=False):
    return torch.tensor(np.asarray(v, dtype=np.float64).reshape(-1, 1), dtype=dt, device=dev, requires_grad=grad)


xf, tf = col(f[:, 0], True), col(f[:, 1], True)
x0, u0 = col(x), col(np.sin(x))
tb = col(t)
xlo, xhi = torch.zeros_like(tb), torch.full_like(tb, 2 * math.pi)
grid = torch.tensor(np.stack([X.reshape(-1), T.reshape(-1)], 1), dtype=dt, device=dev)

layers = [2, 50, 50, 50, 50, 1]
mods = []
for i in range(len(layers) - 1):
    mods.append(torch.nn.Linear(layers[i], layers[i + 1]))
    if i < len(layers) - 2:
        mods.append(torch.nn.Tanh())
net = torch.nn.Sequential(*mods).to(dev, dt)


def losses():
    u = net(torch.cat([xf, tf], 1))
    ones = torch.ones_like(u)
    ux = torch.autograd.grad(u, xf, ones, create_graph=True)[0]
    ut = torch.autograd.grad(u, tf, ones, create_graph=True)[0]
    ic = ((net(torch.cat([x0, torch.zeros_like(x0)], 1)) - u0) ** 2).mean()
    bc = ((net(torch.cat([xlo, tb], 1)) - net(torch.cat([xhi, tb], 1))) ** 2).mean()
    res = ((ut + a.beta * ux) ** 2).mean()
    return ic, bc, res


evals = 0
last = {"loss": float("nan")}


def closure():
    global evals
    opt.zero_grad()
    ic, bc, res = losses()
    loss = ic + bc + res
    loss.backward()
    evals += 1
    last["loss"] = loss.item()
    if evals % a.progress_every == 0:
        print("PINNSWEEP_PROGRESS " + json.dumps({"step": evals, "loss": last["loss"]}), flush=True)
    return loss


start = time.perf_counter()
if a.optimizer == "lbfgs":
    opt = torch.optim.LBFGS(net.parameters(), lr=a.lr, max_iter=a.iters, max_eval=a.iters * 5 // 4, history_size=50,
                            tolerance_grad=1e-7, tolerance_change=1e-7, line_search_fn="strong_wolfe")
    opt.step(closure)
    iterations = opt.state[opt._params[0]].get("n_iter", 0)
else:
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    for iterations in range(1, a.iters + 1):
        opt.step(closure)
        if not math.isfinite(last["loss"]):
            break
seconds = time.perf_counter() - start

with torch.no_grad():
    pred = net(grid).double().cpu().numpy().reshape(-1)
ic, bc, res = (v.item() for v in losses())
err = pred - exact
result = {
    "rel_l2": float(np.linalg.norm(err) / np.linalg.norm(exact)),
    "abs_err": float(np.abs(err).mean()),
    "linf_rel": float(np.abs(err).max() / np.abs(exact).max()),
    "loss": ic + bc + res, "loss_ic": ic, "loss_bc": bc, "loss_res": res,
    "evals": evals, "iterations": int(iterations), "seconds": seconds,
    "beta": a.beta, "lr": a.lr, "seed": a.seed, "optimizer": a.optimizer, "nf": a.nf,
    "device": a.device, "dtype": a.dtype, "torch": torch.__version__,
}
if not all(math.isfinite(v) for v in (result["loss"], *pred[:1])):
    result["rel_l2"] = float("nan")  # a diverged run: pinnsweep records it so
out = os.environ.get("PINNSWEEP_OUT")
if out:
    with open(os.path.join(out, "result.json"), "w") as fh:
        json.dump(result, fh)
print(json.dumps(result))
