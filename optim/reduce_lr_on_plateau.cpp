#include "optim/reduce_lr_on_plateau.h"

#include <algorithm>
#include <limits>
#include <string>

#include "framework/error.h"
#include "optim/detail/scheduler_state.h"

namespace ember::optim {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

void check_options(const std::string& owner, const ReduceLROnPlateauOptions& options) {
  EMBER_CHECK(options.factor >= 0 && options.factor < 1, owner,
              ": factor must be in [0, 1) so the rate shrinks, got ", options.factor);
  EMBER_CHECK(options.patience >= 0, owner, ": patience must be >= 0, got ",
              options.patience);
  EMBER_CHECK(options.cooldown >= 0, owner, ": cooldown must be >= 0, got ",
              options.cooldown);
  EMBER_CHECK(options.threshold >= 0, owner, ": threshold must be >= 0, got ",
              options.threshold);
  EMBER_CHECK(options.eps >= 0, owner, ": eps must be >= 0, got ", options.eps);
}

const char* mode_name(PlateauMode mode) { return mode == PlateauMode::Min ? "min" : "max"; }

const char* threshold_mode_name(ThresholdMode mode) {
  return mode == ThresholdMode::Rel ? "rel" : "abs";
}

}  // namespace

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(std::move(options)) {
  check_options("ReduceLROnPlateau", options_);
  const size_t groups = optimizer.num_param_groups();
  EMBER_CHECK(options_.min_lr.size() == 1 || options_.min_lr.size() == groups,
              "ReduceLROnPlateau: expected 1 or ", groups,
              " values for min_lr (one per param group), got ", options_.min_lr.size());
  min_lrs_ = options_.min_lr.size() == 1 ? std::vector<double>(groups, options_.min_lr[0])
                                         : options_.min_lr;

  best_ = options_.mode == PlateauMode::Min ? kInfinity : -kInfinity;
  for (size_t group = 0; group < groups; ++group) last_lr_.push_back(optimizer.lr(group));
}

bool ReduceLROnPlateau::is_better(double metric) const {
  const double threshold = options_.threshold;
  const bool relative = options_.threshold_mode == ThresholdMode::Rel;
  if (options_.mode == PlateauMode::Min) {
    return relative ? metric < best_ * (1. - threshold) : metric < best_ - threshold;
  }
  return relative ? metric > best_ * (threshold + 1.) : metric > best_ + threshold;
}

void ReduceLROnPlateau::step(double metric) {
  EMBER_CHECK(optimizer_.num_param_groups() == min_lrs_.size(),
              "ReduceLROnPlateau: the optimizer has ", optimizer_.num_param_groups(),
              " param groups but the scheduler was built for ", min_lrs_.size());
  ++last_epoch_;

  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }

  // Epochs right after a cut do not count against the new rate.
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }

  if (num_bad_epochs_ > options_.patience) {
    reduce_lr();
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }

  for (size_t group = 0; group < last_lr_.size(); ++group) {
    last_lr_[group] = optimizer_.lr(group);
  }
}

void ReduceLROnPlateau::reduce_lr() {
  for (size_t group = 0; group < min_lrs_.size(); ++group) {
    double old_lr = optimizer_.lr(group);
    double new_lr = std::max(old_lr * options_.factor, min_lrs_[group]);
    if (old_lr - new_lr > options_.eps) optimizer_.set_lr(group, new_lr);
  }
}

StateDict ReduceLROnPlateau::state_dict() const {
  StateDict state;
  detail::StateWriter out(state);
  out.put("scheduler", std::string("ReduceLROnPlateau"));
  out.put("mode", std::string(mode_name(options_.mode)));
  out.put("factor", options_.factor);
  out.put("patience", options_.patience);
  out.put("threshold", options_.threshold);
  out.put("threshold_mode", std::string(threshold_mode_name(options_.threshold_mode)));
  out.put("cooldown", options_.cooldown);
  out.put("min_lrs", min_lrs_);
  out.put("eps", options_.eps);
  out.put("best", best_);
  out.put("num_bad_epochs", num_bad_epochs_);
  out.put("cooldown_counter", cooldown_counter_);
  out.put("last_epoch", last_epoch_);
  out.put("_last_lr", last_lr_);
  return state;
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
  const std::string owner = "ReduceLROnPlateau.load_state_dict";
  detail::StateReader in(state, owner);
  const std::string& kind = in.word("scheduler");
  EMBER_CHECK(kind == "ReduceLROnPlateau", owner, ": the state was saved by a ", kind,
              ", not a ReduceLROnPlateau");
  const std::string& mode = in.word("mode");
  const std::string& threshold_mode = in.word("threshold_mode");
  EMBER_CHECK(mode == "min" || mode == "max", owner, ": mode must be min or max, got '", mode,
              "'");
  EMBER_CHECK(threshold_mode == "rel" || threshold_mode == "abs", owner,
              ": threshold_mode must be rel or abs, got '", threshold_mode, "'");

  ReduceLROnPlateauOptions options{
      .mode = mode == "min" ? PlateauMode::Min : PlateauMode::Max,
      .factor = in.real("factor"),
      .patience = in.integer("patience"),
      .threshold = in.real("threshold"),
      .threshold_mode = threshold_mode == "rel" ? ThresholdMode::Rel : ThresholdMode::Abs,
      .cooldown = in.integer("cooldown"),
      .min_lr = in.reals("min_lrs", min_lrs_.size()),
      .eps = in.real("eps")};
  check_options(owner, options);
  double best = in.real("best");
  int64_t num_bad_epochs = in.integer("num_bad_epochs");
  int64_t cooldown_counter = in.integer("cooldown_counter");
  int64_t last_epoch = in.integer("last_epoch");
  std::vector<double> last_lr = in.reals("_last_lr", min_lrs_.size());

  min_lrs_ = options.min_lr;
  options_ = std::move(options);
  best_ = best;
  num_bad_epochs_ = num_bad_epochs;
  cooldown_counter_ = cooldown_counter;
  last_epoch_ = last_epoch;
  last_lr_ = std::move(last_lr);
}

}  // namespace ember::optim
