#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "framework/tensor.h"
#include "nn/module.h"
#include "train/fit.h"

namespace ember::train {

// How a boosting round hands the example weights to its learner.
enum class BoostingWeighting {
  // The learner trains on every example once, each loss scaled by its
  // weight (fit's TrainingSet::weights).
  Loss,
  // The learner trains on N examples drawn with replacement, each with
  // probability equal to its weight, unweighted.
  Resample,
};

// Why Boosting::fit stopped.
enum class BoostingStop {
  Rounds,            // every round ran
  PerfectLearner,    // a learner made no weighted error
  NoBetterThanChance,  // a learner's error reached 1 - 1/K; it was dropped
};

struct BoostingOptions {
  int64_t rounds = 10;
  // K; 0: one more than the largest label.
  int64_t num_classes = 0;
  BoostingWeighting weighting = BoostingWeighting::Loss;
  // Scales every learner weight alpha (scikit-learn's learning_rate): (0, inf).
  double learning_rate = 1.0;
  // Seeds the draws of Resample: round m takes the m-th draw from Generator(seed).
  uint64_t seed = 0;
  // How each learner trains: gradient_fit(fit), seeding round m's order with
  // fit.seed + m, unless fit_function is given.
  FitOptions fit = {};
  FitFunction fit_function = nullptr;
};

// Multi-class AdaBoost, SAMME (Zhu, Zou, Rosset, Hastie 2009), with
// scikit-learn 1.2's AdaBoostClassifier(algorithm="SAMME") rules:
//   w_i = 1/N; for each round m:
//     train learner m with weights w; miss_i = [prediction_i != y_i]
//     err_m = sum_i w_i miss_i / sum_i w_i
//     err_m == 0:          keep it with alpha_m = 1 and stop
//     err_m >= 1 - 1/K:    drop it and stop (the first learner: throw)
//     alpha_m = learning_rate * (log((1 - err_m) / err_m) + log(K - 1))
//     w_i *= exp(alpha_m miss_i), then w /= sum(w)
//   decision(x) = sum_m alpha_m onehot(prediction_m(x)) / sum_m alpha_m
//   predict(x) = argmax decision(x), ties to the lower class
//
//   train::Boosting boosting(make_model, {.rounds = 10, .fit = {.epochs = 2}});
//   boosting.fit(x_train, labels);
//   Tensor predicted = boosting.predict(x_test);
//
// Learners are built by the factory one per round (from default_generator(),
// seeded by manual_seed) and train one after another, each with every thread.
class Boosting {
 public:
  // Throws ember::Error for a null factory, rounds < 1, num_classes of 1 or
  // negative, or a learning_rate that is not positive and finite.
  explicit Boosting(ModelFactory make_model, BoostingOptions options = {});

  // Runs the rounds on inputs [N, ...] and int64 labels [N], replacing any
  // earlier fit. Throws what fit() throws, and ember::Error for labels
  // outside [0, K), K < 2, learners whose outputs are not [N, K], or a first
  // learner no better than chance.
  void fit(const Tensor& inputs, const Tensor& targets);

  // The learners' weighted votes normalized by the sum of their weights,
  // float64 [N, K], using the first `rounds` learners (-1: all). Throws
  // ember::Error before fit() or for a count outside [1, size()].
  Tensor decision_function(const Tensor& inputs, int64_t rounds = -1) const;
  // argmax of decision_function: int64 [N].
  Tensor predict(const Tensor& inputs, int64_t rounds = -1) const;

  // The learners kept, in round order.
  int64_t size() const { return static_cast<int64_t>(learners_.size()); }
  const std::vector<std::shared_ptr<nn::Module>>& learners() const { return learners_; }
  // alpha_m of each kept learner.
  const std::vector<double>& learner_weights() const { return learner_weights_; }
  // err_m of each kept learner: its weighted training error.
  const std::vector<double>& errors() const { return errors_; }
  // The example weights [N] (summing to 1) each kept learner trained with.
  const std::vector<std::vector<double>>& weight_history() const { return weight_history_; }
  // The example weights after the last kept learner's update.
  const std::vector<double>& example_weights() const { return example_weights_; }
  BoostingStop stop_reason() const { return stop_reason_; }
  int64_t num_classes() const { return num_classes_; }
  const BoostingOptions& options() const { return options_; }

 private:
  // Learner's predicted classes for inputs, checked against K.
  std::vector<int64_t> learner_predictions(nn::Module& learner, const Tensor& inputs) const;

  ModelFactory make_model_;
  BoostingOptions options_;
  int64_t num_classes_ = 0;
  std::vector<std::shared_ptr<nn::Module>> learners_;
  std::vector<double> learner_weights_;
  std::vector<double> errors_;
  std::vector<std::vector<double>> weight_history_;
  std::vector<double> example_weights_;
  BoostingStop stop_reason_ = BoostingStop::Rounds;
};

}  // namespace ember::train
