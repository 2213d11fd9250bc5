#include "common/experiment.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <utility>

#include "common/number_flags.h"
#include "common/plot.h"
#include "data/mnist.h"
#include "ember.h"
#include "train/fit.h"
#include "train/metrics.h"

namespace experiment {

namespace {

constexpr double kMean = 0.2860;  // of the Fashion-MNIST training pixels in [0, 1]
constexpr double kStd = 0.3530;
constexpr int64_t kPixels = 28 * 28;

// The first `count` images of `dataset` as [count, 784] normalized, and their labels.
std::pair<ember::Tensor, ember::Tensor> first_images(const ember::data::MNIST& dataset,
                                                     int64_t count) {
  count = std::min(count, dataset.size());
  std::vector<float> pixels(static_cast<size_t>(count * kPixels));
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    ember::data::Example example = dataset.get(i);
    std::vector<float> image = example.input.to_vector<float>();
    std::transform(image.begin(), image.end(), pixels.begin() + i * kPixels,
                   [](float p) { return static_cast<float>((p - kMean) / kStd); });
    labels[i] = example.target.item<int64_t>();
  }
  return {ember::tensor(pixels, {count, kPixels}), ember::tensor(labels, {count})};
}

}  // namespace

void add_flags(CLI::App& app, Flags& flags, const std::string& name, bool data) {
  flags.out = "experiments-out/" + name;
  flags.data_dir = ember::data::FashionMNIST::kDefaultRoot;
  app.add_flag("--quick", flags.quick, "A short run (under a minute), for smoke tests");
  app.add_option("--out", flags.out, "Directory for the CSV files and PNGs")
      ->capture_default_str();
  app.add_option("--threads", flags.threads, "Threads (0: EMBER_NUM_THREADS or every core)")
      ->capture_default_str()
      ->check(number_flags::kNonNegative);
  app.add_option("--seed", flags.seed, "Seed of initialization and data order")
      ->capture_default_str();
  if (data) {
    app.add_option("--data", flags.data_dir, "Directory with the Fashion-MNIST IDX files")
        ->capture_default_str();
  }
}

void apply(const Flags& flags) {
  if (flags.threads > 0) ember::set_num_threads(flags.threads);
  ember::manual_seed(flags.seed);
  plot::create_directories(flags.out);
}

std::optional<FashionTensors> load_fashion(const std::string& dir, int64_t train_count,
                                           int64_t valid_count, const std::string& program) {
  try {
    ember::data::FashionMNIST train(dir, ember::data::Split::Train);
    ember::data::FashionMNIST test(dir, ember::data::Split::Test);
    auto [train_inputs, train_labels] = first_images(train, train_count);
    auto [valid_inputs, valid_labels] = first_images(test, valid_count);
    return FashionTensors{train_inputs, train_labels, valid_inputs, valid_labels};
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "%s: %s\n%s: --data DIR reads them from another directory\n",
                 program.c_str(), error.what(), program.c_str());
    return std::nullopt;
  }
}

Evaluation evaluate(ember::nn::Module& model, const ember::Tensor& inputs,
                    const ember::Tensor& labels) {
  ember::Tensor logits = ember::train::predict(model, inputs);
  return {ember::cross_entropy(logits, labels).item(), ember::train::accuracy(logits, labels),
          inputs.size(0)};
}

double train_epoch(ember::nn::Module& model, ember::optim::Optimizer& optimizer,
                   ember::data::DataLoader& loader,
                   const std::function<void(int64_t seen)>& after_step) {
  model.train();
  double loss_sum = 0.0;
  int64_t seen = 0;
  for (ember::data::Batch& batch : loader) {
    optimizer.zero_grad();
    ember::Tensor loss = ember::cross_entropy(model.forward(batch.input), batch.target);
    loss.backward();
    optimizer.step();

    loss_sum += loss.item() * batch.size();
    seen += batch.size();
    if (after_step) after_step(seen);
  }
  return loss_sum / seen;
}

CsvTable::CsvTable(std::string path, std::vector<std::string> header)
    : path_(std::move(path)), columns_(header.size()), out_(path_, std::ios::trunc) {
  EMBER_CHECK(out_.is_open(), "cannot write ", path_);
  row(header);
}

void CsvTable::row(const std::vector<std::string>& cells) {
  EMBER_CHECK(cells.size() == columns_, path_, ": a row of ", cells.size(),
              " cells for a header of ", columns_);
  for (size_t i = 0; i < cells.size(); ++i) out_ << (i == 0 ? "" : ",") << cells[i];
  out_ << '\n';
  out_.flush();
  EMBER_CHECK(out_.good(), "cannot write ", path_);
}

std::string number(double value) {
  char text[32];
  auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return error == std::errc() ? std::string(text, end) : "nan";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace experiment
