#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "framework/tensor.h"
#include "nn/module.h"
#include "optim/optimizer.h"

// Training a model on examples held in tensors: the loop that Bagging,
// Boosting and cross_validate share, usable on its own.
//
//   train::ModelFactory make_model = [] {
//     return nn::Sequential(nn::Linear(4, 16), nn::ReLU(), nn::Linear(16, 3)).ptr();
//   };
//   std::shared_ptr<nn::Module> model = make_model();
//   train::fit(*model, {.inputs = x, .targets = labels}, {.epochs = 20, .batch_size = 32});
//   Tensor probabilities = train::predict_proba(*model, x_test);  // [N, 3]
//
// A model is any nn::Module whose forward(const Tensor&) maps a batch of
// inputs [B, ...] to outputs [B, ...]: logits [B, C] for classification.
// Every layer and Sequential qualifies; a module whose forward takes other
// arguments can be wrapped in a small Module that overrides forward(const
// Tensor&).
namespace ember::train {

// A fresh, untrained model, e.g. `[] { return nn::Sequential(...).ptr(); }`
// (holders also convert: `std::shared_ptr<nn::Module>(nn::Linear(4, 3))`).
using ModelFactory = std::function<std::shared_ptr<nn::Module>()>;

// An optimizer over `parameters`, e.g.
//   [](std::vector<Tensor> p) {
//     return std::make_unique<optim::SGD>(p, optim::SGDOptions{.lr = 0.1});
//   }
using OptimizerFactory =
    std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor> parameters)>;

// One loss per example: outputs [B, ...], targets [B, ...] -> [B].
using LossFunction = std::function<Tensor(const Tensor& outputs, const Tensor& targets)>;

// cross_entropy without reduction: logits [B, C], int64 labels [B] -> [B].
Tensor cross_entropy_per_example(const Tensor& outputs, const Tensor& targets);
// Squared error summed over each example's elements: outputs and targets
// [B, ...] of one shape and floating dtype -> [B] (mse_loss for [B] or [B, 1]
// outputs). Throws ember::Error when the shapes differ.
Tensor squared_error_per_example(const Tensor& outputs, const Tensor& targets);

// The examples a fit trains on.
struct TrainingSet {
  Tensor inputs;   // [N, ...] floating
  Tensor targets;  // [N, ...]: int64 class labels [N] for cross-entropy
  // Rows of inputs and targets to train on, each in [0, N); a row listed k
  // times counts k times (a bootstrap sample). Empty: every row once.
  std::vector<int64_t> indices = {};
  // Per-row weights [N] (floating, finite, >= 0), looked up by row. Empty:
  // every row weighs 1.
  Tensor weights = {};

  // The number of rows a pass trains on: indices.size(), or N.
  int64_t size() const;
};

struct FitOptions {
  int64_t epochs = 1;
  int64_t batch_size = 64;
  // Visits the rows in a new random order each epoch; off: in the listed order.
  bool shuffle = true;
  // Seeds the order: epoch e uses the e-th permutation drawn from Generator(seed).
  uint64_t seed = 0;
  // Default: Adam with PyTorch's defaults (lr 1e-3).
  OptimizerFactory optimizer = nullptr;
  // Default: cross_entropy_per_example.
  LossFunction loss = nullptr;
};

// The mean training loss of each epoch, weighted as the batches were.
struct FitHistory {
  std::vector<double> epoch_losses;
};

// Trains `model` in training mode for options.epochs passes over data.
// Each step takes batch_size rows (the last batch of an epoch may be
// smaller), computes the per-example losses and minimizes their mean. With
// weights, example j of a batch contributes w_j * R / W times its loss, where
// R is data.size() and W the weights' sum over the trained rows: weights
// rescaled to average 1, so the step size means what it means unweighted
// and weights all equal give the unweighted run exactly.
// Batches are gathered from the tensors with index_select (no per-example
// copies), so fit also runs inside a parallel_for task, on that one thread.
// Throws ember::Error for undefined or mismatched tensors, an index outside
// [0, N), weights that are not [N], negative, non-finite or of zero sum over
// the trained rows, epochs or batch_size below 1, a model without
// parameters, or a loss that is not [B].
FitHistory fit(nn::Module& model, const TrainingSet& data, const FitOptions& options = {});

// Trains `model` on `data` for an ensemble or a cross-validation; `index` is
// the member, round or fold, so each can seed its own shuffle. Replace the
// default (gradient_fit) with a learner that is not trained by gradient
// descent, or to record what each model was given.
using FitFunction =
    std::function<void(nn::Module& model, const TrainingSet& data, int64_t index)>;

// fit(model, data, options) with the order seeded by options.seed + index.
FitFunction gradient_fit(FitOptions options);

// model's outputs for inputs [N, ...], batch_size rows at a time and
// concatenated: [N, ...]. Runs in evaluation mode without grad, then puts
// the model back in the mode it was in. Throws ember::Error for an undefined
// or 0-d input or batch_size < 1, and whatever the model's forward throws.
Tensor predict(nn::Module& model, const Tensor& inputs, int64_t batch_size = 1024);
// softmax of predict over dim 1: class probabilities [N, C].
Tensor predict_proba(nn::Module& model, const Tensor& inputs, int64_t batch_size = 1024);

}  // namespace ember::train
