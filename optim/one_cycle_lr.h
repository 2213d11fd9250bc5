#pragma once

// The 1cycle policy (Smith & Topin, "Super-Convergence", 2018) as PyTorch 1.13's
// OneCycleLR: the rate climbs from max_lr / div_factor to max_lr over the first
// pct_start of training, then anneals to max_lr / (div_factor * final_div_factor);
// momentum moves the opposite way. Step it after every batch.
//
//   optim::OneCycleLR scheduler(optimizer, {.max_lr = {0.1}, .total_steps = 1000});

#include <cstdint>
#include <optional>
#include <vector>

#include "optim/lr_scheduler.h"

namespace ember::optim {

enum class AnnealStrategy { Cos, Linear };

struct OneCycleLROptions {
  // Peak rate: one value for every group, or one per group. Required.
  std::vector<double> max_lr = {};
  // Steps in the cycle: total_steps, or else epochs * steps_per_epoch.
  std::optional<int64_t> total_steps = std::nullopt;
  std::optional<int64_t> epochs = std::nullopt;
  std::optional<int64_t> steps_per_epoch = std::nullopt;
  double pct_start = 0.3;  // share of the cycle spent raising the rate, in [0, 1]
  AnnealStrategy anneal_strategy = AnnealStrategy::Cos;
  // Drive the optimizer's momentum (beta1 for the Adam family) inversely to
  // the rate, between base_momentum and max_momentum (one value or one per group).
  bool cycle_momentum = true;
  std::vector<double> base_momentum = {0.85};
  std::vector<double> max_momentum = {0.95};
  double div_factor = 25.0;         // initial lr = max_lr / div_factor
  double final_div_factor = 1e4;    // min lr = initial lr / final_div_factor
  // Three phases (up to max_lr, back down to the initial rate symmetrically, then
  // to the minimum) instead of two (up, then down to the minimum).
  bool three_phase = false;
};

// Throws ember::Error when max_lr is missing or has the wrong count, the step
// count is absent or not positive, pct_start is outside [0, 1], a divisor is
// not positive, or cycle_momentum is set for an optimizer without momentum.
// step() throws once it would pass total_steps.
class OneCycleLR final : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);

  void step() override;

  int64_t total_steps() const { return total_steps_; }

 private:
  // Where each phase ends and the rates and momenta it moves between, per group.
  struct Phase {
    double end_step;
    const std::vector<double>* start_lr;
    const std::vector<double>* end_lr;
    const std::vector<double>* start_momentum;
    const std::vector<double>* end_momentum;
  };

  std::vector<Phase> phases() const;
  double anneal(double start, double end, double pct) const;
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  int64_t total_steps_;
  double pct_start_;
  AnnealStrategy anneal_strategy_;
  bool three_phase_;
  bool cycle_momentum_;
  // Per group, as PyTorch keeps them in the param groups.
  std::vector<double> max_lrs_;
  std::vector<double> min_lrs_;
  std::vector<double> max_momentums_;
  std::vector<double> base_momentums_;
};

}  // namespace ember::optim
