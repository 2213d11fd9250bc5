#include "optim/cosine_annealing_lr.h"

#include <cmath>
#include <numbers>

#include "framework/error.h"
#include "optim/detail/scheduler_state.h"
#include "optim/detail/rounded.h"

namespace ember::optim {

namespace {

constexpr double kPi = std::numbers::pi;

void check_t_max(const std::string& owner, int64_t t_max) {
  EMBER_CHECK(t_max >= 1, owner, ": T_max must be >= 1, got ", t_max);
}

void check_restart_options(const std::string& owner,
                           const CosineAnnealingWarmRestartsOptions& options) {
  EMBER_CHECK(options.t_0 >= 1, owner, ": T_0 must be a positive number of epochs, got ",
              options.t_0);
  EMBER_CHECK(options.t_mult >= 1, owner, ": T_mult must be >= 1, got ", options.t_mult);
}

int64_t integer_power(int64_t base, int64_t exponent) {
  int64_t result = 1;
  for (int64_t k = 0; k < exponent; ++k) result *= base;
  return result;
}

}  // namespace

// ---- CosineAnnealingLR ----

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min)
    : LRScheduler(optimizer, "CosineAnnealingLR"), t_max_(t_max), eta_min_(eta_min) {
  check_t_max("CosineAnnealingLR", t_max);
  initial_step();
}

std::vector<double> CosineAnnealingLR::compute_lrs() {
  const double t_max = static_cast<double>(t_max_);
  const double epoch = static_cast<double>(last_epoch_);
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    double lr = current_lr(group);
    if (last_epoch_ == 0) {
      lrs[group] = lr;
    } else if ((last_epoch_ - 1 - t_max_) % (2 * t_max_) == 0) {
      // One epoch past a minimum the recursive ratio would divide by zero;
      // step up from the minimum by the first step's size instead.
      lrs[group] = lr + (base_lrs_[group] - eta_min_) * (1 - std::cos(kPi / t_max)) / 2;
    } else {
      // The ratio of consecutive closed-form values, applied to the current rate.
      double ratio = (1 + std::cos(kPi * epoch / t_max)) /
                     (1 + std::cos(kPi * (epoch - 1) / t_max));
      lrs[group] = detail::rounded(ratio * (lr - eta_min_)) + eta_min_;
    }
  }
  return lrs;
}

void CosineAnnealingLR::save_fields(detail::StateWriter& out) const {
  out.put("T_max", t_max_);
  out.put("eta_min", eta_min_);
}

void CosineAnnealingLR::load_fields(const detail::StateReader& in) {
  int64_t t_max = in.integer("T_max");
  double eta_min = in.real("eta_min");
  check_t_max("CosineAnnealingLR.load_state_dict", t_max);
  t_max_ = t_max;
  eta_min_ = eta_min;
}

// ---- CosineAnnealingWarmRestarts ----

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(
    Optimizer& optimizer, CosineAnnealingWarmRestartsOptions options)
    : LRScheduler(optimizer, "CosineAnnealingWarmRestarts"), options_(options),
      t_i_(options.t_0), t_cur_(-1) {
  check_restart_options("CosineAnnealingWarmRestarts", options);
  initial_step();
}

void CosineAnnealingWarmRestarts::step() {
  check_groups();

  // The first step starts the first period at epoch 0, as step(0) would.
  if (last_epoch_ < 0) {
    step(0.0);
    return;
  }

  t_cur_ += 1;
  if (t_cur_ >= static_cast<double>(t_i_)) {
    t_cur_ -= static_cast<double>(t_i_);
    t_i_ *= options_.t_mult;
  }
  ++last_epoch_;
  apply_lrs(compute_lrs());
}

void CosineAnnealingWarmRestarts::step(double epoch) {
  check_groups();
  EMBER_CHECK(epoch >= 0, "CosineAnnealingWarmRestarts: expected a non-negative epoch, got ",
              epoch);
  const int64_t t_0 = options_.t_0;
  const int64_t t_mult = options_.t_mult;

  if (epoch < static_cast<double>(t_0)) {
    t_i_ = t_0;
    t_cur_ = epoch;
  } else if (t_mult == 1) {
    t_cur_ = std::fmod(epoch, static_cast<double>(t_0));
  } else {
    // The restart count n solves T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch,
    // evaluated as PyTorch does (math.log(x, base) is log(x) / log(base)).
    double growth = static_cast<double>(t_mult - 1);
    double x = detail::rounded(epoch / static_cast<double>(t_0) * growth) + 1;
    auto n = static_cast<int64_t>(std::log(x) / std::log(static_cast<double>(t_mult)));
    int64_t power = integer_power(t_mult, n);
    t_cur_ = epoch - static_cast<double>(t_0 * (power - 1)) / static_cast<double>(t_mult - 1);
    t_i_ = t_0 * power;
  }
  last_epoch_ = static_cast<int64_t>(std::floor(epoch));
  apply_lrs(compute_lrs());
}

std::vector<double> CosineAnnealingWarmRestarts::compute_lrs() {
  const double eta_min = options_.eta_min;
  const double cosine = 1 + std::cos(kPi * t_cur_ / static_cast<double>(t_i_));
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    lrs[group] = eta_min + (base_lrs_[group] - eta_min) * cosine / 2;
  }
  return lrs;
}

void CosineAnnealingWarmRestarts::save_fields(detail::StateWriter& out) const {
  out.put("T_0", options_.t_0);
  out.put("T_mult", options_.t_mult);
  out.put("eta_min", options_.eta_min);
  out.put("T_i", t_i_);
  out.put("T_cur", t_cur_);
}

void CosineAnnealingWarmRestarts::load_fields(const detail::StateReader& in) {
  const std::string owner = "CosineAnnealingWarmRestarts.load_state_dict";
  CosineAnnealingWarmRestartsOptions options{
      .t_0 = in.integer("T_0"), .t_mult = in.integer("T_mult"), .eta_min = in.real("eta_min")};
  int64_t t_i = in.integer("T_i");
  double t_cur = in.real("T_cur");
  check_restart_options(owner, options);
  EMBER_CHECK(t_i >= options.t_0, owner, ": T_i must be >= T_0 (", options.t_0, "), got ",
              t_i);
  options_ = options;
  t_i_ = t_i;
  t_cur_ = t_cur;
}

}  // namespace ember::optim
