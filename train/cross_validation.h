#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/kfold.h"
#include "framework/tensor.h"
#include "nn/module.h"
#include "train/fit.h"

namespace ember::train {

// A score of a model's outputs [N, ...] on targets [N, ...], e.g. accuracy.
using Metric = std::function<double(const Tensor& outputs, const Tensor& targets)>;

struct NamedMetric {
  std::string name;
  Metric metric;
};

// Which index generator cuts the folds.
enum class FoldSplitter {
  // StratifiedKFold for int64 labels [N], KFold for any other targets
  // (scikit-learn's choice for classifiers and regressors).
  Auto,
  KFold,
  StratifiedKFold,
};

struct CrossValidationOptions {
  int64_t folds = 5;
  FoldSplitter splitter = FoldSplitter::Auto;
  // Shuffle before cutting the folds (with Generator(seed)), as KFoldOptions.
  bool shuffle = true;
  uint64_t seed = 0;
  // Scored on each test fold besides the built-in ones: "loss", the mean of
  // fit.loss (cross-entropy by default), and, for int64 labels, "accuracy".
  std::vector<NamedMetric> metrics = {};
  // After the folds, trains one more model on every row (index `folds`).
  bool refit = false;
  // How each model trains: gradient_fit(fit), seeding fold f's order with
  // fit.seed + f, unless fit_function is given.
  FitOptions fit = {};
  FitFunction fit_function = nullptr;
};

// One metric over the folds.
struct MetricSummary {
  std::string name;
  std::vector<double> values;  // one per fold, in fold order
  double mean = 0.0;
  // The sample standard deviation (divisor k - 1), the spread of a score
  // over the ways the data could have been cut.
  double std = 0.0;
};

struct CrossValidationResult {
  std::vector<data::Fold> folds;
  // "loss", then "accuracy" for int64 labels, then the options' metrics.
  std::vector<MetricSummary> metrics;
  // The model trained on each fold's train rows, in fold order.
  std::vector<std::shared_ptr<nn::Module>> models;
  // With refit: the model trained on every row; else null.
  std::shared_ptr<nn::Module> refit_model;

  // The summary named `name`; throws ember::Error naming the ones there are.
  const MetricSummary& metric(const std::string& name) const;
};

// k-fold cross-validation: for each fold, a fresh model from make_model
// trains on the fold's train rows only, and each metric scores its outputs
// (train::predict) on the fold's test rows. Folds run one after another,
// each with every thread.
//
//   train::CrossValidationResult cv = train::cross_validate(
//       make_model, x, labels, {.folds = 5, .fit = {.epochs = 10}});
//   const train::MetricSummary& accuracy = cv.metric("accuracy");
//   std::printf("%.3f +- %.3f\n", accuracy.mean, accuracy.std);
//
// Throws ember::Error for a null factory or one that returns null, fewer
// than 2 folds or rows than folds (as KFold and StratifiedKFold),
// StratifiedKFold without int64 labels [N], an empty or repeated metric
// name, and whatever fit and the metrics throw.
CrossValidationResult cross_validate(const ModelFactory& make_model, const Tensor& inputs,
                                     const Tensor& targets,
                                     const CrossValidationOptions& options = {});

// Mean and sample standard deviation (k - 1) of `values`; std is NaN for
// fewer than two values.
MetricSummary summarize(std::string name, std::vector<double> values);

}  // namespace ember::train
