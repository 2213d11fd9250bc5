#include "optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "framework/error.h"
#include "optim/detail/scheduler_state.h"
#include "optim/detail/rounded.h"

namespace ember::optim {

namespace {

void check_gamma(const std::string& scheduler, double gamma) {
  EMBER_CHECK(std::isfinite(gamma) && gamma >= 0, scheduler,
              ": gamma must be a finite non-negative factor, got ", gamma);
}

void check_milestones(const std::vector<int64_t>& milestones) {
  for (size_t k = 1; k < milestones.size(); ++k) {
    EMBER_CHECK(milestones[k - 1] <= milestones[k],
                "MultiStepLR: milestones must be in increasing order, got ",
                milestones[k - 1], " before ", milestones[k]);
  }
}

void check_linear_options(const LinearLROptions& options) {
  EMBER_CHECK(options.start_factor > 0 && options.start_factor <= 1,
              "LinearLR: start_factor must be in (0, 1], got ", options.start_factor);
  EMBER_CHECK(options.end_factor >= 0 && options.end_factor <= 1,
              "LinearLR: end_factor must be in [0, 1], got ", options.end_factor);
  EMBER_CHECK(options.total_iters >= 0, "LinearLR: total_iters must be >= 0, got ",
              options.total_iters);
}

}  // namespace

// ---- LRScheduler ----

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name)
    : optimizer_(optimizer), name_(std::move(name)) {
  for (size_t group = 0; group < optimizer.num_param_groups(); ++group) {
    base_lrs_.push_back(optimizer.lr(group));
  }
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::step() {
  check_groups();
  ++last_epoch_;
  std::vector<double> lrs;
  try {
    lrs = compute_lrs();
  } catch (...) {
    --last_epoch_;  // a schedule that cannot go on stays where it was
    throw;
  }
  try {
    apply_lrs(lrs);
  } catch (...) {
    --last_epoch_;
    throw;
  }
  ++step_count_;
}

void LRScheduler::check_groups() const {
  EMBER_CHECK(optimizer_.num_param_groups() == num_groups(), name_, ": the optimizer has ",
              optimizer_.num_param_groups(), " param groups but the scheduler was built for ",
              num_groups(), "; build a new scheduler after adding groups");
}

void LRScheduler::apply_lrs(const std::vector<double>& lrs) {
  EMBER_ASSERT(lrs.size() == num_groups());

  // All or nothing: a rate the optimizer refuses (NaN from a lambda, say)
  // leaves every group at its previous rate.
  std::vector<double> previous(lrs.size());
  for (size_t group = 0; group < lrs.size(); ++group) previous[group] = optimizer_.lr(group);
  try {
    for (size_t group = 0; group < lrs.size(); ++group) optimizer_.set_lr(group, lrs[group]);
  } catch (...) {
    for (size_t group = 0; group < lrs.size(); ++group) optimizer_.set_lr(group, previous[group]);
    throw;
  }
  last_lr_ = lrs;
}

StateDict LRScheduler::state_dict() const {
  StateDict state;
  detail::StateWriter out(state);
  out.put("scheduler", name_);
  out.put("base_lrs", base_lrs_);
  out.put("last_epoch", last_epoch_);
  out.put("_step_count", step_count_);
  out.put("_last_lr", last_lr_);
  save_fields(out);
  return state;
}

void LRScheduler::load_state_dict(const StateDict& state) {
  const std::string owner = name_ + ".load_state_dict";
  detail::StateReader in(state, owner);
  const std::string& kind = in.word("scheduler");
  EMBER_CHECK(kind == name_, owner, ": the state was saved by a ", kind, ", not a ", name_);
  std::vector<double> base_lrs = in.reals("base_lrs", num_groups());
  int64_t last_epoch = in.integer("last_epoch");
  int64_t step_count = in.integer("_step_count");
  std::vector<double> last_lr = in.reals("_last_lr", num_groups());

  load_fields(in);

  base_lrs_ = std::move(base_lrs);
  last_epoch_ = last_epoch;
  step_count_ = step_count;
  last_lr_ = std::move(last_lr);
}

// ---- LambdaLR ----

LambdaLR::LambdaLR(Optimizer& optimizer, Lambda lr_lambda)
    : LambdaLR(optimizer, std::vector<Lambda>(optimizer.num_param_groups(), lr_lambda)) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer, "LambdaLR"), lr_lambdas_(std::move(lr_lambdas)) {
  EMBER_CHECK(lr_lambdas_.size() == num_groups(), "LambdaLR: expected ", num_groups(),
              " lr_lambdas (one per param group), got ", lr_lambdas_.size());
  for (size_t group = 0; group < lr_lambdas_.size(); ++group) {
    EMBER_CHECK(static_cast<bool>(lr_lambdas_[group]), "LambdaLR: lr_lambda for group ",
                group, " is empty");
  }
  initial_step();
}

std::vector<double> LambdaLR::compute_lrs() {
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    lrs[group] = base_lrs_[group] * lr_lambdas_[group](last_epoch_);
  }
  return lrs;
}

// ---- StepLR ----

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size >= 1, "StepLR: step_size must be >= 1, got ", step_size);
  check_gamma("StepLR", gamma);
  initial_step();
}

std::vector<double> StepLR::compute_lrs() {
  bool decay = last_epoch_ != 0 && last_epoch_ % step_size_ == 0;
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    lrs[group] = decay ? current_lr(group) * gamma_ : current_lr(group);
  }
  return lrs;
}

void StepLR::save_fields(detail::StateWriter& out) const {
  out.put("step_size", step_size_);
  out.put("gamma", gamma_);
}

void StepLR::load_fields(const detail::StateReader& in) {
  int64_t step_size = in.integer("step_size");
  double gamma = in.real("gamma");
  EMBER_CHECK(step_size >= 1, "StepLR.load_state_dict: step_size must be >= 1, got ",
              step_size);
  check_gamma("StepLR.load_state_dict", gamma);
  step_size_ = step_size;
  gamma_ = gamma;
}

// ---- MultiStepLR ----

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer, "MultiStepLR"), milestones_(std::move(milestones)),
      gamma_(gamma) {
  check_milestones(milestones_);
  check_gamma("MultiStepLR", gamma);
  initial_step();
}

std::vector<double> MultiStepLR::compute_lrs() {
  auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    // PyTorch raises gamma to the multiplicity even when it is 1.
    lrs[group] = hits == 0 ? current_lr(group)
                           : current_lr(group) * std::pow(gamma_, static_cast<double>(hits));
  }
  return lrs;
}

void MultiStepLR::save_fields(detail::StateWriter& out) const {
  out.put("milestones", milestones_);
  out.put("gamma", gamma_);
}

void MultiStepLR::load_fields(const detail::StateReader& in) {
  std::vector<int64_t> milestones = in.integers("milestones");
  double gamma = in.real("gamma");
  check_milestones(milestones);
  check_gamma("MultiStepLR.load_state_dict", gamma);
  milestones_ = std::move(milestones);
  gamma_ = gamma;
}

// ---- ExponentialLR ----

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
  check_gamma("ExponentialLR", gamma);
  initial_step();
}

std::vector<double> ExponentialLR::compute_lrs() {
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    lrs[group] = last_epoch_ == 0 ? current_lr(group) : current_lr(group) * gamma_;
  }
  return lrs;
}

void ExponentialLR::save_fields(detail::StateWriter& out) const { out.put("gamma", gamma_); }

void ExponentialLR::load_fields(const detail::StateReader& in) {
  double gamma = in.real("gamma");
  check_gamma("ExponentialLR.load_state_dict", gamma);
  gamma_ = gamma;
}

// ---- LinearLR ----

LinearLR::LinearLR(Optimizer& optimizer, LinearLROptions options)
    : LRScheduler(optimizer, "LinearLR"), options_(options) {
  check_linear_options(options);
  initial_step();
}

std::vector<double> LinearLR::compute_lrs() {
  const double start = options_.start_factor;
  const double end = options_.end_factor;
  const int64_t total = options_.total_iters;
  std::vector<double> lrs(num_groups());
  for (size_t group = 0; group < lrs.size(); ++group) {
    double lr = current_lr(group);
    if (last_epoch_ == 0) {
      lrs[group] = lr * start;
    } else if (last_epoch_ > total) {
      lrs[group] = lr;
    } else {
      // The ratio of this epoch's factor to the previous one, so the schedule
      // chains (PyTorch's recursive form, same operation order).
      double epochs_done = static_cast<double>(last_epoch_ - 1);
      double previous = detail::rounded(static_cast<double>(total) * start) +
                        detail::rounded(epochs_done * (end - start));
      lrs[group] = lr * (1. + (end - start) / previous);
    }
  }
  return lrs;
}

void LinearLR::save_fields(detail::StateWriter& out) const {
  out.put("start_factor", options_.start_factor);
  out.put("end_factor", options_.end_factor);
  out.put("total_iters", options_.total_iters);
}

void LinearLR::load_fields(const detail::StateReader& in) {
  LinearLROptions options{.start_factor = in.real("start_factor"),
                          .end_factor = in.real("end_factor"),
                          .total_iters = in.integer("total_iters")};
  check_linear_options(options);
  options_ = options;
}

}  // namespace ember::optim
