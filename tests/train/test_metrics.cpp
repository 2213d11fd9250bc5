// Accuracy, top-k accuracy and the confusion matrix on hand-made logits.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "framework/tensor.h"
#include "helpers.h"
#include "train/metrics.h"

namespace {

using ember::Error;
using ember::Tensor;
using ember_test::ErrorMentions;
using namespace ember::train;

Tensor labels(std::vector<int64_t> values) { return ember::tensor(values); }

// Four samples, three classes. Row argmaxes: 2, 0, 1, 0 (the last row ties
// classes 0 and 2, which goes to 0).
Tensor four_by_three() {
  return ember::tensor(std::vector<float>{0.1f, 0.2f, 0.7f,  //
                                          3.0f, 1.0f, 2.0f,  //
                                          -1.f, 5.0f, 4.0f,  //
                                          1.0f, 0.0f, 1.0f},
                       {4, 3});
}

}  // namespace

TEST_CASE("accuracy counts the samples whose highest logit is the target", "[train]") {
  Tensor logits = four_by_three();

  double all = accuracy(logits, labels({2, 0, 1, 0}));
  double half = accuracy(logits, labels({2, 1, 2, 0}));
  double tie_goes_to_lower_index = accuracy(logits, labels({0, 1, 0, 2}));

  CHECK(all == 1.0);
  CHECK(half == 0.5);
  CHECK(tie_goes_to_lower_index == 0.0);
}

TEST_CASE("top-k accuracy accepts the target among the k highest logits", "[train]") {
  Tensor logits = four_by_three();
  Tensor targets = labels({1, 2, 2, 2});  // ranks 1, 1, 1 and 1 (tie behind class 0)

  CHECK(top_k_accuracy(logits, targets, 1) == 0.0);
  CHECK(top_k_accuracy(logits, targets, 2) == 1.0);
  CHECK(top_k_accuracy(logits, labels({0, 2, 0, 1}), 2) == 0.25);
  CHECK(top_k_accuracy(logits, targets, 3) == 1.0);
  CHECK(count_correct(logits, labels({0, 2, 0, 1}), 2) == 1);
}

TEST_CASE("accuracy reads soft targets by their argmax and float64 logits alike", "[train]") {
  Tensor logits = four_by_three().to(ember::kFloat64);
  Tensor soft = ember::tensor(std::vector<double>{0.1, 0.1, 0.8,  //
                                                  0.6, 0.4, 0.0,  //
                                                  0.0, 0.3, 0.7,  //
                                                  0.5, 0.5, 0.0},
                              {4, 3});

  double result = accuracy(logits, soft);

  CHECK(result == 0.75);
}

TEST_CASE("a NaN logit ranks first, as argmax picks it", "[train]") {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor logits = ember::tensor(std::vector<float>{1.f, nan, 3.f}, {1, 3});

  CHECK(accuracy(logits, labels({1})) == 1.0);
  CHECK(accuracy(logits, labels({2})) == 0.0);
  CHECK(top_k_accuracy(logits, labels({2}), 2) == 1.0);
}

TEST_CASE("accuracy of an empty batch is NaN", "[train]") {
  Tensor logits = ember::zeros({0, 4});
  Tensor targets = ember::zeros({0}, ember::kInt64);

  CHECK(std::isnan(accuracy(logits, targets)));
  CHECK(count_correct(logits, targets) == 0);
}

TEST_CASE("metrics refuse targets and k that do not fit the logits", "[train]") {
  Tensor logits = four_by_three();

  CHECK_THROWS_MATCHES(accuracy(logits, labels({0, 1, 2})), Error,
                       ErrorMentions({"count_correct", "[4]", "[3]"}));
  CHECK_THROWS_MATCHES(accuracy(logits, labels({0, 1, 3, 0})), Error,
                       ErrorMentions({"target 3", "sample 2", "[0, 3)"}));
  CHECK_THROWS_MATCHES(top_k_accuracy(logits, labels({0, 1, 2, 0}), 4), Error,
                       ErrorMentions({"k = 4", "[1, 3]"}));
  CHECK_THROWS_MATCHES(accuracy(ember::zeros({4}), labels({0, 1, 2, 0})), Error,
                       ErrorMentions({"[N, C]", "[4]"}));
}

TEST_CASE("a confusion matrix counts (true, predicted) pairs across batches", "[train]") {
  ConfusionMatrix matrix(3, {"cat", "dog", "bird"});

  matrix.update(four_by_three(), labels({2, 1, 1, 0}));  // predicted 2, 0, 1, 0
  matrix.update(labels({2, 2}), labels({0, 2}));          // indices as predictions

  CHECK(matrix.total() == 6);
  CHECK(matrix.count(2, 2) == 2);
  CHECK(matrix.count(1, 0) == 1);
  CHECK(matrix.count(1, 1) == 1);
  CHECK(matrix.count(0, 0) == 1);
  CHECK(matrix.count(0, 2) == 1);
  CHECK(matrix.counts().to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1, 1, 1, 0, 0, 0, 2});
  CHECK(matrix.accuracy() == Approx(4.0 / 6));
}

TEST_CASE("confusion matrix precision and recall follow scikit-learn", "[train]") {
  ConfusionMatrix matrix(3);
  // true:      0 0 0 1 1 2
  // predicted: 0 0 1 1 0 0
  matrix.update(labels({0, 0, 1, 1, 0, 0}), labels({0, 0, 0, 1, 1, 2}));

  CHECK(matrix.precision(0) == Approx(2.0 / 4));
  CHECK(matrix.recall(0) == Approx(2.0 / 3));
  CHECK(matrix.precision(1) == Approx(1.0 / 2));
  CHECK(matrix.recall(1) == Approx(1.0 / 2));
  CHECK(matrix.precision(2) == 0.0);  // never predicted: zero_division gives 0
  CHECK(matrix.recall(2) == 0.0);
  CHECK(matrix.f1(0) == Approx(2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3)));
  CHECK(matrix.f1(2) == 0.0);
}

TEST_CASE("a confusion matrix prints a table with class names and rates", "[train]") {
  ConfusionMatrix matrix(2, {"T-shirt/top", "Trouser"});
  matrix.update(labels({0, 1, 1, 1}), labels({0, 1, 0, 1}));

  std::string table = matrix.to_string();

  CHECK(table ==
        "true \\ predicted 0 1  recall  precision\n"
        "0 T-shirt/top    1 1  0.5000     1.0000\n"
        "1 Trouser        0 2  1.0000     0.6667\n"
        "4 samples, accuracy 0.7500\n");
}

TEST_CASE("a confusion matrix refuses what does not fit and counts nothing then", "[train]") {
  ConfusionMatrix matrix(3);

  CHECK_THROWS_MATCHES(ConfusionMatrix(3, {"a", "b"}), Error, ErrorMentions({"2 class names"}));
  CHECK_THROWS_MATCHES(matrix.update(labels({0, 3}), labels({0, 1})), Error,
                       ErrorMentions({"prediction 3", "[0, 3)"}));
  CHECK_THROWS_MATCHES(matrix.update(ember::zeros({2, 4}), labels({0, 1})), Error,
                       ErrorMentions({"4 classes", "counts 3"}));
  CHECK_THROWS_MATCHES(matrix.count(0, 3), Error, ErrorMentions({"outside [0, 3)"}));
  CHECK(matrix.total() == 0);
}
