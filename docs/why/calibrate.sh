#!/usr/bin/env bash
# Reruns docs/repro.md's failing cases with `pinnsweep train --json` and stores each result's numbers in verdict/testdata/calibration/ (TestFailureClassCalibrationData classifies them).
#
#   BIN=bin/pinnsweep docs/why/calibrate.sh [NAME...]
#
# Each case is docs/repro.md's (scripts/repro.sh, scripts/repro-strategies.sh):
# the paper protocol, at most 20000 iterations and 600 s (900 s for the
# curriculum). The stored file keeps the scalar numbers and the config, not
# the history, the solution or the diagnostics.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin/pinnsweep}
dir=verdict/testdata/calibration
mkdir -p "$dir"
cases=(
  "reaction-rho5|--pde reaction --rho 5 --ic gauss --seed 0"
  "rd-nu3-rho5|--pde rd --nu 3 --rho 5 --ic gauss --seed 0"
  "rd-nu5-rho5|--pde rd --nu 5 --rho 5 --ic gauss --seed 0"
  "convection-beta10-nf100|--pde convection --beta 10 --nf 100 --seed 0"
  "hard-beta20|--pde convection --beta 20 --strategy hard --seed 0"
  "hard-beta30|--pde convection --beta 30 --strategy hard --seed 0"
  "hard-beta40|--pde convection --beta 40 --strategy hard --seed 0"
  "convection-beta50|--pde convection --beta 50 --seed 0"
  "curriculum-beta40-seed1|--pde convection --beta 40 --strategy curriculum --curriculum-iters 1000 --tol-change 1e-10 --seed 1 --max-seconds 900"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name flags <<<"$c"
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
    continue
  fi
  echo "== $name" >&2
  # shellcheck disable=SC2086
  "$BIN" train --max-iters 20000 --max-seconds 600 $flags --json |
    python3 -c 'import json, sys
r = json.load(sys.stdin)
keep = {k: v for k, v in r.items() if not isinstance(v, (list, dict)) or k == "config"}
json.dump(keep, sys.stdout, indent=1, sort_keys=True)
print()' >"$dir/$name.json"
done
