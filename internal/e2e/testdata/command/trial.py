#!/usr/bin/env python3
"""The command trial of internal/e2e, standard library only.

It follows pinnsweep's result contract (README, "Command trials") and does
what its "mode" param says:

  ok        train a toy model: a few progress lines, then result.json
  fail      write a traceback to stderr and exit 1
  noresult  exit 0 without writing a result
  slow      the first attempt forks a grandchild and sleeps, so that a test
            can SIGKILL its worker mid-trial; later attempts (the marker
            file in the working directory exists) are ok

Every process carries the argument MARK (argv[1], the test's unique
marker) in its command line, so that the test finds any that survive.
"""
import json
import os
import subprocess
import sys
import time

mark = sys.argv[1]
p = json.load(open(os.environ["PINNSWEEP_PARAMS"]))
out = os.environ["PINNSWEEP_OUT"]
mode = p["mode"]


def ok():
    w, loss = 0.0, 0.0
    for step in range(1, 6):
        w += 0.5 * (p["x"] - w)
        loss = (p["x"] - w) ** 2
        print("PINNSWEEP_PROGRESS " + json.dumps({"step": step, "loss": loss}), flush=True)
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({"score": 1.0 / (1.0 + loss), "loss": loss, "steps": 5}, f)


if mode == "ok":
    ok()
elif mode == "fail":
    sys.stderr.write("Traceback (most recent call last):\n  File \"trial.py\", line 1\nValueError: x=%s is out of range\n" % p["x"])
    sys.exit(1)
elif mode == "noresult":
    print("trained, but forgot to write the result", flush=True)
elif mode == "slow":
    marker = "slow-%s-%s.started" % (mark, p["x"])
    if os.path.exists(marker):
        ok()
    else:
        open(marker, "w").close()
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", mark, "grandchild"])
        print("PINNSWEEP_PROGRESS " + json.dumps({"step": 1, "loss": 1.0}), flush=True)
        time.sleep(600)
else:
    sys.exit("unknown mode " + mode)
