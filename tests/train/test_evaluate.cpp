#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "data/data_loader.h"
#include "data/tensor_dataset.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "ops/loss.h"
#include "train/evaluate.h"

namespace data = ember::data;
namespace nn = ember::nn;
namespace train = ember::train;
using ember::Tensor;

TEST_CASE("evaluate averages the loss and accuracy over every example of the loader",
          "[train]") {
  ember::manual_seed(3);
  Tensor inputs = ember::randn({10, 4});
  Tensor labels = ember::tensor(std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0});
  nn::Linear model(4, 3);
  // Batches of 4, 4 and 2: the mean must weigh examples, not batches.
  data::DataLoader loader(data::TensorDataset(inputs, labels), {.batch_size = 4});

  train::ConfusionMatrix matrix(3);
  train::Evaluation result = train::evaluate(*model, loader, &matrix);

  Tensor logits = model(inputs);
  CHECK(result.examples == 10);
  CHECK(result.loss == Approx(ember::cross_entropy(logits, labels).item()).epsilon(1e-6));
  CHECK(result.accuracy == Approx(train::accuracy(logits, labels)));
  int64_t counted = 0;
  for (int64_t target = 0; target < 3; ++target) {
    for (int64_t predicted = 0; predicted < 3; ++predicted) {
      counted += matrix.count(target, predicted);
    }
  }
  CHECK(counted == 10);
}

TEST_CASE("evaluate runs in evaluation mode without grad and restores the mode", "[train]") {
  ember::manual_seed(4);
  Tensor inputs = ember::randn({6, 4});
  Tensor labels = ember::zeros({6}, ember::kInt64);
  // Dropout with p close to 1 would change the logits in training mode.
  nn::Sequential model(nn::Dropout(0.9), nn::Linear(4, 2));
  data::DataLoader loader(data::TensorDataset(inputs, labels), {.batch_size = 6});

  model->train();
  train::Evaluation first = train::evaluate(*model, loader);
  train::Evaluation second = train::evaluate(*model, loader);
  CHECK(model->is_training());
  CHECK(first.loss == second.loss);

  model->eval();
  train::evaluate(*model, loader);
  CHECK_FALSE(model->is_training());
  for (const Tensor& parameter : model->parameters()) CHECK_FALSE(parameter.grad().defined());
}
