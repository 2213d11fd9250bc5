#include "train/boosting.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "data/sampler.h"
#include "framework/error.h"
#include "framework/random.h"

namespace ember::train {

namespace {

// K: the option, or one more than the largest label.
int64_t class_count(const std::vector<int64_t>& labels, int64_t option) {
  int64_t classes = option;
  if (classes == 0) classes = *std::max_element(labels.begin(), labels.end()) + 1;
  EMBER_CHECK(classes >= 2, "Boosting: SAMME needs at least 2 classes, got ", classes);
  for (int64_t label : labels) {
    EMBER_CHECK(label >= 0 && label < classes, "Boosting: label ", label, " is outside [0, ",
                classes, ")");
  }
  return classes;
}

// sum_i w_i [prediction_i != label_i] / sum_i w_i.
double weighted_error(const std::vector<double>& weights, const std::vector<int64_t>& predictions,
                      const std::vector<int64_t>& labels) {
  double missed = 0.0;
  double total = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    total += weights[i];
    if (predictions[i] != labels[i]) missed += weights[i];
  }
  return missed / total;
}

// w_i *= exp(alpha [miss_i]), then w /= sum(w). Computed as w_i *=
// exp(-alpha) for the examples predicted right: the same weights after the
// normalization, with no overflow when alpha is large (an error near 0).
void update_weights(std::vector<double>& weights, double alpha,
                    const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  const double shrink = std::exp(-alpha);
  double total = 0.0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (predictions[i] == labels[i]) weights[i] *= shrink;
    total += weights[i];
  }
  for (double& weight : weights) weight /= total;
}

}  // namespace

Boosting::Boosting(ModelFactory make_model, BoostingOptions options)
    : make_model_(std::move(make_model)), options_(std::move(options)) {
  EMBER_CHECK(make_model_ != nullptr, "Boosting: the model factory is empty");
  EMBER_CHECK(options_.rounds >= 1, "Boosting: rounds must be at least 1, got ", options_.rounds);
  EMBER_CHECK(options_.num_classes == 0 || options_.num_classes >= 2,
              "Boosting: num_classes must be 0 (from the labels) or at least 2, got ",
              options_.num_classes);
  EMBER_CHECK(std::isfinite(options_.learning_rate) && options_.learning_rate > 0.0,
              "Boosting: learning_rate must be positive and finite, got ",
              options_.learning_rate);
}

std::vector<int64_t> Boosting::learner_predictions(nn::Module& learner,
                                                   const Tensor& inputs) const {
  Tensor outputs = train::predict(learner, inputs);
  EMBER_CHECK(outputs.dim() == 2 && outputs.size(0) == inputs.size(0) &&
                  outputs.size(1) == num_classes_,
              "Boosting: a learner must give logits [N, K] = [", inputs.size(0), ", ",
              num_classes_, "], got ", outputs.shape(),
              " (BoostingOptions::num_classes sets K when some class has no example)");
  return outputs.argmax(1).to_vector<int64_t>();
}

void Boosting::fit(const Tensor& inputs, const Tensor& targets) {
  EMBER_CHECK(inputs.defined() && inputs.dim() >= 1 && inputs.size(0) >= 1,
              "Boosting: inputs must be [N, ...] with N >= 1, got ",
              inputs.defined() ? format_shape(inputs.shape()) : "undefined");
  EMBER_CHECK(targets.defined() && targets.dtype() == kInt64 && targets.dim() == 1 &&
                  targets.size(0) == inputs.size(0),
              "Boosting: targets must be int64 labels [", inputs.size(0), "], got ",
              targets.defined() ? dtype_name(targets.dtype()) : "undefined", " ",
              targets.defined() ? format_shape(targets.shape()) : "");
  const int64_t n = inputs.size(0);
  const std::vector<int64_t> labels = targets.to_vector<int64_t>();
  num_classes_ = class_count(labels, options_.num_classes);
  learners_.clear();
  learner_weights_.clear();
  errors_.clear();
  weight_history_.clear();
  stop_reason_ = BoostingStop::Rounds;

  const FitFunction fit_learner =
      options_.fit_function ? options_.fit_function : gradient_fit(options_.fit);
  const double chance_error = 1.0 - 1.0 / static_cast<double>(num_classes_);
  std::vector<double> weights(n, 1.0 / static_cast<double>(n));
  Generator generator(options_.seed);
  for (int64_t round = 0; round < options_.rounds; ++round) {
    std::shared_ptr<nn::Module> learner = make_model_();
    EMBER_CHECK(learner != nullptr, "Boosting: the model factory returned null");
    TrainingSet data{.inputs = inputs, .targets = targets};
    if (options_.weighting == BoostingWeighting::Loss) {
      data.weights = tensor(weights);
    } else {
      data.indices = data::WeightedRandomSampler(weights, n).indices(generator);
    }
    fit_learner(*learner, data, round);

    std::vector<int64_t> predictions = learner_predictions(*learner, inputs);
    const double error = weighted_error(weights, predictions, labels);
    if (error >= chance_error) {
      EMBER_CHECK(!learners_.empty(), "Boosting: the first learner is no better than chance: ",
                  "weighted error ", error, " >= 1 - 1/K = ", chance_error,
                  "; nothing to boost (train it longer or make it stronger)");
      stop_reason_ = BoostingStop::NoBetterThanChance;
      break;
    }

    // A perfect learner would get an infinite alpha; scikit-learn keeps it
    // with weight 1 and stops, since no example is left to reweight.
    const double alpha =
        error <= 0.0 ? 1.0
                     : options_.learning_rate * (std::log((1.0 - error) / error) +
                                                 std::log(static_cast<double>(num_classes_ - 1)));
    learners_.push_back(std::move(learner));
    learner_weights_.push_back(alpha);
    errors_.push_back(error);
    weight_history_.push_back(weights);
    if (error <= 0.0) {
      stop_reason_ = BoostingStop::PerfectLearner;
      break;
    }
    update_weights(weights, alpha, predictions, labels);
  }
  example_weights_ = std::move(weights);
}

Tensor Boosting::decision_function(const Tensor& inputs, int64_t rounds) const {
  EMBER_CHECK(!learners_.empty(), "Boosting: decision_function before fit");
  if (rounds < 0) rounds = size();
  EMBER_CHECK(rounds >= 1 && rounds <= size(), "Boosting: rounds must be in [1, ", size(),
              "], got ", rounds);
  const int64_t n = inputs.size(0);
  std::vector<double> votes(n * num_classes_, 0.0);
  double total = 0.0;
  for (int64_t m = 0; m < rounds; ++m) {
    std::vector<int64_t> predictions = learner_predictions(*learners_[m], inputs);
    for (int64_t i = 0; i < n; ++i) votes[i * num_classes_ + predictions[i]] += learner_weights_[m];
    total += learner_weights_[m];
  }
  for (double& vote : votes) vote /= total;
  return tensor(votes, {n, num_classes_});
}

Tensor Boosting::predict(const Tensor& inputs, int64_t rounds) const {
  return decision_function(inputs, rounds).argmax(1);
}

}  // namespace ember::train
