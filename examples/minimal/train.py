import json, math, os
p = json.load(open(os.environ["PINNSWEEP_PARAMS"]))         # the trial's params: {"beta": 30, "lr": 0.1, "seed": 0}
w, b = 0.0, p["beta"]
for step in range(1, 501):                                    # "training": fit w to beta by gradient descent
    loss = (w - b) * (w - b)
    w -= p["lr"] * 2 * (w - b)
    if step % 50 == 0:
        print("PINNSWEEP_PROGRESS " + json.dumps({"step": step, "loss": loss}), flush=True)
rel_l2 = abs(w - b) / abs(b) if math.isfinite(w) else float("nan")   # NaN: pinnsweep records "diverged"
json.dump({"rel_l2": rel_l2, "loss": loss}, open(os.path.join(os.environ["PINNSWEEP_OUT"], "result.json"), "w"))
