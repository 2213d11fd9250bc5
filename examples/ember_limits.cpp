// Measures this machine's limits as ember sees them: the peak float32 FMA rate
// at the instruction set ember's kernels run, and streaming memory bandwidth,
// on one core and on all of ember's threads (about a second).
//
//   ember_limits                  a readable summary
//   ember_limits --json           one JSON object (the MachineLimits fields),
//                                 for scripts such as benchmarks/run.sh
//   ember_limits --threads 4      the all-cores figures on 4 threads
#include <CLI/CLI.hpp>

#include <cstdio>

#include "common/number_flags.h"
#include "framework/machine_limits.h"
#include "framework/parallel.h"

namespace {

void print_json(const ember::MachineLimits& limits) {
  std::printf("{\"simd\": \"%s\", \"simd_width_floats\": %d, \"threads\": %d, "
              "\"peak_gflops_one_core\": %.2f, \"peak_gflops_all_cores\": %.2f, "
              "\"bandwidth_gbs_one_core\": %.2f, \"bandwidth_gbs_all_cores\": %.2f}\n",
              limits.simd.c_str(), limits.simd_width_floats, limits.threads,
              limits.peak_gflops_one_core, limits.peak_gflops_all_cores,
              limits.bandwidth_gbs_one_core, limits.bandwidth_gbs_all_cores);
}

void print_summary(const ember::MachineLimits& limits, int threads_asked) {
  std::printf("instruction set  %s (%d float32 lanes), as ember's kernels\n",
              limits.simd.c_str(), limits.simd_width_floats);
  std::printf("peak FMA         %8.1f GFLOP/s on one core, %8.1f on %d threads\n",
              limits.peak_gflops_one_core, limits.peak_gflops_all_cores, limits.threads);
  std::printf("memory (triad)   %8.1f GB/s    on one core, %8.1f on %d threads\n",
              limits.bandwidth_gbs_one_core, limits.bandwidth_gbs_all_cores, limits.threads);
  if (limits.threads < threads_asked) {
    std::printf("warning: only %d of %d threads ran at once; the machine is busy\n",
                limits.threads, threads_asked);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measures the peak FMA rate and memory bandwidth ember's speed is read against"};
  bool json = false;
  int threads = 0;
  app.add_flag("--json", json, "Print one JSON object instead of the summary");
  app.add_option("--threads", threads, "Threads for the all-cores figures (default: ember's)")
      ->check(number_flags::kPositive);
  CLI11_PARSE(app, argc, argv);

  if (threads > 0) ember::set_num_threads(threads);
  const ember::MachineLimits limits = ember::measure_machine_limits();
  if (json) {
    print_json(limits);
  } else {
    print_summary(limits, ember::get_num_threads());
  }
  return limits.threads == ember::get_num_threads() ? 0 : 1;
}
