// Under- and over-fitting, seen two ways on a small Fashion-MNIST training set
// (the first 1,000 training images; 5,000 test images validate):
//
// Capacity: MLPs 784-H-10 (ReLU) for hidden widths H from 1 to 1024, each
// trained the same way (Adam lr 1e-3, batch 64, 100 epochs). Narrow ones
// underfit (both losses high); wide ones drive the training loss towards 0
// while the validation loss turns up again.
//
// Epochs: one large MLP 784-512-256-10 trained for 80 epochs on the same
// images; the validation loss falls, bottoms out after a few epochs and then
// climbs while the training loss keeps falling.
//
// --quick: 300 images, widths 2, 32 and 512, 5 and 10 epochs.
// Writes capacity.csv, epochs.csv, capacity.png and epochs.png.
//
//   fitting_curves [--quick] [--out DIR] [--threads N] [--seed S]
//
// Exits with status 2 when the Fashion-MNIST files are missing, 1 on other errors.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "common/experiment.h"
#include "common/plot.h"
#include "data/tensor_dataset.h"
#include "ember.h"
#include "optim/optim.h"

namespace {

namespace data = ember::data;
namespace nn = ember::nn;
namespace optim = ember::optim;

struct Settings {
  int64_t train_count;
  std::vector<int64_t> widths;
  int64_t capacity_epochs;
  int64_t long_epochs;
};

Settings make_settings(bool quick) {
  if (quick) return {300, {2, 32, 512}, 5, 10};
  return {1000, {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}, 100, 80};
}

// Losses and accuracies after one epoch.
struct EpochResult {
  int64_t epoch;
  experiment::Evaluation train;
  experiment::Evaluation valid;
};

// Trains `model` with Adam (lr 1e-3) at batch 64 for `epochs`, measuring
// both sets after every epoch (the training set in evaluation mode, so both
// numbers mean the same thing).
std::vector<EpochResult> train(nn::Sequential& model, const experiment::FashionTensors& fashion,
                               int64_t epochs, uint64_t seed) {
  optim::Adam optimizer(model->parameters(), {.lr = 1e-3});
  data::DataLoader loader(data::TensorDataset(fashion.train_inputs, fashion.train_labels),
                          {.batch_size = 64, .shuffle = true, .seed = seed});
  std::vector<EpochResult> results;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    experiment::train_epoch(*model, optimizer, loader);
    results.push_back({epoch,
                       experiment::evaluate(*model, fashion.train_inputs, fashion.train_labels),
                       experiment::evaluate(*model, fashion.valid_inputs, fashion.valid_labels)});
  }
  return results;
}

void sweep_capacity(const Settings& settings, const experiment::FashionTensors& fashion,
                    const experiment::Flags& flags) {
  std::printf("\ncapacity: MLP 784-H-10, Adam lr 0.001, batch 64, %lld epochs on %lld images\n",
              static_cast<long long>(settings.capacity_epochs),
              static_cast<long long>(settings.train_count));
  std::printf("  %6s %10s %11s %11s %10s %10s %8s\n", "H", "params", "train loss", "valid loss",
              "train acc", "valid acc", "seconds");
  experiment::CsvTable csv(flags.out + "/capacity.csv",
                           {"hidden", "parameters", "epochs", "train_loss", "valid_loss",
                            "train_accuracy", "valid_accuracy", "seconds"});
  std::vector<double> widths, train_loss, valid_loss, train_accuracy, valid_accuracy;
  for (int64_t width : settings.widths) {
    ember::manual_seed(flags.seed);
    nn::Sequential model(nn::Linear(784, width), nn::ReLU(), nn::Linear(width, 10));
    const int64_t parameters = 784 * width + width + width * 10 + 10;
    auto start = std::chrono::steady_clock::now();
    const EpochResult last = train(model, fashion, settings.capacity_epochs, flags.seed).back();
    const double seconds = experiment::seconds_since(start);

    csv.row({std::to_string(width), std::to_string(parameters),
             std::to_string(settings.capacity_epochs), experiment::number(last.train.loss),
             experiment::number(last.valid.loss), experiment::number(last.train.accuracy),
             experiment::number(last.valid.accuracy), experiment::number(seconds)});
    std::printf("  %6lld %10lld %11.4f %11.4f %10.4f %10.4f %8.1f\n",
                static_cast<long long>(width), static_cast<long long>(parameters),
                last.train.loss, last.valid.loss, last.train.accuracy, last.valid.accuracy,
                seconds);
    std::fflush(stdout);
    widths.push_back(static_cast<double>(width));
    train_loss.push_back(last.train.loss);
    valid_loss.push_back(last.valid.loss);
    train_accuracy.push_back(last.train.accuracy);
    valid_accuracy.push_back(last.valid.accuracy);
  }

  const std::string trained = std::to_string(settings.capacity_epochs) + " epochs on " +
                              std::to_string(settings.train_count) + " images";
  plot::Figure loss{.title = "Loss against capacity (" + trained + ")",
                    .x_label = "hidden width H of MLP 784-H-10", .y_label = "cross-entropy",
                    .log_x = true, .log_y = true, .key = "top center"};
  // Fitted to the widths: gnuplot's own log range would run on to 10^4.
  loss.x_range = plot::Range{widths.front() * 0.8, widths.back() * 1.25};
  loss.add("training", widths, train_loss, plot::Style::LinesPoints)
      .add("validation", widths, valid_loss, plot::Style::LinesPoints);
  plot::Figure accuracy{.title = "Accuracy against capacity", .x_label = loss.x_label,
                        .y_label = "accuracy", .log_x = true, .key = "bottom right"};
  accuracy.x_range = loss.x_range;
  accuracy.add("training", widths, train_accuracy, plot::Style::LinesPoints)
      .add("validation", widths, valid_accuracy, plot::Style::LinesPoints);
  plot::draw([&] {
    plot::save_png(std::vector<plot::Figure>{loss, accuracy}, flags.out + "/capacity.png");
  });
}

void train_long(const Settings& settings, const experiment::FashionTensors& fashion,
                const experiment::Flags& flags) {
  std::printf("\nepochs: MLP 784-512-256-10, Adam lr 0.001, batch 64, %lld epochs on %lld "
              "images\n",
              static_cast<long long>(settings.long_epochs),
              static_cast<long long>(settings.train_count));
  ember::manual_seed(flags.seed);
  nn::Sequential model(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 256), nn::ReLU(),
                       nn::Linear(256, 10));
  auto start = std::chrono::steady_clock::now();
  std::vector<EpochResult> results = train(model, fashion, settings.long_epochs, flags.seed);
  const double seconds = experiment::seconds_since(start);

  experiment::CsvTable csv(flags.out + "/epochs.csv",
                           {"epoch", "train_loss", "valid_loss", "train_accuracy",
                            "valid_accuracy"});
  std::vector<double> epochs, train_loss, valid_loss, train_accuracy, valid_accuracy;
  for (const EpochResult& r : results) {
    csv.row({std::to_string(r.epoch), experiment::number(r.train.loss),
             experiment::number(r.valid.loss), experiment::number(r.train.accuracy),
             experiment::number(r.valid.accuracy)});
    epochs.push_back(static_cast<double>(r.epoch));
    train_loss.push_back(r.train.loss);
    valid_loss.push_back(r.valid.loss);
    train_accuracy.push_back(r.train.accuracy);
    valid_accuracy.push_back(r.valid.accuracy);
  }

  // The epoch an early stop on validation loss would have kept.
  const EpochResult& best = *std::min_element(
      results.begin(), results.end(),
      [](const EpochResult& a, const EpochResult& b) { return a.valid.loss < b.valid.loss; });
  const EpochResult& last = results.back();
  std::printf("  %6s %11s %11s %10s %10s\n", "epoch", "train loss", "valid loss", "train acc",
              "valid acc");
  for (const EpochResult* r : std::vector<const EpochResult*>{&results.front(), &best, &last}) {
    std::printf("  %6lld %11.4f %11.4f %10.4f %10.4f%s\n", static_cast<long long>(r->epoch),
                r->train.loss, r->valid.loss, r->train.accuracy, r->valid.accuracy,
                r == &best ? "  (lowest valid loss)" : "");
  }
  std::printf("  %.1f s\n", seconds);

  const std::string trained = std::to_string(settings.train_count) + " images";
  plot::Figure loss{.title = "Loss against epochs (MLP 784-512-256-10, " + trained + ")",
                    .x_label = "epoch", .y_label = "cross-entropy", .log_y = true,
                    .key = "bottom left"};
  loss.add("training", epochs, train_loss).add("validation", epochs, valid_loss);
  loss.add("lowest validation loss", {static_cast<double>(best.epoch)}, {best.valid.loss},
           plot::Style::Points, "#000000");
  plot::Figure accuracy{.title = "Accuracy against epochs", .x_label = "epoch",
                        .y_label = "accuracy", .key = "bottom right"};
  accuracy.add("training", epochs, train_accuracy).add("validation", epochs, valid_accuracy);
  plot::draw([&] {
    plot::save_png(std::vector<plot::Figure>{loss, accuracy}, flags.out + "/epochs.png");
  });
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Under- and over-fitting: training and validation curves"};
  experiment::Flags flags;
  experiment::add_flags(app, flags, "fitting_curves", true);
  CLI11_PARSE(app, argc, argv);

  try {
    experiment::apply(flags);
    const Settings settings = make_settings(flags.quick);
    std::optional<experiment::FashionTensors> fashion = experiment::load_fashion(
        flags.data_dir, settings.train_count, 5000, "fitting_curves");
    if (!fashion) return experiment::kNoDataStatus;
    std::printf("fitting_curves: %lld train / %lld valid Fashion-MNIST images, %d threads\n",
                static_cast<long long>(settings.train_count),
                static_cast<long long>(fashion->valid_inputs.size(0)),
                ember::get_num_threads());
    sweep_capacity(settings, *fashion, flags);
    train_long(settings, *fashion, flags);
    std::printf("\nwrote %s\n", flags.out.c_str());
    return 0;
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "fitting_curves: %s\n", error.what());
    return 1;
  }
}
