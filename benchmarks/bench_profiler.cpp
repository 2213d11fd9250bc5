// The cost of the profiler's op scope (EMBER_PROFILE_OP), in ns per scope, on
// a function that does nothing else (kept out of line, as an op is):
//   profiler/empty_call        the function without the scope: the baseline
//   profiler/scope_off         with the scope, no profile recording: every op
//                              pays this (one relaxed atomic load and a branch,
//                              plus the inactive Range's construction)
//   profiler/scope_on          a profile recording, input shapes recorded
//   profiler/scope_on_no_shapes  a profile recording without shapes
// scope_off minus empty_call is the price of instrumenting an op.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench_common.h"
#include "framework/profiler.h"
#include "framework/tensor.h"

namespace {

using ember::Tensor;
namespace profiler = ember::profiler;

// A recording profile keeps every event in memory; it is restarted (untimed)
// every this many scopes, so memory stays bounded however long the run.
constexpr int64_t kEventsPerProfile = 1 << 16;

[[gnu::noinline]] void empty_call(const Tensor& input) {
  benchmark::DoNotOptimize(input.unsafe_impl());
}

[[gnu::noinline]] void instrumented_call(const Tensor& input) {
  EMBER_PROFILE_OP("bench_op", input);
  benchmark::DoNotOptimize(input.unsafe_impl());
}

void baseline(benchmark::State& state) {
  Tensor input = ember::zeros({64, 3, 32, 32});
  for (auto _ : state) empty_call(input);
}

void scope_off(benchmark::State& state) {
  Tensor input = ember::zeros({64, 3, 32, 32});
  for (auto _ : state) instrumented_call(input);
}

void recorded_scope(benchmark::State& state, bool record_shapes) {
  Tensor input = ember::zeros({64, 3, 32, 32});
  profiler::ProfileOptions options{.record_shapes = record_shapes};
  auto profile = std::make_unique<profiler::Profile>(options);
  int64_t recorded = 0;
  for (auto _ : state) {
    instrumented_call(input);
    if (++recorded == kEventsPerProfile) {
      state.PauseTiming();
      profile.reset();
      profile = std::make_unique<profiler::Profile>(options);
      recorded = 0;
      state.ResumeTiming();
    }
  }
}

void scope_on(benchmark::State& state) { recorded_scope(state, true); }
void scope_on_no_shapes(benchmark::State& state) { recorded_scope(state, false); }

void register_all() {
  for (ember::bench::Variant v : {ember::bench::Variant{"profiler/empty_call", baseline},
                                  {"profiler/scope_off", scope_off},
                                  {"profiler/scope_on", scope_on},
                                  {"profiler/scope_on_no_shapes", scope_on_no_shapes}}) {
    ember::bench::configure(benchmark::RegisterBenchmark(v.name, v.function));
  }
}

const bool registered = (register_all(), true);

}  // namespace
