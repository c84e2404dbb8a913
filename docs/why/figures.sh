#!/usr/bin/env bash
# Draws docs/why.md's figures (phase diagrams of rel_l2, the failure classes, λ_max and the trace; the loss landscapes) from a convection-why database into docs/why/.
#
#   BIN=bin/pinnsweep docs/why/figures.sh why.db
#
# The report goes to a temporary directory; only the four diagrams and the
# landscapes of regular and curriculum at β = 1, 20, 30 and 40 (the median
# replicate of each point) are copied, PNG and SVG, to keep docs/why small.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin/pinnsweep}
db=${1:?usage: docs/why/figures.sh DB}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$BIN" report convection-why --db "$db" --out "$out/r" --landscape --trials median \
  --metric hessian_max --metric hessian_trace
for f in phase classes metric-hessian_max metric-hessian_trace; do
  cp "$out/r/$f-beta-strategy.png" "$out/r/$f-beta-strategy.svg" docs/why/
done
rm -f docs/why/landscape-*
for b in 1 20 30 40; do
  for s in regular curriculum; do
    for ext in png svg; do
      src=$(ls "$out/r/trials/beta=$b-strategy=$s-seed="*"-landscape.$ext" 2>/dev/null) || {
        echo "no landscape of β = $b, $s (not finished?)" >&2
        continue
      }
      seed=${src##*seed=}
      cp "$src" "docs/why/landscape-beta$b-$s-seed${seed%%-*}.$ext"
    done
  done
done
du -sh docs/why
