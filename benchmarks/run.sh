#!/usr/bin/env bash
# Builds ember's benchmarks in Release and runs every one: 5 repetitions each,
# JSON reports into benchmarks/results/, then a Markdown summary (median, min,
# max, and the ratios the benchmarks exist for) printed and saved beside them.
# The machine's limits (examples/ember_limits --json: peak FMA rate and memory
# bandwidth) are measured first and saved as benchmarks/results/limits.json.
#
#   benchmarks/run.sh [--threads 1,2,4] [--quick] [extra Google Benchmark flags]
#   benchmarks/run.sh --quick                          # smoke run: 2 short repetitions
#   benchmarks/run.sh --benchmark_filter=matmul        # one family
#
# --threads sets the thread counts every benchmark is registered for (default
# 1,2; the environment variable EMBER_BENCH_THREADS does the same).
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

benchmark_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) export EMBER_BENCH_THREADS="$2"; shift 2 ;;
    --threads=*) export EMBER_BENCH_THREADS="${1#--threads=}"; shift ;;
    --quick) benchmark_flags+=(--benchmark_min_time=0.01 --benchmark_repetitions=2); shift ;;
    *) benchmark_flags+=("$1"); shift ;;
  esac
done

programs=()
for source in "$repo"/benchmarks/bench_*.cpp; do
  name=$(basename "$source" .cpp)
  [ "$name" = bench_main ] || programs+=("${name#bench_}")
done

cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_BENCHMARKS=ON \
  -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_EXAMPLES=ON
cmake --build "$build" -j "$(nproc)" --target "${programs[@]/#/bench_}" ember_limits

mkdir -p "$results"
# The largest thread count asked for, for the all-cores figures.
limit_threads=$(tr ',' '\n' <<< "${EMBER_BENCH_THREADS:-1,2}" | sort -n | tail -1)
echo "=== ember_limits --json --threads $limit_threads"
"$build/examples/ember_limits" --json --threads "$limit_threads" > "$results/limits.json" ||
  echo "ember_limits: not every thread took part (a busy machine); figures kept anyway"
cat "$results/limits.json"
echo "(saved to $results/limits.json)"

for name in "${programs[@]}"; do
  echo "=== bench_$name"
  "$build/benchmarks/bench_$name" \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true \
    --benchmark_out="$results/$name.json" --benchmark_out_format=json \
    ${benchmark_flags[@]+"${benchmark_flags[@]}"}
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
