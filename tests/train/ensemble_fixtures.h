#pragma once

// Small problems and stand-in models for the ensemble and cross-validation
// tests. Rows carry their own index in input column 0, so a model can tell
// which rows it was shown.

#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <vector>

#include "framework/random.h"
#include "framework/tensor.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/sequential.h"
#include "train/fit.h"

namespace ensemble_test {

struct Problem {
  ember::Tensor inputs;  // float32 [N, features]
  ember::Tensor labels;  // int64 [N]
};

// `per_class` points around each of `classes` centers 3 apart on a circle,
// standard deviation 1: a linear model reaches about 90%.
inline Problem blobs(int64_t per_class, int64_t classes, uint64_t seed) {
  ember::Generator generator(seed);
  const int64_t n = per_class * classes;
  std::vector<float> noise = ember::randn({n, 2}, {}, &generator).to_vector<float>();
  std::vector<float> points(n * 2);
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = i % classes;
    const double angle =
        2.0 * std::numbers::pi * static_cast<double>(label) / static_cast<double>(classes);
    points[2 * i] = static_cast<float>(3.0 * std::cos(angle)) + noise[2 * i];
    points[2 * i + 1] = static_cast<float>(3.0 * std::sin(angle)) + noise[2 * i + 1];
    labels[i] = label;
  }
  return {ember::tensor(points, {n, 2}), ember::tensor(labels)};
}

// An MLP in -> hidden -> classes.
inline ember::train::ModelFactory mlp(int64_t in, int64_t hidden, int64_t classes) {
  return [=] {
    return ember::nn::Sequential(ember::nn::Linear(in, hidden), ember::nn::ReLU(),
                                 ember::nn::Linear(hidden, classes))
        .ptr();
  };
}

// Inputs [N, 1 + features]: column 0 holds the row index.
inline ember::Tensor with_row_ids(const ember::Tensor& features) {
  const int64_t n = features.size(0);
  const int64_t width = features.size(1);
  std::vector<float> values = features.to_vector<float>();
  std::vector<float> rows(n * (width + 1));
  for (int64_t i = 0; i < n; ++i) {
    rows[i * (width + 1)] = static_cast<float>(i);
    for (int64_t j = 0; j < width; ++j) rows[i * (width + 1) + 1 + j] = values[i * width + j];
  }
  return ember::tensor(rows, {n, width + 1});
}

// The row indices in column 0 of `inputs`.
inline std::vector<int64_t> row_ids(const ember::Tensor& inputs) {
  std::vector<float> column = inputs.select(1, 0).contiguous().to_vector<float>();
  return std::vector<int64_t>(column.begin(), column.end());
}

// Predicts a fixed class per row (looked up by the row index in column 0):
// logits 10 for that class, 0 for the others. A learner whose predictions a
// test knows in advance; it has no parameters, so it trains only through a
// custom FitFunction.
class FixedPredictor : public ember::nn::Module {
 public:
  FixedPredictor(std::vector<int64_t> classes_by_row, int64_t classes)
      : classes_by_row_(std::move(classes_by_row)), classes_(classes) {}

  ember::Tensor forward(const ember::Tensor& input) override {
    std::vector<int64_t> rows = row_ids(input);
    std::vector<float> logits(rows.size() * classes_, 0.0f);
    for (size_t r = 0; r < rows.size(); ++r) {
      logits[r * classes_ + classes_by_row_.at(rows[r])] = 10.0f;
    }
    return ember::tensor(logits, {static_cast<int64_t>(rows.size()), classes_});
  }

 private:
  std::vector<int64_t> classes_by_row_;
  int64_t classes_;
};

}  // namespace ensemble_test
