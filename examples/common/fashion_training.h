#pragma once

// The training job the Fashion-MNIST examples share: flags, the data split,
// the optimizer, the loop with validation, early stopping, checkpoints and a
// CSV log, and the test with a confusion matrix. Each example supplies only
// its model (and any flags of its own):
//
//   CLI::App app{"Trains ... on Fashion-MNIST with ember"};
//   fashion_training::Flags flags = fashion_training::default_flags("my_example");
//   fashion_training::add_flags(app, flags);
//   CLI11_PARSE(app, argc, argv);
//   return fashion_training::run({.name = "my_example", .make_model = make_model}, flags);

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "nn/sequential.h"

namespace fashion_training {

// Exit status when the data files are missing: CTest's SKIP_RETURN_CODE for
// the smoke tests.
constexpr int kNoDataStatus = 2;

struct Flags {
  std::string data_dir;
  int64_t epochs = 1;
  int64_t batch_size = 64;
  std::string optimizer = "adam";
  std::optional<double> lr;
  std::optional<double> weight_decay;
  std::string lr_schedule = "constant";  // or "cosine": down to 0 over the run's batches
  int threads = 0;
  uint64_t seed = 0;
  bool augment = false;
  double mixup = 0.0;
  double cutmix = 0.0;
  double label_smoothing = 0.0;
  int64_t patience = 5;
  std::string checkpoint;
  bool resume = false;
  int64_t limit = 0;
  std::string csv;
};

// The defaults: Debian's dataset-fashion-mnist directory, Adam at batch 64
// for one epoch, checkpoint PROGRAM.safetensors and log PROGRAM.csv.
Flags default_flags(const std::string& program);

// Adds every flag of Flags to `app` (`--help` describes them); a repeated
// flag takes its last value, so wrappers such as run.sh can set defaults.
// Flags added to `app` afterwards get the same policy.
void add_flags(CLI::App& app, Flags& flags);

// What tells one example from another.
struct Program {
  // Heads the messages ("fashion_mnist: ...").
  std::string name;
  // A fresh model: input [B, 1, 28, 28] normalized, output logits [B, 10].
  std::function<ember::nn::Sequential()> make_model = nullptr;
  // Appended to the printed configuration line, e.g. ", dropout 0.2".
  std::string settings = "";
  // Flags of the example's own that a resumed run must share with the saved
  // one, by name (without "--") and value.
  std::map<std::string, std::string> identity = {};
};

// Trains program.make_model() on the 55,000 / 5,000 train / valid split of
// the training files, printing one line per epoch, then tests the best
// epoch's weights on the test files and prints the confusion matrix.
// Returns the exit status: 0, kNoDataStatus when the data files cannot be
// read (after saying why and which flag reads another directory), 1 after
// printing any other ember::Error.
int run(const Program& program, const Flags& flags);

}  // namespace fashion_training
