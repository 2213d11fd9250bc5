// Full-batch, mini-batch and stochastic (single-example) gradient descent on
// one problem at equal compute: each variant sees every training example the
// same number of times (the same epochs), so they differ only in how many
// steps that buys and how noisy each one is.
//
// The problem: softmax regression (a linear layer 784 -> 10 and
// cross-entropy, convex) on the first 5,000 Fashion-MNIST training images,
// validated on 5,000 test images; plain SGD from the same initial weights,
// each variant a DataLoader over the same data with batch_size n, 32 or 1,
// for 30 epochs (--quick: 1,000 images, 3 epochs). Each learning rate is the
// best of {0.001, 0.003, ..., 1} for that variant (lowest training loss at the
// end; see kRates). The loss over the whole training set is measured ten
// times per epoch, outside the timed part.
//
// Writes variants.csv and loss_vs_epochs.png, loss_vs_time.png.
//
//   gradient_descent_variants [--quick] [--epochs N] [--batch-size B] [--lr-grid] [--out DIR]
//
// Exits with status 2 when the Fashion-MNIST files are missing, 1 on other errors.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "common/experiment.h"
#include "common/number_flags.h"
#include "common/plot.h"
#include "data/tensor_dataset.h"
#include "ember.h"
#include "optim/optim.h"

namespace {

namespace data = ember::data;
namespace nn = ember::nn;
namespace optim = ember::optim;

struct Variant {
  std::string name;
  int64_t batch_size;
  double lr;
};

// One measurement: where the run is and the losses there.
struct Point {
  double epoch = 0.0;
  int64_t steps = 0;
  double seconds = 0.0;  // training only, evaluations left out
  experiment::Evaluation train;
  experiment::Evaluation valid;
};

struct Settings {
  int64_t epochs;
  int64_t measurements_per_epoch = 10;
};

// Trains `variant` from the seeded initial weights, measuring the full
// training and validation loss at the start and every 1/measurements_per_epoch
// of an epoch (full batch: after every step, which is a whole epoch).
std::vector<Point> run_variant(const Variant& variant, const experiment::FashionTensors& fashion,
                               const Settings& settings, uint64_t seed) {
  ember::manual_seed(seed);
  nn::Sequential model(nn::Linear(784, 10));
  optim::SGD optimizer(model->parameters(), {.lr = variant.lr});
  const int64_t n = fashion.train_inputs.size(0);
  data::DataLoader loader(data::TensorDataset(fashion.train_inputs, fashion.train_labels),
                          {.batch_size = variant.batch_size, .shuffle = true, .seed = seed});

  std::vector<Point> points;
  double seconds = 0.0;
  int64_t steps = 0;
  auto measure = [&](double epoch) {
    points.push_back({epoch, steps, seconds,
                      experiment::evaluate(*model, fashion.train_inputs, fashion.train_labels),
                      experiment::evaluate(*model, fashion.valid_inputs, fashion.valid_labels)});
  };
  measure(0.0);

  const int64_t interval = std::max<int64_t>(1, n / settings.measurements_per_epoch);
  for (int64_t epoch = 0; epoch < settings.epochs; ++epoch) {
    int64_t next = interval;
    auto start = std::chrono::steady_clock::now();
    experiment::train_epoch(*model, optimizer, loader, [&](int64_t seen) {
      ++steps;
      if (seen < next && seen < n) return;
      while (next <= seen) next += interval;

      // The clock stops while the losses are measured.
      seconds += experiment::seconds_since(start);
      measure(epoch + static_cast<double>(seen) / n);
      start = std::chrono::steady_clock::now();
    });
    seconds += experiment::seconds_since(start);
  }
  return points;
}

void draw(const std::vector<Variant>& variants, const std::vector<std::vector<Point>>& runs,
          const std::string& out, int64_t n) {
  const std::string problem = "softmax regression, " + std::to_string(n) + " images";
  plot::Figure by_epoch{.title = "Training loss against epochs (" + problem + ")",
                        .x_label = "epochs (examples processed / n)",
                        .y_label = "cross-entropy on the whole training set"};
  plot::Figure by_time{.title = "Training loss against wall time (" + problem + ")",
                       .x_label = "seconds of training", .y_label = by_epoch.y_label};
  by_epoch.log_y = true;
  by_time.log_y = true;
  by_time.log_x = true;
  for (size_t v = 0; v < variants.size(); ++v) {
    std::vector<double> epochs, seconds, losses;
    for (const Point& point : runs[v]) {
      epochs.push_back(point.epoch);
      seconds.push_back(point.seconds);
      losses.push_back(point.train.loss);
    }
    std::string label = variants[v].name + " (lr " + experiment::number(variants[v].lr) + ")";
    by_epoch.add(label, epochs, losses);
    // A log time axis cannot show t = 0: the curves start at the first measurement.
    by_time.add(label, std::vector<double>(seconds.begin() + 1, seconds.end()),
                std::vector<double>(losses.begin() + 1, losses.end()));
  }
  plot::draw([&] { plot::save_png(by_epoch, out + "/loss_vs_epochs.png"); });
  plot::draw([&] { plot::save_png(by_time, out + "/loss_vs_time.png"); });
}

// The learning rates: for each variant the best of kGrid by the training loss
// after 30 epochs on 5,000 images (--lr-grid prints the sweep).
std::vector<Variant> make_variants(int64_t n, int64_t mini_batch) {
  return {{"full batch (b = n)", n, 0.1},
          {"mini-batch (b = " + std::to_string(mini_batch) + ")", mini_batch, 0.03},
          {"stochastic (b = 1)", 1, 0.003}};
}

const std::vector<double> kGrid = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0};

// Every variant at every rate of kGrid: the training loss at the end.
void sweep_rates(const std::vector<Variant>& variants, const experiment::FashionTensors& fashion,
                 const Settings& settings, uint64_t seed) {
  std::printf("training loss after %lld epochs\n  %-22s", static_cast<long long>(settings.epochs),
              "variant \\ lr");
  for (double lr : kGrid) std::printf(" %8g", lr);
  std::printf("\n");
  for (Variant variant : variants) {
    std::printf("  %-22s", variant.name.c_str());
    for (double lr : kGrid) {
      variant.lr = lr;
      std::vector<Point> points = run_variant(variant, fashion, {settings.epochs, 1}, seed);
      std::printf(" %8.4f", points.back().train.loss);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
}

int run(const experiment::Flags& flags, Settings settings, int64_t mini_batch, bool lr_grid) {
  const int64_t n = flags.quick ? 1000 : 5000;
  std::optional<experiment::FashionTensors> fashion =
      experiment::load_fashion(flags.data_dir, n, 5000, "gradient_descent_variants");
  if (!fashion) return experiment::kNoDataStatus;
  const std::vector<Variant> variants = make_variants(n, mini_batch);
  if (lr_grid) {
    sweep_rates(variants, *fashion, settings, flags.seed);
    return 0;
  }

  std::printf("softmax regression on %lld Fashion-MNIST images (validation: %lld), "
              "%lld epochs each, %d threads\n",
              static_cast<long long>(n), static_cast<long long>(fashion->valid_inputs.size(0)),
              static_cast<long long>(settings.epochs), ember::get_num_threads());
  std::printf("  %-22s %7s %8s %9s %11s %11s %10s\n", "variant", "lr", "steps", "seconds",
              "train loss", "valid loss", "valid acc");

  experiment::CsvTable csv(flags.out + "/variants.csv",
                           {"variant", "batch_size", "lr", "epoch", "steps", "seconds",
                            "train_loss", "train_accuracy", "valid_loss", "valid_accuracy"});
  std::vector<std::vector<Point>> runs;
  for (const Variant& variant : variants) {
    std::vector<Point> points = run_variant(variant, *fashion, settings, flags.seed);
    for (const Point& p : points) {
      csv.row({variant.name, std::to_string(variant.batch_size), experiment::number(variant.lr),
               experiment::number(p.epoch), std::to_string(p.steps),
               experiment::number(p.seconds), experiment::number(p.train.loss),
               experiment::number(p.train.accuracy), experiment::number(p.valid.loss),
               experiment::number(p.valid.accuracy)});
    }
    const Point& last = points.back();
    std::printf("  %-22s %7g %8lld %9.2f %11.4f %11.4f %10.4f\n", variant.name.c_str(),
                variant.lr, static_cast<long long>(last.steps), last.seconds, last.train.loss,
                last.valid.loss, last.valid.accuracy);
    std::fflush(stdout);
    runs.push_back(std::move(points));
  }
  draw(variants, runs, flags.out, n);
  std::printf("wrote %s\n", flags.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Full-batch, mini-batch and stochastic gradient descent at equal compute"};
  experiment::Flags flags;
  experiment::add_flags(app, flags, "gradient_descent_variants", true);
  std::optional<int64_t> epochs;
  app.add_option("--epochs", epochs, "Epochs of every variant (default 30, --quick 3)")
      ->check(number_flags::kPositive);
  int64_t mini_batch = 32;
  app.add_option("--batch-size", mini_batch, "Batch size of the mini-batch variant")
      ->capture_default_str()
      ->check(number_flags::kPositive);
  bool lr_grid = false;
  app.add_flag("--lr-grid", lr_grid,
               "Only print each variant's final loss at every rate of a grid");
  CLI11_PARSE(app, argc, argv);

  try {
    experiment::apply(flags);
    Settings settings{.epochs = epochs.value_or(flags.quick ? 3 : 30)};
    return run(flags, settings, mini_batch, lr_grid);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "gradient_descent_variants: %s\n", error.what());
    return 1;
  }
}
