#!/usr/bin/env bash
# Builds ember's benchmarks in Release and runs every one: 5 repetitions each,
# JSON reports into benchmarks/results/, then a Markdown summary (median, min,
# max, and the ratios the benchmarks exist for) printed and saved beside them.
#
#   benchmarks/run.sh [extra Google Benchmark flags]
#   benchmarks/run.sh --benchmark_min_time=0.01 --benchmark_repetitions=2   # smoke run
#   EMBER_BENCH_THREADS=1,2,4 benchmarks/run.sh                             # thread counts
#
# Paired benchmarks (ember beside its plain loop, memcpy or direct sgemm) are
# registered next to each other, and the repetitions of all benchmarks in a
# program run shuffled together (--benchmark_enable_random_interleaving), so
# both sides of a comparison sample the same stretches of a noisy machine.
# The programs restart themselves with the right OPENBLAS_CORETYPE when
# Debian's OpenBLAS picked its generic kernels; the kernels used are recorded
# in each JSON file's context.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${EMBER_BENCH_BUILD_DIR:-$repo/build-bench}
results=$repo/benchmarks/results
programs=()
for source in "$repo"/benchmarks/bench_*.cpp; do
  name=$(basename "$source" .cpp)
  [ "$name" = bench_main ] || programs+=("${name#bench_}")
done

cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_BENCHMARKS=ON \
  -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_EXAMPLES=OFF
cmake --build "$build" -j "$(nproc)" --target "${programs[@]/#/bench_}"

mkdir -p "$results"
for name in "${programs[@]}"; do
  echo "=== bench_$name"
  "$build/benchmarks/bench_$name" \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true \
    --benchmark_out="$results/$name.json" --benchmark_out_format=json "$@"
done

files=()
for name in "${programs[@]}"; do files+=("$results/$name.json"); done
if command -v python3 >/dev/null; then
  python3 "$repo/benchmarks/summarize.py" "${files[@]}" > "$results/summary.md"
  echo
  cat "$results/summary.md"
  echo "(saved to $results/summary.md)"
else
  echo "python3 not found: install it (apt-get install python3) to print the summary;" \
       "the JSON reports are in $results"
fi
