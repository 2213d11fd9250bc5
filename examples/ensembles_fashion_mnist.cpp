// Bagging and boosting (SAMME) of small MLPs on Fashion-MNIST, beside one
// model of the same kind trained the same way.
//
//   x: [B, 784] flattened, normalized with mean 0.2860, std 0.3530
//   linear 784->H ReLU                       -> [B, H]   (H = --hidden, 64)
//   linear H->10                             -> logits [B, 10]
//
// Every model trains with Adam (lr 1e-3) at batch 128 for --epochs epochs.
// Bagging: --members models, each on its own bootstrap sample of the
// training images, averaging their probabilities; scored out of bag too.
// Boosting: up to --members rounds of SAMME, each learner's loss weighted
// by the example weights. Train accuracy is on the training images in
// evaluation mode, test accuracy on the test files.
//
// Writes into --out: ensembles.csv (the table), ensembles_members.csv (test
// accuracy of the first m members or rounds) and ensembles_members.png.
// Exits with status 2 when the data files are missing.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/experiment.h"
#include "common/number_flags.h"
#include "common/plot.h"
#include "ember.h"
#include "train/bagging.h"
#include "train/boosting.h"
#include "train/fit.h"
#include "train/metrics.h"

namespace {

namespace nn = ember::nn;
namespace train = ember::train;
using ember::Tensor;

constexpr const char* kName = "ensembles_fashion_mnist";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Settings {
  int64_t train_size = 60000;
  int64_t test_size = 10000;
  int64_t members = 10;
  int64_t epochs = 3;
  int64_t hidden = 64;
  bool serial = false;
};

struct Row {
  std::string model;
  int64_t members = 1;
  double train_accuracy = kNaN;
  double test_accuracy = kNaN;
  double oob_accuracy = kNaN;
  double seconds = 0.0;
};

train::ModelFactory mlp(int64_t hidden) {
  return [hidden] {
    return nn::Sequential(nn::Linear(784, hidden), nn::ReLU(), nn::Linear(hidden, 10)).ptr();
  };
}

double accuracy_of(const Tensor& scores, const Tensor& labels) {
  return train::accuracy(scores, labels);
}

void print_row(const Row& row) {
  std::printf("%-10s %7lld %9.4f %9.4f %9.4f %8.1f\n", row.model.c_str(),
              static_cast<long long>(row.members), row.train_accuracy, row.test_accuracy,
              row.oob_accuracy, row.seconds);
  std::fflush(stdout);
}

int run(const experiment::Flags& flags, const Settings& settings) {
  experiment::apply(flags);
  std::optional<experiment::FashionTensors> data =
      experiment::load_fashion(flags.data_dir, settings.train_size, settings.test_size, kName);
  if (!data) return experiment::kNoDataStatus;
  const Tensor& x_train = data->train_inputs;
  const Tensor& y_train = data->train_labels;
  const Tensor& x_test = data->valid_inputs;
  const Tensor& y_test = data->valid_labels;
  std::printf("%s: %lld train / %lld test images, MLP 784-%lld-10, %lld epochs each, "
              "%lld members, %d threads (bagging %s)\n\n",
              kName, static_cast<long long>(x_train.size(0)),
              static_cast<long long>(x_test.size(0)), static_cast<long long>(settings.hidden),
              static_cast<long long>(settings.epochs), static_cast<long long>(settings.members),
              ember::get_num_threads(), settings.serial ? "one member at a time" : "concurrent");
  std::printf("%-10s %7s %9s %9s %9s %8s\n", "model", "members", "train_acc", "test_acc",
              "oob_acc", "seconds");

  const train::ModelFactory make_model = mlp(settings.hidden);
  const train::FitOptions fit{.epochs = settings.epochs, .batch_size = 128, .seed = flags.seed};
  std::vector<Row> rows;

  // One model.
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<nn::Module> single = make_model();
  train::fit(*single, {.inputs = x_train, .targets = y_train}, fit);
  rows.push_back({.model = "single",
                  .train_accuracy = accuracy_of(train::predict(*single, x_train), y_train),
                  .test_accuracy = accuracy_of(train::predict(*single, x_test), y_test),
                  .seconds = experiment::seconds_since(start)});
  print_row(rows.back());

  // Bagging.
  start = std::chrono::steady_clock::now();
  train::Bagging bagging(make_model, {.members = settings.members, .seed = flags.seed,
                                      .parallel = !settings.serial, .fit = fit});
  bagging.fit(x_train, y_train);
  rows.push_back({.model = "bagging", .members = bagging.size(),
                  .train_accuracy = accuracy_of(bagging.predict(x_train), y_train),
                  .test_accuracy = accuracy_of(bagging.predict(x_test), y_test),
                  .oob_accuracy = bagging.oob_score(),
                  .seconds = experiment::seconds_since(start)});
  print_row(rows.back());

  // Boosting.
  start = std::chrono::steady_clock::now();
  train::Boosting boosting(make_model, {.rounds = settings.members, .num_classes = 10,
                                        .seed = flags.seed, .fit = fit});
  boosting.fit(x_train, y_train);
  rows.push_back({.model = "boosting", .members = boosting.size(),
                  .train_accuracy = accuracy_of(boosting.decision_function(x_train), y_train),
                  .test_accuracy = accuracy_of(boosting.decision_function(x_test), y_test),
                  .seconds = experiment::seconds_since(start)});
  print_row(rows.back());

  std::printf("\nboosting: learner weights");
  for (double alpha : boosting.learner_weights()) std::printf(" %.2f", alpha);
  std::printf("\n          weighted errors");
  for (double error : boosting.errors()) std::printf(" %.3f", error);
  std::printf("\n");

  experiment::CsvTable table(flags.out + "/ensembles.csv",
                             {"model", "members", "train_acc", "test_acc", "oob_acc", "seconds"});
  for (const Row& row : rows) {
    table.row({row.model, std::to_string(row.members), experiment::number(row.train_accuracy),
               experiment::number(row.test_accuracy), experiment::number(row.oob_accuracy),
               experiment::number(row.seconds)});
  }

  // Test accuracy of the first m members (bagging) and rounds (boosting).
  experiment::CsvTable staged(flags.out + "/ensembles_members.csv",
                              {"members", "single_test_acc", "bagging_test_acc",
                               "boosting_test_acc"});
  std::vector<double> counts, single_line, bagging_line, boosting_line;
  for (int64_t m = 1; m <= settings.members; ++m) {
    double bagged = accuracy_of(bagging.predict(x_test, m), y_test);
    double boosted =
        m <= boosting.size() ? accuracy_of(boosting.decision_function(x_test, m), y_test) : kNaN;
    staged.row({std::to_string(m), experiment::number(rows[0].test_accuracy),
                experiment::number(bagged), experiment::number(boosted)});
    counts.push_back(static_cast<double>(m));
    single_line.push_back(rows[0].test_accuracy);
    bagging_line.push_back(bagged);
    boosting_line.push_back(boosted);
  }

  plot::Figure figure{.title = "Fashion-MNIST: ensembles of MLPs",
                      .x_label = "members (bagging) or rounds (boosting)",
                      .y_label = "test accuracy", .key = "outside right"};
  figure.add("single model", counts, single_line, plot::Style::Lines);
  figure.add("bagging", counts, bagging_line, plot::Style::LinesPoints);
  figure.add("boosting (SAMME)", counts, boosting_line, plot::Style::LinesPoints);
  std::string png = flags.out + "/ensembles_members.png";
  bool drawn = plot::draw([&] { plot::save_png(figure, png, {.width = 900, .height = 520}); });
  std::printf("\nwrote %s, %s%s%s\n", table.path().c_str(), staged.path().c_str(),
              drawn ? ", " : "", drawn ? png.c_str() : "");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Bagging and boosting of small MLPs against one MLP on Fashion-MNIST"};
  experiment::Flags flags;
  experiment::add_flags(app, flags, "ensembles_fashion_mnist", true);
  Settings settings;
  app.add_option("--members", settings.members, "Bagging members and boosting rounds")
      ->capture_default_str()->check(number_flags::kPositive);
  app.add_option("--epochs", settings.epochs, "Epochs each model trains")
      ->capture_default_str()->check(number_flags::kPositive);
  app.add_option("--hidden", settings.hidden, "Hidden units of each MLP")
      ->capture_default_str()->check(number_flags::kPositive);
  app.add_option("--train-size", settings.train_size, "Training images (the first N)")
      ->capture_default_str()->check(number_flags::kPositive);
  app.add_flag("--serial", settings.serial,
               "Train bagging's members one after another, each with every thread");
  CLI11_PARSE(app, argc, argv);
  // --quick: smaller defaults; sizes given on the command line stay.
  if (flags.quick) {
    settings.test_size = 2000;
    if (app.count("--train-size") == 0) settings.train_size = 5000;
    if (app.count("--members") == 0) settings.members = 4;
    if (app.count("--epochs") == 0) settings.epochs = 2;
  }

  try {
    return run(flags, settings);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "%s: %s\n", kName, error.what());
    return 1;
  }
}
