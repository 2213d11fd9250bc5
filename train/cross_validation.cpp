#include "train/cross_validation.h"

#include <cmath>
#include <limits>
#include <utility>

#include "framework/error.h"
#include "ops/indexing.h"
#include "train/metrics.h"

namespace ember::train {

namespace {

bool holds_labels(const Tensor& targets) {
  return targets.dtype() == kInt64 && targets.dim() == 1;
}

std::vector<data::Fold> make_folds(const Tensor& targets, const CrossValidationOptions& options) {
  const data::KFoldOptions fold_options{.shuffle = options.shuffle, .seed = options.seed};
  const bool stratify = options.splitter == FoldSplitter::StratifiedKFold ||
                        (options.splitter == FoldSplitter::Auto && holds_labels(targets));
  if (!stratify) return data::KFold(options.folds, fold_options).split(targets.size(0));
  EMBER_CHECK(holds_labels(targets), "cross_validate: StratifiedKFold needs int64 labels [N], got ",
              dtype_name(targets.dtype()), " ", targets.shape());
  return data::StratifiedKFold(options.folds, fold_options).split(targets);
}

// The built-in metrics, then the options' own, with their names checked.
std::vector<NamedMetric> metric_list(const Tensor& targets, const CrossValidationOptions& options) {
  LossFunction loss = options.fit.loss ? options.fit.loss : cross_entropy_per_example;
  std::vector<NamedMetric> metrics{
      {"loss", [loss](const Tensor& outputs, const Tensor& labels) {
         return loss(outputs, labels).mean().item();
       }}};
  if (holds_labels(targets)) {
    metrics.push_back({"accuracy", [](const Tensor& outputs, const Tensor& labels) {
                         return accuracy(outputs, labels);
                       }});
  }
  for (const NamedMetric& metric : options.metrics) {
    EMBER_CHECK(!metric.name.empty() && metric.metric != nullptr,
                "cross_validate: every metric needs a name and a function");
    for (const NamedMetric& earlier : metrics) {
      EMBER_CHECK(earlier.name != metric.name, "cross_validate: two metrics are named '",
                  metric.name, "' (loss and, for int64 labels, accuracy are built in)");
    }
    metrics.push_back(metric);
  }
  return metrics;
}

std::shared_ptr<nn::Module> fresh_model(const ModelFactory& make_model) {
  std::shared_ptr<nn::Module> model = make_model();
  EMBER_CHECK(model != nullptr, "cross_validate: the model factory returned null");
  return model;
}

}  // namespace

const MetricSummary& CrossValidationResult::metric(const std::string& name) const {
  std::string names;
  for (const MetricSummary& summary : metrics) {
    if (summary.name == name) return summary;
    names += (names.empty() ? "" : ", ") + summary.name;
  }
  detail::throw_error("cross_validate: no metric named '", name, "'; there are ", names);
}

MetricSummary summarize(std::string name, std::vector<double> values) {
  MetricSummary summary{.name = std::move(name), .values = std::move(values)};
  const double count = static_cast<double>(summary.values.size());
  double sum = 0.0;
  for (double value : summary.values) sum += value;
  summary.mean = count > 0 ? sum / count : std::numeric_limits<double>::quiet_NaN();

  double squares = 0.0;
  for (double value : summary.values) squares += (value - summary.mean) * (value - summary.mean);
  summary.std = count > 1 ? std::sqrt(squares / (count - 1))
                          : std::numeric_limits<double>::quiet_NaN();
  return summary;
}

CrossValidationResult cross_validate(const ModelFactory& make_model, const Tensor& inputs,
                                     const Tensor& targets,
                                     const CrossValidationOptions& options) {
  EMBER_CHECK(make_model != nullptr, "cross_validate: the model factory is empty");
  EMBER_CHECK(inputs.defined() && targets.defined() && inputs.dim() >= 1 &&
                  targets.dim() >= 1 && inputs.size(0) == targets.size(0),
              "cross_validate: inputs [N, ...] and targets [N, ...] must have the same N, got ",
              inputs.defined() ? format_shape(inputs.shape()) : "undefined", " and ",
              targets.defined() ? format_shape(targets.shape()) : "undefined");
  CrossValidationResult result;
  result.folds = make_folds(targets, options);
  const std::vector<NamedMetric> metrics = metric_list(targets, options);
  const FitFunction fit_model =
      options.fit_function ? options.fit_function : gradient_fit(options.fit);

  // Each fold's model sees its train rows only; its test rows reach it
  // through predict, in evaluation mode without grad.
  std::vector<std::vector<double>> values(metrics.size());
  for (size_t f = 0; f < result.folds.size(); ++f) {
    const data::Fold& fold = result.folds[f];
    std::shared_ptr<nn::Module> model = fresh_model(make_model);
    fit_model(*model, {.inputs = inputs, .targets = targets, .indices = fold.train},
              static_cast<int64_t>(f));

    Tensor test_rows = tensor(fold.test);
    Tensor outputs = predict(*model, index_select(inputs, 0, test_rows));
    Tensor test_targets = index_select(targets, 0, test_rows);
    for (size_t j = 0; j < metrics.size(); ++j) {
      values[j].push_back(metrics[j].metric(outputs, test_targets));
    }
    result.models.push_back(std::move(model));
  }

  for (size_t j = 0; j < metrics.size(); ++j) {
    result.metrics.push_back(summarize(metrics[j].name, std::move(values[j])));
  }
  if (options.refit) {
    result.refit_model = fresh_model(make_model);
    fit_model(*result.refit_model, {.inputs = inputs, .targets = targets},
              static_cast<int64_t>(result.folds.size()));
  }
  return result;
}

}  // namespace ember::train
