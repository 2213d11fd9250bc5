// End to end: a small CNN learns Fashion-MNIST from the committed 2,000-image
// subset (tests/fixtures/fashion_mnist_2000, written by
// tools/make_fashion_subset.py) through the whole pipeline: IDX reader,
// dataset, transform, shuffling loader, modules, loss, autograd, optimizer.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "data/data_loader.h"
#include "data/mnist.h"
#include "data/transform_dataset.h"
#include "data/transforms.h"
#include "ember.h"
#include "optim/optim.h"
#include "train/metrics.h"

namespace {

namespace data = ember::data;
namespace nn = ember::nn;
using ember::Tensor;

const std::string kSubset = std::string(EMBER_FIXTURES_DIR) + "/fashion_mnist_2000";

// conv3x3(1->8) BN ReLU maxpool2 -> [B, 8, 14, 14], then linear 1568->10.
nn::Sequential tiny_cnn() {
  return nn::Sequential(nn::Conv2d(1, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Flatten(), nn::Linear(8 * 14 * 14, 10));
}

// The subset's images normalized as the Fashion-MNIST examples do.
data::DatasetPtr normalized(data::Split split) {
  return std::make_shared<data::TransformDataset>(
      std::make_shared<data::FashionMNIST>(kSubset, split),
      data::Normalize({0.2860}, {0.3530}));
}

struct Score {
  double loss = 0.0;
  double accuracy = 0.0;
};

// Mean cross-entropy and accuracy over every batch of `loader`, in eval mode.
Score evaluate(nn::Sequential& model, data::DataLoader& loader) {
  ember::NoGradGuard no_grad;
  model->eval();
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t seen = 0;
  for (data::Batch& batch : loader) {
    Tensor logits = model(batch.input);
    loss_sum += ember::cross_entropy(logits, batch.target).item() * batch.size();
    correct += ember::train::count_correct(logits, batch.target);
    seen += batch.size();
  }
  model->train();
  return {loss_sum / seen, static_cast<double>(correct) / seen};
}

}  // namespace

TEST_CASE("a small CNN learns Fashion-MNIST from 2,000 images in two passes", "[train]") {
  ember::manual_seed(0);
  nn::Sequential model = tiny_cnn();
  ember::optim::Adam optimizer(model->parameters(), {.lr = 1e-2});
  data::DataLoader train_loader(normalized(data::Split::Train),
                                {.batch_size = 50, .shuffle = true, .seed = 0});
  data::DataLoader test_loader(normalized(data::Split::Test), {.batch_size = 500});
  REQUIRE(train_loader.dataset()->size() == 2000);
  REQUIRE(test_loader.dataset()->size() == 500);
  Score untrained = evaluate(model, test_loader);

  // Two passes, 80 Adam steps.
  double last_pass_loss = 0.0;
  for (int pass = 0; pass < 2; ++pass) {
    double loss_sum = 0.0;
    for (data::Batch& batch : train_loader) {
      optimizer.zero_grad();
      Tensor loss = ember::cross_entropy(model(batch.input), batch.target);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item() * batch.size();
    }
    last_pass_loss = loss_sum / 2000;
  }
  Score trained = evaluate(model, test_loader);

  // An untrained model scores about ln 10 = 2.30 and 10%. Seeds 0-7 gave a
  // second-pass loss of 0.43-0.58, held-out loss 0.45-0.56 and accuracy
  // 80-85% (seed 0: 0.51, 0.55, 80.2%); the bounds leave a wide margin for
  // other kernels' rounding.
  INFO("untrained: loss " << untrained.loss << ", accuracy " << untrained.accuracy);
  INFO("trained: second-pass loss " << last_pass_loss << ", held-out loss " << trained.loss);
  INFO("trained: accuracy " << trained.accuracy);
  CHECK(untrained.loss > 2.0);
  CHECK(last_pass_loss < 0.8);
  CHECK(trained.loss < 0.8);
  CHECK(trained.accuracy > 0.72);
}
