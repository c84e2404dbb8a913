#!/usr/bin/env python3
"""A command trial for the worker's tests, standard library only.

It follows pinnsweep's result contract (README, "Command trials") and
misbehaves on request: the "mode" param of $PINNSWEEP_PARAMS says how.
Every process it starts is recorded in $PINNSWEEP_OUT/pids, and carries the
trial key in its command line, so that a test can check that none is left.
"""
import json
import os
import signal
import subprocess
import sys
import time

params = json.load(open(os.environ["PINNSWEEP_PARAMS"]))
out = os.environ["PINNSWEEP_OUT"]
key = os.environ["PINNSWEEP_TRIAL_KEY"]
mark = params.get("mark", key)  # also on the command line: sys.argv[1]
mode = params.get("mode", "done")


def record(pid):
    with open(os.path.join(out, "pids"), "a") as f:
        f.write(f"{pid}\n")


def child(*extra, **kw):
    """Start a python child that sleeps, with the trial key in its argv."""
    code = "import signal, sys, time\nif 'ignore' in sys.argv: signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(600)"
    p = subprocess.Popen([sys.executable, "-c", code, mark, *extra], **kw)
    record(p.pid)
    return p


def result(obj):
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(obj, f)


def progress(step, loss):
    print("PINNSWEEP_PROGRESS " + json.dumps({"step": step, "loss": loss}), flush=True)


record(os.getpid())
print(f"trial {key} mode {mode}", file=sys.stderr, flush=True)
if mode == "done":
    for i in range(1, 4):
        progress(10 * i, 1.0 / i)
    result({"rel_l2": params.get("rel_l2", 0.01), "loss": 1e-3, "steps": 30})
elif mode == "stdout":
    result_line = json.dumps({"rel_l2": 0.02, "where": "stdout"})
    print("not the result", flush=True)
    print(result_line)
    print("PINNSWEEP_PROGRESS " + json.dumps({"step": 5, "loss": 0.5}))  # not a result candidate
    print("   ")
elif mode == "nan":
    print(json.dumps({"rel_l2": float("nan"), "loss": float("inf")}))  # Python writes bare NaN, Infinity
elif mode == "inf":
    with open(os.path.join(out, "result.json"), "w") as f:
        f.write('{"rel_l2": -Infinity, "note": "NaN inside a string"}')
elif mode == "null":
    result({"rel_l2": None})
elif mode == "exit":
    print("line one of stderr", file=sys.stderr)
    print("Traceback (most recent call last):\nValueError: beta must be positive", file=sys.stderr)
    result({"rel_l2": 0.5})  # a result does not make a failed exit done
    sys.exit(3)
elif mode == "segv":
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "noresult":
    print("training finished, but I forgot the result")
elif mode == "silent":
    pass
elif mode == "badjson":
    with open(os.path.join(out, "result.json"), "w") as f:
        f.write('{"rel_l2": 0.1,')
elif mode == "array":
    result([0.1])
elif mode == "nometric":
    result({"loss": 0.3, "acc": 0.9})
elif mode == "strmetric":
    result({"rel_l2": "0.1"})
elif mode == "fifo":
    os.mkfifo(os.path.join(out, "result.json"))
elif mode == "env":
    result({
        "rel_l2": 0.0,
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "params": params,
        "env": {k: v for k, v in os.environ.items()
                if k.startswith(("PINNSWEEP_", "CUDA_", "ROCR_", "TRIAL_")) or k in ("OMP_NUM_THREADS",)},
    })
elif mode == "sleep":
    progress(1, 0.25)
    time.sleep(600)
elif mode == "grandchild":
    c = child()
    g = child("grandchild", start_new_session=False)
    print(f"children {c.pid} {g.pid}", flush=True)
    progress(1, 0.5)
    time.sleep(600)
elif mode == "ignoreterm":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child("ignore")
    print("ignoring SIGTERM", file=sys.stderr, flush=True)
    progress(1, 0.5)
    time.sleep(600)
elif mode == "setsid":
    # A daemon in a new session, whose parent exits: it is orphaned.
    mid = subprocess.Popen([sys.executable, "-c",
                            "import subprocess, sys\n"
                            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', sys.argv[1], 'daemon'], start_new_session=True)\n"
                            "open(sys.argv[2], 'a').write(f'{p.pid}\\n')",
                            mark, os.path.join(out, "pids")])
    mid.wait()
    result({"rel_l2": 0.03})
elif mode == "setsid-sleep":
    d = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", mark, "daemon"], start_new_session=True)
    record(d.pid)
    progress(1, 0.5)
    time.sleep(600)
elif mode == "spam":
    sys.stdout.write("HEAD-OF-LOG\n")
    line = "x" * 99 + "\n"
    # stdout alone first, more than a pipe's buffer (64 KiB) and the log's
    # head together: the write returns only once the worker has read and
    # logged the head, so the head is stdout's, HEAD-OF-LOG first, however
    # the two pipes' readers are scheduled (stderr is line-buffered and
    # stdout block-buffered: interleaved from the start, stderr could fill
    # the head before stdout's first block arrives). Then both at once.
    for _ in range(1500):
        sys.stdout.write(line)
    sys.stdout.flush()
    for _ in range(int(params.get("lines", 30000))):
        sys.stdout.write(line)
        sys.stderr.write(line)
    sys.stderr.write("TAIL-OF-STDERR\n")
    sys.stdout.write("TAIL-OF-LOG\n")
    result({"rel_l2": 0.04})
elif mode == "flood":
    for i in range(int(params.get("lines", 100000))):
        print(f'PINNSWEEP_PROGRESS {{"step": {i}, "loss": 1}}')
    print("PINNSWEEP_PROGRESS " + "x" * 10000)
    print('PINNSWEEP_PROGRESS {"step": -1}')
    sys.stdout.flush()
    time.sleep(1.5)
    print(f'PINNSWEEP_PROGRESS {{"step": 123456789, "loss": 0.125}}', flush=True)
    time.sleep(0.5)
    result({"rel_l2": 0.05})
else:
    print(f"unknown mode {mode}", file=sys.stderr)
    sys.exit(2)
