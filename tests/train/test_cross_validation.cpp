// cross_validate: a fresh model per fold that trains on that fold's train
// rows only and is scored on its test rows; the per-fold metrics and their
// mean and sample standard deviation; the refit on every row.

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "framework/random.h"
#include "helpers.h"
#include "nn/linear.h"
#include "ops/indexing.h"
#include "ops/loss.h"
#include "train/cross_validation.h"
#include "train/ensemble_fixtures.h"
#include "train/fit.h"
#include "train/metrics.h"

namespace {

namespace train = ember::train;
using ember::Tensor;
using ember_test::ErrorMentions;

// A linear classifier on input columns 1.. that records the row indices
// (column 0) of every batch it sees, apart for training and evaluation.
class RecordingModel : public ember::nn::Module {
 public:
  RecordingModel(int64_t features, int64_t classes)
      : linear(register_module("linear", ember::nn::Linear(features, classes))) {}

  Tensor forward(const Tensor& input) override {
    std::vector<int64_t> rows = ensemble_test::row_ids(input);
    (is_training() ? trained : evaluated).insert(rows.begin(), rows.end());
    return linear(input.narrow(1, 1, input.size(1) - 1).contiguous());
  }

  ember::nn::Linear linear;
  std::set<int64_t> trained;
  std::set<int64_t> evaluated;
};

struct Recorded {
  ember::Tensor inputs;
  ember::Tensor labels;
  int64_t built = 0;

  train::ModelFactory factory() {
    return [this] {
      ++built;
      return std::make_shared<RecordingModel>(2, 3);
    };
  }
};

Recorded recorded_blobs() {
  ensemble_test::Problem problem = ensemble_test::blobs(12, 3, 8);
  return {ensemble_test::with_row_ids(problem.inputs), problem.labels};
}

RecordingModel& recording(const std::shared_ptr<ember::nn::Module>& model) {
  return dynamic_cast<RecordingModel&>(*model);
}

}  // namespace

TEST_CASE("cross-validation trains a fresh model per fold on that fold's train rows only",
          "[cv]") {
  Recorded data = recorded_blobs();
  ember::manual_seed(0);

  train::CrossValidationResult result = train::cross_validate(
      data.factory(), data.inputs, data.labels, {.folds = 4, .fit = {.epochs = 2}});

  REQUIRE(result.folds.size() == 4);
  REQUIRE(result.models.size() == 4);
  CHECK(data.built == 4);
  CHECK(result.refit_model == nullptr);
  std::set<int64_t> tested;
  for (size_t f = 0; f < 4; ++f) {
    const ember::data::Fold& fold = result.folds[f];
    RecordingModel& model = recording(result.models[f]);
    std::set<int64_t> train_rows(fold.train.begin(), fold.train.end());
    std::set<int64_t> test_rows(fold.test.begin(), fold.test.end());

    CHECK(model.trained == train_rows);
    CHECK(model.evaluated == test_rows);
    for (int64_t row : fold.test) CHECK_FALSE(train_rows.count(row));
    tested.insert(test_rows.begin(), test_rows.end());
    for (size_t g = 0; g < f; ++g) {
      CHECK(result.models[g] != result.models[f]);
      Tensor earlier = recording(result.models[g]).linear->weight;
      CHECK_FALSE(earlier.storage() == model.linear->weight.storage());
      CHECK_FALSE(ember_test::mismatch(earlier, model.linear->weight, 0, 0).empty());
    }
  }
  CHECK(tested.size() == 36);
}

TEST_CASE("cross-validation scores each fold's model on its test rows", "[cv]") {
  Recorded data = recorded_blobs();
  ember::manual_seed(1);

  train::CrossValidationResult result = train::cross_validate(
      data.factory(), data.inputs, data.labels, {.folds = 3, .fit = {.epochs = 3}});

  const train::MetricSummary& accuracy = result.metric("accuracy");
  const train::MetricSummary& loss = result.metric("loss");
  REQUIRE(accuracy.values.size() == 3);
  for (size_t f = 0; f < 3; ++f) {
    Tensor rows = ember::tensor(result.folds[f].test);
    Tensor outputs = train::predict(*result.models[f], index_select(data.inputs, 0, rows));
    Tensor labels = index_select(data.labels, 0, rows);
    CHECK(accuracy.values[f] == train::accuracy(outputs, labels));
    CHECK(loss.values[f] == Approx(ember::cross_entropy(outputs, labels).item()).epsilon(1e-6));
  }
  CHECK_THROWS_MATCHES(result.metric("f1"), ember::Error,
                       ErrorMentions({"f1", "loss, accuracy"}));
}

TEST_CASE("cross-validation reports each fold's value with their mean and sample std",
          "[cv]") {
  // KFold without shuffling cuts 10 rows into test folds of 3, 3, 2, 2:
  // mean 2.5, sample variance (4 * 0.25) / 3, std sqrt(1/3) = 0.57735.
  Tensor inputs = ensemble_test::with_row_ids(ember::zeros({10, 2}));
  Tensor targets = ember::zeros({10, 3});
  train::Metric test_size = [](const Tensor& outputs, const Tensor&) {
    return static_cast<double>(outputs.size(0));
  };

  train::CrossValidationResult result = train::cross_validate(
      [] { return std::make_shared<RecordingModel>(2, 3); }, inputs, targets,
      {.folds = 4, .splitter = train::FoldSplitter::KFold, .shuffle = false,
       .metrics = {{"test_size", test_size}},
       .fit = {.loss = train::squared_error_per_example}});

  const train::MetricSummary& summary = result.metric("test_size");
  CHECK(summary.values == std::vector<double>{3, 3, 2, 2});
  CHECK(summary.mean == Approx(2.5));
  CHECK(summary.std == Approx(std::sqrt(1.0 / 3.0)));
  CHECK(result.metrics.size() == 2);  // "loss" and "test_size": no accuracy for float targets
  CHECK(result.metrics[0].name == "loss");
}

TEST_CASE("summarize gives the mean and the sample standard deviation", "[cv]") {
  train::MetricSummary summary = train::summarize("x", {1.0, 2.0, 3.0, 4.0});

  CHECK(summary.mean == 2.5);
  CHECK(summary.std == Approx(std::sqrt(5.0 / 3.0)));  // squares 2.25+0.25+0.25+2.25 over 3
  CHECK(std::isnan(train::summarize("one", {1.0}).std));
}

TEST_CASE("cross-validation with refit trains one more model on every row", "[cv]") {
  Recorded data = recorded_blobs();

  train::CrossValidationResult result = train::cross_validate(
      data.factory(), data.inputs, data.labels, {.folds = 3, .refit = true});

  REQUIRE(result.refit_model != nullptr);
  CHECK(data.built == 4);
  CHECK(recording(result.refit_model).trained.size() == 36);
  CHECK(recording(result.refit_model).evaluated.empty());
}

TEST_CASE("cross-validation stratifies int64 labels by default", "[cv]") {
  // 36 rows, 12 per class, 3 folds: each test fold holds 4 of every class.
  Recorded data = recorded_blobs();
  std::vector<int64_t> labels = data.labels.to_vector<int64_t>();

  train::CrossValidationResult result =
      train::cross_validate(data.factory(), data.inputs, data.labels, {.folds = 3});

  for (const ember::data::Fold& fold : result.folds) {
    std::vector<int64_t> counts(3, 0);
    for (int64_t row : fold.test) ++counts[labels[row]];
    CHECK(counts == std::vector<int64_t>{4, 4, 4});
  }
}

TEST_CASE("cross-validation refuses repeated metric names and unstratifiable targets", "[cv]") {
  Recorded data = recorded_blobs();
  train::Metric zero = [](const Tensor&, const Tensor&) { return 0.0; };

  CHECK_THROWS_MATCHES(
      train::cross_validate(data.factory(), data.inputs, data.labels,
                            {.metrics = {{"accuracy", zero}}}),
      ember::Error, ErrorMentions({"two metrics", "accuracy"}));
  CHECK_THROWS_MATCHES(
      train::cross_validate(data.factory(), data.inputs, data.labels.to(ember::kFloat32),
                            {.splitter = train::FoldSplitter::StratifiedKFold}),
      ember::Error, ErrorMentions({"StratifiedKFold", "int64 labels"}));
  CHECK_THROWS_MATCHES(train::cross_validate(nullptr, data.inputs, data.labels), ember::Error,
                       ErrorMentions({"factory"}));
}
