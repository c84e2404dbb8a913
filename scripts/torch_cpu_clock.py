#!/usr/bin/env python3
"""Run a PyTorch anchor of ../shared/bench with its clock on CPU time.

    torch_cpu_clock.py ANCHOR.py [anchor arguments...]

The anchors time themselves with time.perf_counter (wall time). On a
shared machine wall time mostly measures waiting for a CPU, so this
wrapper replaces time.perf_counter, for the anchor only, by
time.process_time (the CPU time of this process, PyTorch running one
thread) and runs the anchor unchanged: the figures it prints (seconds,
ms_per_eval) are then CPU time. It records the wall clock at the same
calls and prints it after the anchor's output, as

    wall_seconds=<last call − first call>             (the trial anchor)
    wall_ms_per_eval=<median of the timed intervals>  (the eval anchor)

so that scripts/bench.sh can show both.
"""
import runpy
import statistics
import sys
import time

if len(sys.argv) < 2:
    sys.exit("usage: torch_cpu_clock.py ANCHOR.py [args...]")
anchor = sys.argv[1]
sys.argv = sys.argv[1:]
wall = []
real = time.perf_counter


def cpu_clock():
    wall.append(real())
    return time.process_time()


time.perf_counter = cpu_clock
runpy.run_path(anchor, run_name="__main__")
time.perf_counter = real
if len(wall) == 2:
    print(f"wall_seconds={wall[1] - wall[0]:.3f}")
elif len(wall) >= 2:
    print(f"wall_ms_per_eval={statistics.median(wall[i + 1] - wall[i] for i in range(0, len(wall) - 1, 2)) * 1e3:.3f}")
