#include "optim/one_cycle_lr.h"

#include <cmath>
#include <numbers>
#include <string>

#include "framework/error.h"
#include "optim/detail/scheduler_state.h"
#include "optim/detail/rounded.h"

namespace ember::optim {

namespace {

// One value for every group, or one per group.
std::vector<double> per_group(const std::vector<double>& values, size_t groups,
                              const char* option) {
  EMBER_CHECK(values.size() == 1 || values.size() == groups, "OneCycleLR: expected 1 or ",
              groups, " values for ", option, " (one per param group), got ", values.size());
  return values.size() == 1 ? std::vector<double>(groups, values[0]) : values;
}

int64_t resolve_total_steps(const OneCycleLROptions& options) {
  if (options.total_steps) {
    EMBER_CHECK(*options.total_steps > 0, "OneCycleLR: total_steps must be positive, got ",
                *options.total_steps);
    return *options.total_steps;
  }
  EMBER_CHECK(options.epochs && options.steps_per_epoch,
              "OneCycleLR: set total_steps, or both epochs and steps_per_epoch");
  EMBER_CHECK(*options.epochs > 0, "OneCycleLR: epochs must be positive, got ",
              *options.epochs);
  EMBER_CHECK(*options.steps_per_epoch > 0,
              "OneCycleLR: steps_per_epoch must be positive, got ", *options.steps_per_epoch);
  return *options.epochs * *options.steps_per_epoch;
}

void check_pct_start(const std::string& owner, double pct_start) {
  EMBER_CHECK(pct_start >= 0 && pct_start <= 1, owner, ": pct_start must be in [0, 1], got ",
              pct_start);
}

// Momentum cycling needs something to drive: SGD/RMSprop momentum or Adam's beta1.
void check_has_momentum(const std::string& owner, const Optimizer& optimizer) {
  for (size_t group = 0; group < optimizer.num_param_groups(); ++group) {
    EMBER_CHECK(optimizer.momentum(group).has_value(), owner,
                ": cycle_momentum needs an optimizer with momentum or betas, but param group ",
                group, " has none; set cycle_momentum = false");
  }
}

const char* strategy_name(AnnealStrategy strategy) {
  return strategy == AnnealStrategy::Cos ? "cos" : "linear";
}

}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options)
    : LRScheduler(optimizer, "OneCycleLR"),
      total_steps_(resolve_total_steps(options)),
      pct_start_(options.pct_start),
      anneal_strategy_(options.anneal_strategy),
      three_phase_(options.three_phase),
      cycle_momentum_(options.cycle_momentum) {
  check_pct_start("OneCycleLR", pct_start_);
  EMBER_CHECK(!options.max_lr.empty(), "OneCycleLR: max_lr is required");
  EMBER_CHECK(options.div_factor > 0 && options.final_div_factor > 0,
              "OneCycleLR: div_factor and final_div_factor must be positive, got ",
              options.div_factor, " and ", options.final_div_factor);

  // The cycle starts from max_lr / div_factor whatever rate the groups held.
  max_lrs_ = per_group(options.max_lr, num_groups(), "max_lr");
  for (size_t group = 0; group < num_groups(); ++group) {
    base_lrs_[group] = max_lrs_[group] / options.div_factor;
    min_lrs_.push_back(base_lrs_[group] / options.final_div_factor);
  }

  if (cycle_momentum_) {
    check_has_momentum("OneCycleLR", optimizer);
    max_momentums_ = per_group(options.max_momentum, num_groups(), "max_momentum");
    base_momentums_ = per_group(options.base_momentum, num_groups(), "base_momentum");
    for (size_t group = 0; group < num_groups(); ++group) {
      optimizer.set_momentum(group, max_momentums_[group]);
    }
  }
  initial_step();
}

void OneCycleLR::step() {
  EMBER_CHECK(last_epoch_ + 1 <= total_steps_, "OneCycleLR: tried to step ", last_epoch_ + 2,
              " times; the cycle has total_steps = ", total_steps_);
  LRScheduler::step();
}

std::vector<OneCycleLR::Phase> OneCycleLR::phases() const {
  const double total = static_cast<double>(total_steps_);
  const double warm_up_end = detail::rounded(pct_start_ * total) - 1;
  if (three_phase_) {
    const double down_end = detail::rounded(2 * pct_start_ * total) - 2;
    return {
        {warm_up_end, &base_lrs_, &max_lrs_, &max_momentums_, &base_momentums_},
        {down_end, &max_lrs_, &base_lrs_, &base_momentums_, &max_momentums_},
        {total - 1, &base_lrs_, &min_lrs_, &max_momentums_, &max_momentums_},
    };
  }
  return {
      {warm_up_end, &base_lrs_, &max_lrs_, &max_momentums_, &base_momentums_},
      {total - 1, &max_lrs_, &min_lrs_, &base_momentums_, &max_momentums_},
  };
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (anneal_strategy_ == AnnealStrategy::Linear) {
    return detail::rounded((end - start) * pct) + start;
  }
  double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + detail::rounded((start - end) / 2.0 * cos_out);
}

std::vector<double> OneCycleLR::compute_lrs() {
  const double step = static_cast<double>(last_epoch_);
  const std::vector<Phase> schedule = phases();

  // The phase holding this step (the last one also takes any step past its end).
  size_t index = 0;
  double start_step = 0;
  while (index + 1 < schedule.size() && step > schedule[index].end_step) {
    start_step = schedule[index].end_step;
    ++index;
  }
  const Phase& phase = schedule[index];
  EMBER_CHECK(phase.end_step != start_step, "OneCycleLR: phase ", index + 1,
              " of the cycle spans no steps (pct_start ", pct_start_, ", total_steps ",
              total_steps_, "); change pct_start or total_steps");
  const double pct = (step - start_step) / (phase.end_step - start_step);

  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    lrs[group] = anneal((*phase.start_lr)[group], (*phase.end_lr)[group], pct);
    if (cycle_momentum_) {
      optimizer_.set_momentum(group, anneal((*phase.start_momentum)[group],
                                            (*phase.end_momentum)[group], pct));
    }
  }
  return lrs;
}

void OneCycleLR::save_fields(detail::StateWriter& out) const {
  out.put("total_steps", total_steps_);
  out.put("pct_start", pct_start_);
  out.put("anneal_strategy", std::string(strategy_name(anneal_strategy_)));
  out.put("three_phase", three_phase_);
  out.put("cycle_momentum", cycle_momentum_);
  out.put("max_lrs", max_lrs_);
  out.put("min_lrs", min_lrs_);
  out.put("max_momentums", max_momentums_);
  out.put("base_momentums", base_momentums_);
}

void OneCycleLR::load_fields(const detail::StateReader& in) {
  const std::string owner = "OneCycleLR.load_state_dict";
  int64_t total_steps = in.integer("total_steps");
  double pct_start = in.real("pct_start");
  const std::string& strategy = in.word("anneal_strategy");
  bool three_phase = in.flag("three_phase");
  bool cycle_momentum = in.flag("cycle_momentum");
  std::vector<double> max_lrs = in.reals("max_lrs", num_groups());
  std::vector<double> min_lrs = in.reals("min_lrs", num_groups());
  size_t momenta = cycle_momentum ? num_groups() : 0;
  std::vector<double> max_momentums = in.reals("max_momentums", momenta);
  std::vector<double> base_momentums = in.reals("base_momentums", momenta);

  EMBER_CHECK(total_steps > 0, owner, ": total_steps must be positive, got ", total_steps);
  check_pct_start(owner, pct_start);
  EMBER_CHECK(strategy == "cos" || strategy == "linear", owner,
              ": anneal_strategy must be cos or linear, got '", strategy, "'");
  if (cycle_momentum) check_has_momentum(owner, optimizer_);

  total_steps_ = total_steps;
  pct_start_ = pct_start;
  anneal_strategy_ = strategy == "cos" ? AnnealStrategy::Cos : AnnealStrategy::Linear;
  three_phase_ = three_phase;
  cycle_momentum_ = cycle_momentum;
  max_lrs_ = std::move(max_lrs);
  min_lrs_ = std::move(min_lrs);
  max_momentums_ = std::move(max_momentums);
  base_momentums_ = std::move(base_momentums);
}

}  // namespace ember::optim
