#!/usr/bin/env bash
# Runs every experiment of examples/ in full and copies their charts into
# docs/experiments/, where the README shows them; with --quick, runs the
# short versions and leaves docs/ alone. Each experiment's CSV files and
# charts stay in experiments-out/NAME.
#
#   tools/run_experiments.sh [--quick] [--threads N] [NAME...]
#
# NAME is one of the experiments below (default: all of them). Builds them in
# Release into build/ first. The Fashion-MNIST ones need Debian's
# dataset-fashion-mnist package; gnuplot (gnuplot-nox) draws the charts.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

all=(bias_variance optimizers_2d gradient_descent_variants fitting_curves regularizers
     ensembles_fashion_mnist)
flags=()
names=()
quick=false
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) flags+=(--quick); quick=true; shift ;;
    --threads) flags+=(--threads "$2"); shift 2 ;;
    -*) echo "run_experiments: unknown flag $1" >&2; exit 1 ;;
    *) names+=("$1"); shift ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target "${names[@]}"

mkdir -p docs/experiments
for name in "${names[@]}"; do
  out=experiments-out/$name
  echo "=== $name ${flags[*]}"
  start=$SECONDS
  "build/examples/$name" "${flags[@]}" --out "$out"
  echo "=== $name: $((SECONDS - start)) s"
  $quick && continue
  for chart in "$out"/*.png; do
    cp "$chart" "docs/experiments/${name}_$(basename "$chart")"
  done
done
