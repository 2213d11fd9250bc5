#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/bootstrap.h"
#include "framework/tensor.h"
#include "nn/module.h"
#include "train/fit.h"

namespace ember::train {

// How Bagging combines its members' outputs.
enum class Aggregation {
  // Each member's argmax is one vote; the scores are vote shares [N, C] and
  // a tie goes to the lower class.
  Vote,
  // The mean of the members' softmax probabilities [N, C] (soft voting).
  AverageProbabilities,
  // The mean of the raw outputs [N, ...]: regression.
  AverageOutputs,
};

struct BaggingOptions {
  int64_t members = 10;
  // Each member trains on a bootstrap sample (N rows drawn with
  // replacement); off: every member trains on all rows once, and members
  // differ only by their initialization and shuffle order.
  bool bootstrap = true;
  Aggregation aggregation = Aggregation::AverageProbabilities;
  // Seeds the bootstrap draws: member m takes the m-th sample drawn from
  // Generator(seed).
  uint64_t seed = 0;
  // Trains the members concurrently, one per thread of set_num_threads, each
  // member's ops on its own thread; off: one member after another, each
  // using every thread. Concurrent members suit small models, whose ops are
  // too small to split across threads. A model that draws from
  // default_generator() while training (Dropout without a generator of its
  // own) gets different draws from run to run when concurrent.
  bool parallel = true;
  // How each member trains: gradient_fit(fit), seeding member m's order with
  // fit.seed + m, unless fit_function is given.
  FitOptions fit = {};
  FitFunction fit_function = nullptr;
};

// Bootstrap aggregation (Breiman 1996): `members` models from one factory,
// each trained on its own bootstrap sample, predicting together.
//
//   train::Bagging bagging(make_model, {.members = 10, .fit = {.epochs = 5}});
//   bagging.fit(x_train, y_train);            // int64 labels [N]
//   Tensor labels = bagging.predict_classes(x_test);
//   double oob = bagging.oob_score();         // accuracy on unseen rows
//
// The models are built one after another in member order (so their
// initializations follow default_generator(), seeded by manual_seed) before
// any trains. Scores: accuracy for Vote and AverageProbabilities (targets
// int64 labels [N]), R^2 = 1 - SS_res / SS_tot over every element for
// AverageOutputs (targets of the outputs' shape), as scikit-learn's.
class Bagging {
 public:
  // Throws ember::Error for a null factory or members < 1.
  explicit Bagging(ModelFactory make_model, BaggingOptions options = {});

  // Trains options.members fresh models on inputs [N, ...] and targets
  // [N, ...], replacing those of an earlier fit, then scores each on the
  // rows it did not draw. Throws what fit() throws, and ember::Error when
  // the factory returns null or a member's outputs do not fit the targets.
  void fit(const Tensor& inputs, const Tensor& targets);

  // The aggregated outputs of the first `members` members (-1: all) for
  // inputs [N, ...]: float [N, C] class scores (vote shares or mean
  // probabilities) or the mean outputs [N, ...] (AverageOutputs). Throws
  // ember::Error before fit() or for a count outside [1, size()].
  Tensor predict(const Tensor& inputs, int64_t members = -1) const;
  // argmax of predict over the classes: int64 [N]. Throws ember::Error for
  // AverageOutputs.
  Tensor predict_classes(const Tensor& inputs, int64_t members = -1) const;

  int64_t size() const { return static_cast<int64_t>(members_.size()); }
  const std::vector<std::shared_ptr<nn::Module>>& members() const { return members_; }
  // Each member's bootstrap sample (the rows it drew and those it left out);
  // empty without bootstrap.
  const std::vector<data::BootstrapSample>& samples() const { return samples_; }

  // Each member's score on the rows it did not draw; NaN without bootstrap
  // or for a member that drew every row.
  const std::vector<double>& member_oob_scores() const { return member_oob_scores_; }
  // The ensemble's score where each training row is predicted only by the
  // members that did not draw it; rows that every member drew are left out.
  // NaN without bootstrap or when no row was left out by any member.
  double oob_score() const { return oob_score_; }
  // The training rows oob_score() covers.
  int64_t oob_count() const { return oob_count_; }
  // Those rows' aggregated out-of-bag outputs (as predict's), one row per
  // training row, float64; NaN rows where every member drew the row. Undefined
  // without bootstrap.
  const Tensor& oob_prediction() const { return oob_prediction_; }

  const BaggingOptions& options() const { return options_; }

 private:
  Tensor member_scores(nn::Module& member, const Tensor& inputs) const;

  ModelFactory make_model_;
  BaggingOptions options_;
  std::vector<std::shared_ptr<nn::Module>> members_;
  std::vector<data::BootstrapSample> samples_;
  std::vector<double> member_oob_scores_;
  double oob_score_ = 0.0;
  int64_t oob_count_ = 0;
  Tensor oob_prediction_;
};

}  // namespace ember::train
