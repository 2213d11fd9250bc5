#pragma once

// What the optimization experiments (optimizers_2d, gradient_descent_variants,
// fitting_curves) share: their common flags, a Fashion-MNIST subset held in
// tensors, a training pass and an evaluation, a CSV table with text columns,
// and drawing (plot::draw) that degrades to a message when gnuplot is missing.

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/data_loader.h"
#include "framework/tensor.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "train/evaluate.h"

namespace experiment {

// Exit status when the Fashion-MNIST files are missing: CTest's
// SKIP_RETURN_CODE for the smoke tests.
constexpr int kNoDataStatus = 2;

struct Flags {
  bool quick = false;
  std::string out;
  int threads = 0;
  uint64_t seed = 0;
  std::string data_dir;
};

// Adds --quick, --out (default experiments-out/NAME), --threads, --seed and,
// with `data`, --data (default Debian's dataset-fashion-mnist directory).
void add_flags(CLI::App& app, Flags& flags, const std::string& name, bool data);

// Applies --threads and --seed (ember's default generator) and creates --out.
// Throws ember::Error when the directory cannot be created.
void apply(const Flags& flags);

// Fashion-MNIST images flattened and normalized (mean 0.2860, std 0.3530):
// inputs float32 [N, 784], labels int64 [N].
struct FashionTensors {
  ember::Tensor train_inputs;
  ember::Tensor train_labels;
  ember::Tensor valid_inputs;
  ember::Tensor valid_labels;
};

// The first train_count images of the training files and, for validation, the
// first valid_count of the test files (both files are in random class order).
// nullopt, after saying why on stderr (headed by `program`), when the files
// cannot be read.
std::optional<FashionTensors> load_fashion(const std::string& dir, int64_t train_count,
                                           int64_t valid_count, const std::string& program);

using Evaluation = ember::train::Evaluation;

// Mean cross-entropy and accuracy of `model` (logits [N, C]) on inputs
// [N, ...] with labels [N], in evaluation mode and without grad, in batches
// (train::predict); the tensor twin of train::evaluate over a loader.
Evaluation evaluate(ember::nn::Module& model, const ember::Tensor& inputs,
                    const ember::Tensor& labels);

// One pass over `loader` minimizing cross-entropy; returns the mean training
// loss, each batch weighted by its size. `after_step`, when given, runs after
// every step with the number of examples seen so far in this pass.
double train_epoch(ember::nn::Module& model, ember::optim::Optimizer& optimizer,
                   ember::data::DataLoader& loader,
                   const std::function<void(int64_t seen)>& after_step = nullptr);

// A CSV file with a fixed header; cells are text, numbers go through number().
// Throws ember::Error naming the file when it cannot be written or when a row
// has another width than the header.
class CsvTable {
 public:
  CsvTable(std::string path, std::vector<std::string> header);
  void row(const std::vector<std::string>& cells);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  size_t columns_;
  std::ofstream out_;
};

// A number as CSV and tables print it: the shortest text that reads back the
// same double ("0.1", "1e-05", "nan").
std::string number(double value);

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace experiment
