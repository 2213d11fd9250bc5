#include "framework/machine_limits.h"

#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "framework/config.h"
#include "framework/error.h"
#include "framework/parallel.h"

namespace ember {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- the peak FMA rate ----

// Independent accumulator chains, each acc = acc * m + a. An FMA's result is
// ready about 4 cycles after it issues and current x86 cores issue two per
// cycle, so 8 chains in flight keep both units busy; 12 leave a margin and,
// with the two constants, still fit AVX2's 16 registers.
constexpr int kChains = 12;

// x -> 0.999 x + 0.001 settles at 1: no overflow and no subnormals however
// long it runs.
constexpr float kMul = 0.999f;
constexpr float kAdd = 0.001f;

// Each kernel returns a value that depends on every chain, so none is dropped.
float fma_chains_avx2(int64_t iterations) {
  const __m256 mul = _mm256_set1_ps(kMul);
  const __m256 add = _mm256_set1_ps(kAdd);
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(0.01f * static_cast<float>(c));

  for (int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
  }

  __m256 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm256_add_ps(total, acc[c]);
  return _mm256_cvtss_f32(total);
}

#ifdef EMBER_HAVE_AVX512
// The same at 512 bits. Only this function is compiled for AVX-512 (the file
// is built for the AVX2 baseline), and it runs only where ember's kernels
// dispatch to AVX-512, i.e. where the CPU has it.
__attribute__((target("avx512f"))) float fma_chains_avx512(int64_t iterations) {
  const __m512 mul = _mm512_set1_ps(kMul);
  const __m512 add = _mm512_set1_ps(kAdd);
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(0.01f * static_cast<float>(c));

  for (int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], mul, add);
  }

  __m512 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm512_add_ps(total, acc[c]);
  return _mm512_cvtss_f32(total);
}
#endif

struct FmaKernel {
  float (*run)(int64_t iterations);
  int lanes;

  double flops(int64_t iterations) const { return 2.0 * kChains * lanes * iterations; }
};

// The width of ember's own kernels: the choice ops/detail/simd_dispatch.cpp
// made, read through simd_arch(), not detected a second time.
FmaKernel fma_kernel() {
  FmaKernel kernel{fma_chains_avx2, 8};
#ifdef EMBER_HAVE_AVX512
  if (simd_arch() == "avx512f") kernel = {fma_chains_avx512, 16};
#endif
  EMBER_ASSERT(kernel.lanes == simd_float_lanes());
  return kernel;
}

// Iterations that keep one core busy for about `seconds`.
int64_t calibrate(const FmaKernel& kernel, double seconds) {
  int64_t iterations = 4096;
  for (;;) {
    Clock::time_point start = Clock::now();
    volatile float sink = kernel.run(iterations);
    (void)sink;
    double elapsed = seconds_since(start);
    if (elapsed >= 0.005) {
      return std::max<int64_t>(1, static_cast<int64_t>(iterations * seconds / elapsed));
    }
    iterations *= 4;
  }
}

// ---- running on every thread at once ----

struct TeamRun {
  double seconds = 0.0;  // from the first part's start to the last part's end
  int threads = 0;       // distinct threads that ran a part
};

// Runs work(part, parts) for every part, one part per parallel_for task. Each
// task waits at a barrier until all parts have a thread, so the parts run at
// the same time; a part still alone after a second (threads busy elsewhere, or
// two parts given to one thread) goes ahead, and `threads` then says how many
// threads really took part.
template <typename Work>
TeamRun run_on_every_thread(int parts, const Work& work) {
  std::atomic<int> arrived{0};
  std::mutex mutex;
  std::vector<std::thread::id> ids;
  std::vector<Clock::time_point> starts(parts);
  std::vector<Clock::time_point> ends(parts);

  parallel_for(0, parts, 1, [&](int64_t first, int64_t last) {
    for (int64_t part = first; part < last; ++part) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ids.push_back(std::this_thread::get_id());
      }
      arrived.fetch_add(1);
      Clock::time_point deadline = Clock::now() + std::chrono::seconds(1);
      while (arrived.load() < parts && Clock::now() < deadline) _mm_pause();

      starts[part] = Clock::now();
      work(part, parts);
      ends[part] = Clock::now();
    }
  });

  std::sort(ids.begin(), ids.end());
  TeamRun run;
  run.threads = static_cast<int>(std::unique(ids.begin(), ids.end()) - ids.begin());
  run.seconds = std::chrono::duration<double>(*std::max_element(ends.begin(), ends.end()) -
                                              *std::min_element(starts.begin(), starts.end()))
                    .count();
  return run;
}

// ---- memory bandwidth ----

// Bytes of the highest cache level, summed over its distinct instances (one
// per core complex on AMD, per socket on Intel), from sysfs; 32 MiB when the
// files cannot be read.
int64_t last_level_cache_bytes() {
  int top_level = 0;
  std::map<std::string, int64_t> instances;  // shared_cpu_list -> bytes
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned cpu = 0; cpu < cpus; ++cpu) {
    for (int index = 0; index < 8; ++index) {
      std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cache/index" +
                        std::to_string(index) + "/";
      std::ifstream level_file(dir + "level"), size_file(dir + "size"),
          shared_file(dir + "shared_cpu_list"), type_file(dir + "type");
      int level = 0;
      int64_t size = 0;
      std::string unit, shared, type;
      if (!(level_file >> level) || !(size_file >> size) || !(shared_file >> shared)) break;
      size_file >> unit;  // "32768K": the unit follows the number
      type_file >> type;
      if (type == "Instruction" || level < top_level) continue;
      if (level > top_level) instances.clear();
      top_level = level;
      instances[shared] = size * (unit == "M" ? 1 << 20 : unit == "K" ? 1 << 10 : 1);
    }
  }
  int64_t total = 0;
  for (const auto& [cpus_sharing, bytes] : instances) total += bytes;
  return total > 0 ? total : int64_t{32} << 20;
}

int64_t stream_array_bytes(const MachineLimitsOptions& options) {
  if (options.stream_array_bytes > 0) return options.stream_array_bytes;
  int64_t physical = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  int64_t wanted = std::max<int64_t>(int64_t{64} << 20, 2 * last_level_cache_bytes());
  return physical > 0 ? std::min(wanted, physical / 16) : wanted;
}

struct AlignedFree {
  void operator()(float* p) const { ::operator delete[](p, std::align_val_t{64}); }
};
using FloatArray = std::unique_ptr<float[], AlignedFree>;

FloatArray allocate_floats(int64_t count) {
  void* memory = ::operator new[](static_cast<size_t>(count) * sizeof(float),
                                  std::align_val_t{64});
  return FloatArray(static_cast<float*>(memory));
}

// The triad's arrays, each split into one slice per thread (boundaries on
// 64-byte lines). Every slice is first written by the thread that streams it
// in the all-threads run, so on a NUMA machine its pages sit near that core.
class Triad {
 public:
  Triad(int64_t numel, int parts)
      : numel_(numel), a_(allocate_floats(numel)), b_(allocate_floats(numel)),
        c_(allocate_floats(numel)) {
    run_on_every_thread(parts, [&](int64_t part, int64_t count) {
      auto [begin, end] = slice(part, count);
      std::fill(a_.get() + begin, a_.get() + end, 0.0f);
      std::fill(b_.get() + begin, b_.get() + end, 1.0f);
      std::fill(c_.get() + begin, c_.get() + end, 2.0f);
    });
  }

  // a = b + s * c over part `part` of `parts`. Plain stores: the memory
  // system reads each line of `a` before writing it (write-allocate), so it
  // moves 16 bytes per element where bytes() counts 12.
  void run(int64_t part, int64_t parts) const {
    auto [begin, end] = slice(part, parts);
    float* __restrict a = a_.get();
    const float* __restrict b = b_.get();
    const float* __restrict c = c_.get();
    for (int64_t i = begin; i < end; ++i) a[i] = b[i] + 0.5f * c[i];
  }

  // b and c read, a written, once each.
  double bytes() const { return 3.0 * sizeof(float) * static_cast<double>(numel_); }

 private:
  std::pair<int64_t, int64_t> slice(int64_t part, int64_t parts) const {
    constexpr int64_t kLine = 16;  // floats in a 64-byte line
    int64_t lines = (numel_ + kLine - 1) / kLine;
    int64_t begin = std::min(numel_, lines * part / parts * kLine);
    int64_t end = std::min(numel_, lines * (part + 1) / parts * kLine);
    return {begin, end};
  }

  int64_t numel_;
  FloatArray a_, b_, c_;
};

// ---- the measurements, best of their repetitions ----

struct Rates {
  double one_core = 0.0;
  double all_cores = 0.0;
  int threads = 0;  // distinct threads in the slowest all-cores run
};

Rates measure_fma(const MachineLimitsOptions& options, int threads) {
  const FmaKernel kernel = fma_kernel();
  const int64_t iterations = calibrate(kernel, options.fma_seconds);
  Rates rates{0.0, 0.0, threads};
  for (int r = 0; r < options.repetitions; ++r) {
    Clock::time_point start = Clock::now();
    volatile float sink = kernel.run(iterations);
    (void)sink;
    rates.one_core = std::max(rates.one_core, kernel.flops(iterations) / seconds_since(start));

    TeamRun team = run_on_every_thread(threads, [&](int64_t, int64_t) {
      volatile float team_sink = kernel.run(iterations);
      (void)team_sink;
    });
    double flops = kernel.flops(iterations) * threads;
    rates.all_cores = std::max(rates.all_cores, flops / team.seconds);
    rates.threads = std::min(rates.threads, team.threads);
  }
  rates.one_core *= 1e-9;
  rates.all_cores *= 1e-9;
  return rates;
}

Rates measure_bandwidth(const MachineLimitsOptions& options, int threads) {
  const int64_t numel = stream_array_bytes(options) / static_cast<int64_t>(sizeof(float));
  Triad triad(numel, threads);
  triad.run(0, 1);  // warm-up: the first pass also settles the page tables
  Rates rates{0.0, 0.0, threads};
  for (int r = 0; r < options.stream_repetitions; ++r) {
    Clock::time_point start = Clock::now();
    triad.run(0, 1);
    rates.one_core = std::max(rates.one_core, triad.bytes() / seconds_since(start));

    TeamRun team = run_on_every_thread(
        threads, [&](int64_t part, int64_t parts) { triad.run(part, parts); });
    rates.all_cores = std::max(rates.all_cores, triad.bytes() / team.seconds);
    rates.threads = std::min(rates.threads, team.threads);
  }
  rates.one_core *= 1e-9;
  rates.all_cores *= 1e-9;
  return rates;
}

}  // namespace

MachineLimits measure_machine_limits(const MachineLimitsOptions& options) {
  EMBER_CHECK(!in_parallel_region(), "measure_machine_limits: called inside a parallel_for "
              "task, where ember's threads cannot all run at once; call it outside one");
  EMBER_CHECK(options.fma_seconds > 0 && options.repetitions >= 1 &&
                  options.stream_repetitions >= 1 && options.stream_array_bytes >= 0,
              "measure_machine_limits: expected fma_seconds > 0, repetitions >= 1, "
              "stream_repetitions >= 1 and stream_array_bytes >= 0; got ", options.fma_seconds,
              ", ", options.repetitions, ", ", options.stream_repetitions, " and ",
              options.stream_array_bytes);

  const int threads = get_num_threads();
  Rates flops = measure_fma(options, threads);
  Rates bandwidth = measure_bandwidth(options, threads);

  MachineLimits limits;
  limits.simd = simd_arch();
  limits.simd_width_floats = simd_float_lanes();
  limits.threads = std::min(flops.threads, bandwidth.threads);
  limits.peak_gflops_one_core = flops.one_core;
  limits.peak_gflops_all_cores = flops.all_cores;
  limits.bandwidth_gbs_one_core = bandwidth.one_core;
  limits.bandwidth_gbs_all_cores = bandwidth.all_cores;
  return limits;
}

const MachineLimits& machine_limits() {
  static const MachineLimits limits = measure_machine_limits();
  return limits;
}

}  // namespace ember
