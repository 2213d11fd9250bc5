#include <catch2/catch.hpp>

#include <atomic>

#include "framework/config.h"
#include "framework/error.h"
#include "framework/machine_limits.h"
#include "framework/parallel.h"

// The first call measures (about a second); every case after it reads the
// cached figures.
TEST_CASE("machine limits fall in ranges any AVX2 machine reaches", "[limits]") {
  const ember::MachineLimits& limits = ember::machine_limits();

  CHECK(limits.peak_gflops_one_core > 1.0);
  CHECK(limits.bandwidth_gbs_one_core > 1.0);
  CHECK(limits.bandwidth_gbs_all_cores > 1.0);
  // On a busy machine the extra threads may add little, but never cost most
  // of one core's rate.
  CHECK(limits.peak_gflops_all_cores >= 0.8 * limits.peak_gflops_one_core);
  // No core multiply-adds float32 faster than a few hundred GFLOP/s (two
  // 512-bit FMA units at 5 GHz: 320).
  CHECK(limits.peak_gflops_one_core < 1000.0);
}

TEST_CASE("machine limits name the instruction set of ember's kernels and its width",
          "[limits]") {
  const ember::MachineLimits& limits = ember::machine_limits();

  CHECK(limits.simd == ember::simd_arch());
  CHECK(limits.simd_width_floats == ember::simd_float_lanes());
  if (limits.simd == "avx512f") {
    CHECK(limits.simd_width_floats == 16);
  } else {
    CHECK(limits.simd == "avx2");
    CHECK(limits.simd_width_floats == 8);
  }
}

TEST_CASE("machine limits run on every thread ember has", "[limits]") {
  const ember::MachineLimits& limits = ember::machine_limits();

  CHECK(limits.threads == ember::get_num_threads());
}

TEST_CASE("machine_limits measures once and returns the same object", "[limits]") {
  const ember::MachineLimits& first = ember::machine_limits();
  const ember::MachineLimits& second = ember::machine_limits();

  CHECK(&first == &second);
  CHECK(first.peak_gflops_one_core == second.peak_gflops_one_core);
}

TEST_CASE("measuring machine limits inside a parallel task is refused", "[limits]") {
  const int previous = ember::get_num_threads();
  ember::set_num_threads(2);
  std::atomic<int> refused{0};

  ember::parallel_for(0, 2, 1, [&](int64_t, int64_t) {
    try {
      ember::measure_machine_limits();
    } catch (const ember::Error&) {
      ++refused;
    }
  });

  ember::set_num_threads(previous);
  CHECK(refused.load() >= 1);
}
