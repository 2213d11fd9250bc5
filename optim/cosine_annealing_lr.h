#pragma once

// Cosine schedules of SGDR (Loshchilov & Hutter, 2017): CosineAnnealingLR
// follows one half cosine from the base rate down to eta_min;
// CosineAnnealingWarmRestarts jumps back to the base rate at the end of each
// period, each period T_mult times longer than the one before.

#include <cstdint>

#include "optim/lr_scheduler.h"

namespace ember::optim {

// lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2,
// computed recursively from the group's current rate as PyTorch 1.13 does, so
// it chains with other schedules; past T_max the rate climbs back up.
// Throws ember::Error when t_max < 1.
class CosineAnnealingLR final : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0.0);

 private:
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  int64_t t_max_;
  double eta_min_;
};

struct CosineAnnealingWarmRestartsOptions {
  int64_t t_0 = 0;       // epochs in the first period (required, >= 1)
  int64_t t_mult = 1;    // growth of each period over the last (>= 1)
  double eta_min = 0.0;  // the rate at the end of every period
};

// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, where
// T_cur counts epochs since the last restart and T_i is the current period.
// Throws ember::Error when t_0 < 1 or t_mult < 1.
class CosineAnnealingWarmRestarts final : public LRScheduler {
 public:
  CosineAnnealingWarmRestarts(Optimizer& optimizer, CosineAnnealingWarmRestartsOptions options);

  // The next epoch.
  void step() override;
  // Jumps to a (possibly fractional) epoch, e.g. epoch + batch / batches_per_epoch
  // to anneal within epochs. Throws ember::Error when epoch is negative or NaN.
  void step(double epoch);

  // Epochs since the last restart (fractional after step(epoch)).
  double t_cur() const { return t_cur_; }
  // The length of the current period.
  int64_t t_i() const { return t_i_; }

 private:
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  CosineAnnealingWarmRestartsOptions options_;
  int64_t t_i_;
  double t_cur_;
};

}  // namespace ember::optim
