#include "train/fit.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"
#include "framework/random.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/loss.h"
#include "ops/softmax.h"
#include "optim/adam.h"
#include "train/detail/mode_restorer.h"

namespace ember::train {

namespace {

void check_tensors(const TrainingSet& data) {
  EMBER_CHECK(data.inputs.defined() && data.inputs.dim() >= 1,
              "fit: inputs must be a tensor [N, ...], got ",
              data.inputs.defined() ? format_shape(data.inputs.shape()) : "an undefined tensor");
  EMBER_CHECK(data.inputs.size(0) >= 1, "fit: no examples (inputs ", data.inputs.shape(), ")");
  EMBER_CHECK(data.targets.defined() && data.targets.dim() >= 1 &&
                  data.targets.size(0) == data.inputs.size(0),
              "fit: targets must have one row per input row: inputs ", data.inputs.shape(),
              " vs targets ",
              data.targets.defined() ? format_shape(data.targets.shape()) : "undefined");
}

// The rows a pass trains on, int64 [R]: data.indices, or 0..N-1.
Tensor training_rows(const TrainingSet& data) {
  const int64_t n = data.inputs.size(0);
  if (data.indices.empty()) return arange(static_cast<double>(n));
  for (int64_t row : data.indices) {
    EMBER_CHECK(row >= 0 && row < n, "fit: index ", row, " is outside [0, ", n,
                ") for inputs ", data.inputs.shape());
  }
  return tensor(data.indices);
}

// The weight of each position of `rows`, float64 [R], rescaled to average 1;
// undefined when data has no weights.
Tensor position_weights(const TrainingSet& data, const Tensor& rows) {
  if (!data.weights.defined()) return Tensor();
  const int64_t n = data.inputs.size(0);
  EMBER_CHECK(data.weights.is_floating_point() && data.weights.dim() == 1 &&
                  data.weights.size(0) == n,
              "fit: weights must be floating [", n, "] (one per input row), got ",
              dtype_name(data.weights.dtype()), " ", data.weights.shape());

  std::vector<double> row_weights = data.weights.to_vector<double>();
  for (int64_t row = 0; row < n; ++row) {
    double weight = row_weights[row];
    EMBER_CHECK(std::isfinite(weight) && weight >= 0.0, "fit: weight ", row,
                " must be finite and non-negative, got ", weight);
  }
  std::vector<int64_t> positions = rows.to_vector<int64_t>();
  std::vector<double> weights(positions.size());
  double total = 0.0;
  for (size_t p = 0; p < positions.size(); ++p) {
    weights[p] = row_weights[positions[p]];
    total += weights[p];
  }
  EMBER_CHECK(total > 0.0, "fit: the weights of the trained rows sum to 0; nothing to learn");

  const double scale = static_cast<double>(positions.size()) / total;
  for (double& weight : weights) weight *= scale;
  return tensor(weights);
}

void check_options(const FitOptions& options) {
  EMBER_CHECK(options.epochs >= 1, "fit: epochs must be at least 1, got ", options.epochs);
  EMBER_CHECK(options.batch_size >= 1, "fit: batch_size must be at least 1, got ",
              options.batch_size);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const FitOptions& options,
                                                 std::vector<Tensor> parameters) {
  EMBER_CHECK(!parameters.empty(), "fit: the model has no parameters to train");
  if (options.optimizer) {
    std::unique_ptr<optim::Optimizer> optimizer = options.optimizer(std::move(parameters));
    EMBER_CHECK(optimizer != nullptr, "fit: the optimizer factory returned no optimizer");
    return optimizer;
  }
  return std::make_unique<optim::Adam>(std::move(parameters));
}

}  // namespace

Tensor cross_entropy_per_example(const Tensor& outputs, const Tensor& targets) {
  return cross_entropy(outputs, targets, {.reduction = Reduction::None});
}

Tensor squared_error_per_example(const Tensor& outputs, const Tensor& targets) {
  EMBER_CHECK(outputs.shape() == targets.shape() && outputs.dim() >= 1,
              "squared_error_per_example: outputs and targets must have one shape [B, ...], got ",
              outputs.shape(), " vs ", targets.shape());
  const int64_t batch = outputs.size(0);
  Tensor squared = square(outputs - targets);
  return squared.reshape({batch, batch == 0 ? 0 : squared.numel() / batch}).sum({1});
}

int64_t TrainingSet::size() const {
  if (!indices.empty()) return static_cast<int64_t>(indices.size());
  return inputs.defined() && inputs.dim() >= 1 ? inputs.size(0) : 0;
}

FitHistory fit(nn::Module& model, const TrainingSet& data, const FitOptions& options) {
  check_options(options);
  check_tensors(data);
  Tensor rows = training_rows(data);
  Tensor weights = position_weights(data, rows);
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(options, model.parameters());
  const LossFunction& loss_function = options.loss ? options.loss : cross_entropy_per_example;
  const int64_t count = rows.size(0);

  model.train();
  Generator generator(options.seed);
  FitHistory history;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    Tensor order = options.shuffle ? randperm(count, &generator)
                                   : arange(static_cast<double>(count));
    double loss_sum = 0.0;
    for (int64_t start = 0; start < count; start += options.batch_size) {
      const int64_t length = std::min(options.batch_size, count - start);
      Tensor positions = order.narrow(0, start, length);
      Tensor batch_rows = index_select(rows, 0, positions);
      Tensor inputs = index_select(data.inputs, 0, batch_rows);
      Tensor targets = index_select(data.targets, 0, batch_rows);

      optimizer->zero_grad();
      Tensor losses = loss_function(model.forward(inputs), targets);
      EMBER_CHECK(losses.dim() == 1 && losses.size(0) == length,
                  "fit: the loss must give one value per example, [", length, "], got ",
                  losses.shape());
      if (weights.defined()) {
        losses = losses * index_select(weights, 0, positions).to(losses.dtype());
      }
      Tensor loss = losses.mean();
      loss.backward();
      optimizer->step();

      loss_sum += loss.item() * static_cast<double>(length);
    }
    history.epoch_losses.push_back(loss_sum / static_cast<double>(count));
  }
  return history;
}

FitFunction gradient_fit(FitOptions options) {
  return [options = std::move(options)](nn::Module& model, const TrainingSet& data,
                                        int64_t index) {
    FitOptions seeded = options;
    seeded.seed = options.seed + static_cast<uint64_t>(index);
    fit(model, data, seeded);
  };
}

Tensor predict(nn::Module& model, const Tensor& inputs, int64_t batch_size) {
  EMBER_CHECK(inputs.defined() && inputs.dim() >= 1,
              "predict: inputs must be a tensor [N, ...], got ",
              inputs.defined() ? format_shape(inputs.shape()) : "an undefined tensor");
  EMBER_CHECK(batch_size >= 1, "predict: batch_size must be at least 1, got ", batch_size);
  NoGradGuard no_grad;
  detail::ModeRestorer restorer(model);
  model.eval();

  const int64_t n = inputs.size(0);
  if (n <= batch_size) return model.forward(inputs);
  std::vector<Tensor> outputs;
  for (int64_t start = 0; start < n; start += batch_size) {
    outputs.push_back(model.forward(inputs.narrow(0, start, std::min(batch_size, n - start))));
  }
  return cat(outputs, 0);
}

Tensor predict_proba(nn::Module& model, const Tensor& inputs, int64_t batch_size) {
  Tensor logits = predict(model, inputs, batch_size);
  EMBER_CHECK(logits.dim() == 2, "predict_proba: the model's outputs must be logits [N, C], got ",
              logits.shape());
  return softmax(logits, 1);
}

}  // namespace ember::train
