// Profiles training steps of the Fashion-MNIST CNN (common/fashion_models.h):
// prints where a step's time goes, op by op, with the rates reached against
// this machine's limits, writes a Chrome trace to open in Perfetto
// (ui.perfetto.dev) or chrome://tracing, and measures what the profiler
// itself costs, on and off.
//
//   profile_cnn [--steps 20] [--batch-size 64] [--threads N] [--trace FILE]
//
// Exits with status 2 when the Fashion-MNIST files are missing (Debian's
// dataset-fashion-mnist package, or --data DIR), 1 on other errors.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "common/fashion_models.h"
#include "common/number_flags.h"
#include "ember.h"
#include "framework/machine_limits.h"

namespace {

namespace data = ember::data;
namespace profiler = ember::profiler;

constexpr double kMean = 0.2860;
constexpr double kStd = 0.3530;
constexpr int kNoDataStatus = 2;

struct Flags {
  std::string data_dir = data::FashionMNIST::kDefaultRoot;
  int64_t steps = 20;
  int64_t batch_size = 64;
  int threads = 0;
  std::string trace = "profile_cnn.trace.json";
  std::string sort = "total";
  bool shapes = false;
  uint64_t seed = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The training loop of the example, `steps` batches of it. Each step is a
// named range, so the trace shows the backward and the optimizer under it.
void train_steps(ember::nn::Sequential& model, ember::optim::Optimizer& optimizer,
                 data::DataLoader& loader, int64_t steps) {
  int64_t done = 0;
  while (done < steps) {
    for (data::Batch& batch : loader) {
      profiler::Range step("train_step");
      optimizer.zero_grad();
      ember::Tensor loss = ember::cross_entropy(model(batch.input), batch.target);
      loss.backward();
      optimizer.step();
      if (++done == steps) break;
    }
  }
}

// Nanoseconds one op's profiler scope costs while no profile records: the
// same macro the ops use, on a tensor argument, many times.
double disabled_scope_ns() {
  ember::Tensor input = ember::zeros({64, 1, 28, 28});
  constexpr int kScopes = 20'000'000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kScopes; ++i) {
    EMBER_PROFILE_OP("disabled", input);
    profiler::add_bytes(1.0);
  }
  return seconds_since(start) * 1e9 / kScopes;
}

// GFLOP/s of ember's matmul (OpenBLAS's sgemm) on a large square product,
// the rate the step model below allows every GEMM.
double gemm_gflops() {
  constexpr int64_t kSize = 512;
  ember::Tensor a = ember::randn({kSize, kSize});
  ember::Tensor b = ember::randn({kSize, kSize});
  ember::matmul(a, b);  // warm up
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    ember::matmul(a, b);
    best = std::max(best, 2.0 * kSize * kSize * kSize / seconds_since(start) / 1e9);
  }
  return best;
}

// What the step would take if every counted FLOP ran at the GEMM rate and
// every counted byte moved at the memory bandwidth, against what it takes.
void print_step_model(const std::vector<profiler::OpStats>& rows, int64_t steps,
                      double step_ms, double bandwidth) {
  double flops = 0;
  double bytes = 0;
  int64_t loader_ns = 0;
  for (const profiler::OpStats& row : rows) {
    flops += row.flops;
    bytes += row.bytes;
    if (row.name == "DataLoader.next") loader_ns += row.total_ns;
  }
  const double per_step = 1.0 / static_cast<double>(steps);
  const double rate = gemm_gflops();
  const double gemm_ms = flops * per_step / rate / 1e6;
  const double memory_ms = bytes * per_step / bandwidth / 1e6;
  std::printf("step model: %.2f GFLOP at %.1f GFLOP/s (matmul 512^3) = %.2f ms, "
              "%.1f MB at %.1f GB/s = %.2f ms; the step takes %.2fx the model's %.2f ms\n",
              flops * per_step / 1e9, rate, gemm_ms, bytes * per_step / 1e6, bandwidth,
              memory_ms, step_ms / (gemm_ms + memory_ms), gemm_ms + memory_ms);
  std::printf("loader: the loop waits %.3f ms per step for its batch, %.2f%% of the step\n",
              static_cast<double>(loader_ns) * per_step / 1e6,
              100.0 * static_cast<double>(loader_ns) * per_step / 1e6 / step_ms);
}

int run(const Flags& flags) {
  if (flags.threads > 0) ember::set_num_threads(flags.threads);
  ember::manual_seed(flags.seed);

  std::shared_ptr<data::FashionMNIST> images;
  try {
    images = std::make_shared<data::FashionMNIST>(flags.data_dir, data::Split::Train);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "profile_cnn: %s\nprofile_cnn: --data DIR reads them from another "
                 "directory\n", error.what());
    return kNoDataStatus;
  }
  // Whole batches only (drop_last), so a batch must fit in the data set.
  EMBER_CHECK(flags.batch_size <= images->size(), "--batch-size ", flags.batch_size,
              " exceeds the ", images->size(), " training images");
  auto normalized = std::make_shared<data::TransformDataset>(
      images, std::make_shared<data::Normalize>(std::vector<double>{kMean},
                                                std::vector<double>{kStd}));
  data::DataLoader loader(normalized, {.batch_size = flags.batch_size, .shuffle = true,
                                       .drop_last = true, .seed = flags.seed});

  ember::nn::Sequential model = fashion_models::fashion_cnn();
  ember::optim::Adam adam(model->parameters(), {.lr = 1e-3});
  const ember::MachineLimits& limits = ember::machine_limits();
  const bool one_thread = ember::get_num_threads() == 1;
  const double peak_gflops =
      one_thread ? limits.peak_gflops_one_core : limits.peak_gflops_all_cores;
  const double bandwidth =
      one_thread ? limits.bandwidth_gbs_one_core : limits.bandwidth_gbs_all_cores;
  std::printf("profile_cnn: %lld steps at batch %lld on %d threads; this machine: %.1f "
              "GFLOP/s float32 FMA peak, %.1f GB/s memory bandwidth (%s kernels)\n",
              static_cast<long long>(flags.steps), static_cast<long long>(flags.batch_size),
              ember::get_num_threads(), peak_gflops, bandwidth, limits.simd.c_str());

  // Warm up (first-touch page faults, workspaces), then time the steps with
  // the profiler off, then the same number with it on.
  train_steps(model, adam, loader, 3);
  auto start = std::chrono::steady_clock::now();
  train_steps(model, adam, loader, flags.steps);
  const double off_ms = seconds_since(start) * 1e3 / static_cast<double>(flags.steps);

  profiler::Profile profile({.record_shapes = flags.shapes});
  start = std::chrono::steady_clock::now();
  train_steps(model, adam, loader, flags.steps);
  const double on_ms = seconds_since(start) * 1e3 / static_cast<double>(flags.steps);
  profile.stop();

  profiler::TableOptions table;
  table.sort = flags.sort == "self" ? profiler::SortBy::Self : profiler::SortBy::Total;
  table.group_by_shapes = flags.shapes;
  table.peak_gflops = peak_gflops;
  table.peak_gbytes_per_s = bandwidth;
  std::printf("\n%s\n", profile.table(table).c_str());

  // The scopes a step opens, each costing disabled_ns while nothing records.
  const double scopes_per_step =
      static_cast<double>(profile.events().size()) / static_cast<double>(flags.steps);
  const double disabled_ns = disabled_scope_ns();
  std::printf("step: %.2f ms with the profiler off, %.2f ms while it records (%+.1f%%)\n",
              off_ms, on_ms, 100.0 * (on_ms - off_ms) / off_ms);
  std::printf("off: %.0f scopes per step at %.2f ns each = %.4f%% of a step\n",
              scopes_per_step, disabled_ns,
              100.0 * scopes_per_step * disabled_ns / (off_ms * 1e6));

  print_step_model(profile.summary(), flags.steps, off_ms, bandwidth);

  profile.export_chrome_trace(flags.trace);
  std::printf("trace: %s (%zu events; open it in ui.perfetto.dev or chrome://tracing)\n",
              flags.trace.c_str(), profile.events().size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Profiles training steps of the Fashion-MNIST CNN"};
  Flags flags;
  app.add_option("--data", flags.data_dir, "Fashion-MNIST directory")->capture_default_str();
  app.add_option("--steps", flags.steps, "training steps to profile")
      ->check(number_flags::kPositive)->capture_default_str();
  app.add_option("--batch-size", flags.batch_size, "images per step")
      ->check(number_flags::kPositive)->capture_default_str();
  app.add_option("--threads", flags.threads, "threads (default: every core)")
      ->check(number_flags::kNonNegative);
  app.add_option("--trace", flags.trace, "Chrome trace file to write")->capture_default_str();
  app.add_option("--sort", flags.sort, "table order")
      ->check(CLI::IsMember({"total", "self"}))->capture_default_str();
  app.add_flag("--shapes", flags.shapes, "one row per op and input shapes");
  app.add_option("--seed", flags.seed, "initialization and shuffling seed")
      ->capture_default_str()->check(number_flags::whole_number(UINT64_MAX));
  CLI11_PARSE(app, argc, argv);

  try {
    return run(flags);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "profile_cnn: %s\n", error.what());
    return 1;
  }
}
