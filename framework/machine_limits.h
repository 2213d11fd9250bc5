#pragma once

#include <cstdint>
#include <string>

namespace ember {

// The ceilings of this machine that ember's speed is read against: how fast
// the cores can multiply-add float32 with the instruction set ember's kernels
// run, and how fast memory streams. A workload's time divided into its FLOPs
// (or its bytes) and set beside these says how close to the machine it runs.
struct MachineLimits {
  // The instruction set ember's pointwise kernels dispatch to on this CPU
  // ("avx512f" or "avx2", as ember::simd_arch()) and its float32 lanes.
  std::string simd;
  int simd_width_floats = 0;
  // Threads the all-cores figures ran on: get_num_threads() at measurement,
  // or fewer if some of them never took part (a busy or restricted machine).
  int threads = 0;
  // Float32 fused multiply-adds at `simd`'s width, 2 FLOPs each, in 1e9/s.
  double peak_gflops_one_core = 0.0;
  double peak_gflops_all_cores = 0.0;
  // A streaming triad (a = b + s * c) over arrays far beyond the last-level
  // cache, in 1e9 bytes/s, counting each array read or written once: the
  // convention of ember's benchmark counters (write-allocate reads left out).
  double bandwidth_gbs_one_core = 0.0;
  double bandwidth_gbs_all_cores = 0.0;
};

struct MachineLimitsOptions {
  // Length of one timed FMA run; the best of `repetitions` runs is kept.
  double fma_seconds = 0.04;
  int repetitions = 3;
  // Bytes of each of the triad's three arrays; 0: twice the machine's
  // last-level cache (all instances together), at least 64 MiB, and at most
  // a sixteenth of physical memory.
  int64_t stream_array_bytes = 0;
  int stream_repetitions = 5;
};

// Measures now, on the calling thread and on get_num_threads() threads
// (about 0.5-1.5 s with the default options). Throws ember::Error inside a
// parallel_for task, where the threads could not all run at once.
MachineLimits measure_machine_limits(const MachineLimitsOptions& options = {});

// The limits measured once per process, at the first call (with the thread
// count set then); later calls, from any thread, return the same object.
const MachineLimits& machine_limits();

}  // namespace ember
