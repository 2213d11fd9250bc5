// EarlyStopping: when it stops (patience, min_delta, mode), and that the
// weights it restores are those of the best epoch.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "helpers.h"
#include "nn/linear.h"
#include "train/early_stopping.h"

namespace {

using ember::Error;
using ember::Tensor;
using ember_test::ErrorMentions;
using namespace ember::train;

// Steps through `metrics`; returns the 0-based epoch at which step() first
// said stop, or -1 when it never did.
int64_t stop_epoch(EarlyStopping& stopper, ember::nn::Module& model,
                   const std::vector<double>& metrics) {
  for (size_t epoch = 0; epoch < metrics.size(); ++epoch) {
    if (stopper.step(metrics[epoch], model)) return static_cast<int64_t>(epoch);
  }
  return -1;
}

}  // namespace

TEST_CASE("early stopping stops after patience epochs without improvement", "[train]") {
  ember::nn::Linear model(2, 1);
  EarlyStopping stopper({.patience = 2, .restore_best_weights = false});

  int64_t stopped = stop_epoch(stopper, *model, {1.0, 0.8, 0.9, 0.7, 0.75, 0.71, 0.6});

  CHECK(stopped == 5);
  CHECK(stopper.best() == 0.7);
  CHECK(stopper.best_epoch() == 3);
  CHECK(stopper.epochs_without_improvement() == 2);
  CHECK(stopper.should_stop());
}

TEST_CASE("early stopping with patience 0 stops at the first epoch that does not improve",
          "[train]") {
  ember::nn::Linear model(2, 1);
  EarlyStopping stopper({.patience = 0, .restore_best_weights = false});

  CHECK(stop_epoch(stopper, *model, {3.0, 2.0, 2.0, 1.0}) == 2);
}

TEST_CASE("early stopping counts changes below min_delta as no improvement", "[train]") {
  ember::nn::Linear model(2, 1);
  EarlyStopping stopper({.patience = 2, .min_delta = 0.1, .restore_best_weights = false});

  // 0.95 is within 0.1 of 1.0, as 0.80 and 0.76 are of 0.85.
  CHECK(stop_epoch(stopper, *model, {1.0, 0.95, 0.85, 0.80, 0.76}) == 4);
  CHECK(stopper.best() == 0.85);
  CHECK(stopper.best_epoch() == 2);
}

TEST_CASE("early stopping in max mode waits for a larger metric", "[train]") {
  ember::nn::Linear model(2, 1);
  EarlyStopping stopper({.monitor = "val_acc", .mode = Mode::Max, .patience = 1,
                         .restore_best_weights = false});

  CHECK(stop_epoch(stopper, *model, {0.5, 0.7, 0.8, 0.8, 0.9}) == 3);
  CHECK(stopper.best() == 0.8);
}

TEST_CASE("a NaN metric never counts as an improvement", "[train]") {
  ember::nn::Linear model(2, 1);
  EarlyStopping stopper({.patience = 1, .restore_best_weights = false});
  double nan = std::numeric_limits<double>::quiet_NaN();

  CHECK(stop_epoch(stopper, *model, {1.0, nan}) == 1);
  CHECK(stopper.best() == 1.0);
}

TEST_CASE("early stopping restores the weights of the best epoch when it stops", "[train]") {
  ember::nn::Linear model(3, 2);
  EarlyStopping stopper({.patience = 2});
  std::vector<double> losses = {0.9, 0.5, 0.6, 0.7};
  std::vector<float> best_weight;

  // Each epoch "trains" by setting the weights to the epoch number.
  bool stopped = false;
  for (size_t epoch = 0; epoch < losses.size() && !stopped; ++epoch) {
    {
      ember::NoGradGuard no_grad;
      model->weight.fill_(static_cast<double>(epoch));
      model->bias.fill_(-static_cast<double>(epoch));
    }
    if (epoch == 1) best_weight = model->weight.to_vector<float>();
    stopped = stopper.step(losses[epoch], *model);
  }

  CHECK(stopped);
  CHECK(stopper.best_epoch() == 1);
  CHECK(model->weight.to_vector<float>() == best_weight);
  CHECK(model->bias.to_vector<float>() == std::vector<float>{-1.f, -1.f});
}

TEST_CASE("restore_best_weights loads the best copy on demand", "[train]") {
  ember::nn::Linear model(2, 2);
  EarlyStopping stopper({.patience = 5});
  {
    ember::NoGradGuard no_grad;
    model->weight.fill_(1.0);
  }
  stopper.step(0.3, *model);
  {
    ember::NoGradGuard no_grad;
    model->weight.fill_(2.0);
  }
  stopper.step(0.4, *model);

  stopper.restore_best_weights(*model);

  CHECK(model->weight.to_vector<float>() == std::vector<float>(4, 1.f));
}

TEST_CASE("restore_best_weights refuses when nothing was kept", "[train]") {
  ember::nn::Linear model(2, 2);
  EarlyStopping without_copies({.restore_best_weights = false});
  EarlyStopping fresh;

  without_copies.step(1.0, *model);

  CHECK_THROWS_MATCHES(without_copies.restore_best_weights(*model), Error,
                       ErrorMentions({"restore_best_weights = true"}));
  CHECK_THROWS_MATCHES(fresh.restore_best_weights(*model), Error,
                       ErrorMentions({"val_loss has not improved"}));
  CHECK_THROWS_MATCHES(EarlyStopping({.patience = -1}), Error, ErrorMentions({"patience"}));
}

TEST_CASE("early stopping resumes from its state_dict where it left off", "[train]") {
  ember::nn::Linear model(2, 2);
  EarlyStopping first({.patience = 2});
  first.step(1.0, *model);
  first.step(0.5, *model);
  first.step(0.7, *model);

  EarlyStopping resumed({.patience = 2});
  resumed.load_state_dict(first.state_dict());

  CHECK(resumed.best() == 0.5);
  CHECK(resumed.best_epoch() == 1);
  CHECK(resumed.epochs_without_improvement() == 1);
  CHECK(resumed.best_state().size() == 2);
  CHECK(resumed.step(0.6, *model));
  CHECK_THROWS_MATCHES(EarlyStopping({.mode = Mode::Max}).load_state_dict(first.state_dict()),
                       Error, ErrorMentions({"monitors val_loss (min)"}));
}
