// train::fit and predict, the loop the ensembles share: equal weights are
// the unweighted run, zero weights silence rows, indices pick rows, and
// predict batches in evaluation mode.

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <vector>

#include "framework/random.h"
#include "helpers.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "optim/sgd.h"
#include "train/ensemble_fixtures.h"
#include "train/fit.h"
#include "train/metrics.h"

namespace {

namespace train = ember::train;
using ember::Tensor;
using ember_test::ErrorMentions;

std::shared_ptr<ember::nn::Module> seeded_model(uint64_t seed) {
  ember::manual_seed(seed);
  return ensemble_test::mlp(2, 8, 3)();
}

}  // namespace

TEST_CASE("fit with equal weights trains exactly as without weights", "[ensemble][fit]") {
  ensemble_test::Problem problem = ensemble_test::blobs(20, 3, 0);
  train::FitOptions options{.epochs = 3, .batch_size = 8, .seed = 4};
  std::shared_ptr<ember::nn::Module> plain = seeded_model(1);
  std::shared_ptr<ember::nn::Module> weighted = seeded_model(1);

  train::FitHistory plain_history =
      train::fit(*plain, {.inputs = problem.inputs, .targets = problem.labels}, options);
  train::FitHistory weighted_history =
      train::fit(*weighted, {.inputs = problem.inputs, .targets = problem.labels,
                             .weights = ember::full({60}, 2.0)}, options);

  CHECK_CLOSE(train::predict(*weighted, problem.inputs), train::predict(*plain, problem.inputs),
              0, 0);
  CHECK(weighted_history.epoch_losses == plain_history.epoch_losses);
  CHECK(plain_history.epoch_losses.size() == 3);
  CHECK(plain_history.epoch_losses[2] < plain_history.epoch_losses[0]);
}

TEST_CASE("fit ignores rows of weight zero", "[ensemble][fit]") {
  // The second copy of the data has every label shifted by one class; with
  // weight 0 on it the model learns the first copy's labels.
  ensemble_test::Problem problem = ensemble_test::blobs(30, 3, 2);
  Tensor inputs = ember::cat({problem.inputs, problem.inputs}, 0);
  std::vector<int64_t> labels = problem.labels.to_vector<int64_t>();
  std::vector<int64_t> shifted = labels;
  for (int64_t& label : shifted) label = (label + 1) % 3;
  labels.insert(labels.end(), shifted.begin(), shifted.end());
  std::vector<double> weights(180, 0.0);
  std::fill(weights.begin(), weights.begin() + 90, 1.0);
  std::shared_ptr<ember::nn::Module> model = seeded_model(0);

  train::fit(*model, {.inputs = inputs, .targets = ember::tensor(labels),
                      .weights = ember::tensor(weights)},
             {.epochs = 20, .batch_size = 16});

  CHECK(train::accuracy(train::predict(*model, problem.inputs), problem.labels) > 0.85);
}

TEST_CASE("fit trains on the listed rows only, repeats included", "[ensemble][fit]") {
  std::vector<int64_t> seen;
  class Recorder : public ember::nn::Module {
   public:
    explicit Recorder(std::vector<int64_t>& seen)
        : seen_(seen), linear(register_module("linear", ember::nn::Linear(1, 2))) {}
    Tensor forward(const Tensor& input) override {
      std::vector<int64_t> rows = ensemble_test::row_ids(input);
      if (is_training()) seen_.insert(seen_.end(), rows.begin(), rows.end());
      return linear(input.narrow(1, 1, 1).contiguous());
    }
    std::vector<int64_t>& seen_;
    ember::nn::Linear linear;
  };
  Recorder model(seen);
  Tensor inputs = ensemble_test::with_row_ids(ember::zeros({6, 1}));

  train::fit(model, {.inputs = inputs, .targets = ember::zeros({6}, ember::kInt64),
                     .indices = {4, 1, 4, 0}},
             {.batch_size = 3});

  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<int64_t>{0, 1, 4, 4});
}

TEST_CASE("predict batches in evaluation mode and restores the training mode",
          "[ensemble][fit]") {
  ember::manual_seed(0);
  ember::nn::Sequential model(ember::nn::Linear(2, 4), ember::nn::Dropout(0.5),
                              ember::nn::Linear(4, 3));
  Tensor inputs = ensemble_test::blobs(7, 3, 1).inputs;

  Tensor whole = train::predict(*model, inputs);
  Tensor batched = train::predict(*model, inputs, 4);

  // Dropout would scramble the outputs in training mode.
  CHECK_CLOSE(batched, whole, 1e-6, 1e-6);
  CHECK_CLOSE(train::predict_proba(*model, inputs).sum({1}), ember::ones({21}), 1e-6, 1e-6);
  CHECK(model->is_training());
}

TEST_CASE("fit takes the optimizer and loss it is given", "[ensemble][fit]") {
  ensemble_test::Problem problem = ensemble_test::blobs(20, 2, 3);
  std::shared_ptr<ember::nn::Module> model = seeded_model(2);
  int64_t optimizers = 0;

  train::FitHistory history = train::fit(
      *model, {.inputs = problem.inputs, .targets = problem.labels},
      {.epochs = 2, .optimizer = [&](std::vector<Tensor> parameters) {
         ++optimizers;
         return std::make_unique<ember::optim::SGD>(parameters,
                                                    ember::optim::SGDOptions{.lr = 0.0});
       }});

  // lr 0: nothing moves, so both epochs see the same loss.
  CHECK(optimizers == 1);
  CHECK(history.epoch_losses[0] == Approx(history.epoch_losses[1]).epsilon(1e-6));
}

TEST_CASE("fit refuses data and options that do not fit", "[ensemble][fit]") {
  ensemble_test::Problem problem = ensemble_test::blobs(5, 2, 0);
  std::shared_ptr<ember::nn::Module> model = seeded_model(0);
  train::TrainingSet data{.inputs = problem.inputs, .targets = problem.labels};

  CHECK_THROWS_MATCHES(train::fit(*model, data, {.epochs = 0}), ember::Error,
                       ErrorMentions({"epochs", "0"}));
  CHECK_THROWS_MATCHES(train::fit(*model, data, {.batch_size = 0}), ember::Error,
                       ErrorMentions({"batch_size"}));
  CHECK_THROWS_MATCHES(
      train::fit(*model, {.inputs = problem.inputs, .targets = problem.labels, .indices = {10}}),
      ember::Error, ErrorMentions({"index 10", "[0, 10)"}));
  CHECK_THROWS_MATCHES(train::fit(*model, {.inputs = problem.inputs,
                                           .targets = problem.labels.narrow(0, 0, 9)}),
                       ember::Error, ErrorMentions({"[10, 2]", "[9]"}));
  CHECK_THROWS_MATCHES(train::fit(*model, {.inputs = problem.inputs, .targets = problem.labels,
                                           .weights = ember::ones({9})}),
                       ember::Error, ErrorMentions({"weights", "[10]", "[9]"}));
  CHECK_THROWS_MATCHES(train::fit(*model, {.inputs = problem.inputs, .targets = problem.labels,
                                           .weights = -ember::ones({10})}),
                       ember::Error, ErrorMentions({"non-negative", "-1"}));
  CHECK_THROWS_MATCHES(train::fit(*model, {.inputs = problem.inputs, .targets = problem.labels,
                                           .weights = ember::zeros({10})}),
                       ember::Error, ErrorMentions({"sum to 0"}));
  ember::nn::Sequential empty;
  CHECK_THROWS_MATCHES(train::fit(*empty, data), ember::Error, ErrorMentions({"no parameters"}));
}
