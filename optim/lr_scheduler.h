#pragma once

// Learning-rate schedules that step once per epoch (or per batch), as PyTorch
// 1.13's torch.optim.lr_scheduler: the LRScheduler base and the multiplicative
// decays (LambdaLR, StepLR, MultiStepLR, ExponentialLR, LinearLR). The cosine
// schedules, OneCycleLR and ReduceLROnPlateau have headers of their own.
//
//   optim::SGD optimizer(model->parameters(), {.lr = 0.1});
//   optim::StepLR scheduler(optimizer, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 90; ++epoch) {
//     train_one_epoch(model, optimizer);
//     scheduler.step();
//   }

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framework/state_dict.h"
#include "optim/optimizer.h"

namespace ember::optim {

namespace detail {
class StateWriter;
class StateReader;
}  // namespace detail

// What every epoch-driven schedule shares. Construction records each group's
// learning rate as its base (PyTorch's `base_lrs` / `initial_lr`) and performs
// the initial step, so the learning rate for epoch 0 is already set and
// last_epoch() is 0. Each step() after optimizer.step() moves to the next
// epoch and writes the new rates into the optimizer's groups. Most schedules
// are chainable, as in PyTorch: they scale the rate the group holds now, so
// two schedulers may drive one optimizer.
//
// The scheduler keeps a reference to the optimizer, which must outlive it.
// A custom schedule derives from this class, implements compute_lrs() and calls
// initial_step() at the end of its constructor.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Moves to the next epoch and writes each group's new learning rate.
  // Throws ember::Error when the optimizer's number of groups has changed.
  virtual void step();

  // The learning rates the last step wrote, one per param group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  // Each group's learning rate when the schedule started.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  // The epoch the current learning rates belong to: 0 after construction.
  int64_t last_epoch() const { return last_epoch_; }
  // The class name ("StepLR"), used in errors and saved with the state.
  const std::string& name() const { return name_; }

  // Everything needed to resume the schedule exactly (position, base rates,
  // options), as StateDict metadata named after PyTorch's attributes.
  // Restore the optimizer's own state too: the learning rates it holds are
  // part of a chainable schedule, and load_state_dict does not write them.
  StateDict state_dict() const;
  // Restores a state_dict() of the same kind of scheduler over the same number
  // of param groups; throws ember::Error naming the mismatch or the bad entry,
  // leaving the scheduler unchanged.
  void load_state_dict(const StateDict& state);

 protected:
  LRScheduler(Optimizer& optimizer, std::string name);

  // PyTorch's initial step; the most-derived constructor calls it last, once
  // compute_lrs() can run.
  void initial_step();
  // The learning rates of every group at last_epoch_ (PyTorch's get_lr).
  virtual std::vector<double> compute_lrs() = 0;
  // Throws ember::Error when the optimizer's group count differs from the
  // scheduler's; every step override calls it before changing anything.
  void check_groups() const;
  // Writes the rates into the optimizer and remembers them for get_last_lr().
  void apply_lrs(const std::vector<double>& lrs);
  // The rate group `group` holds now (what a chainable schedule scales).
  double current_lr(size_t group) const { return optimizer_.lr(group); }
  size_t num_groups() const { return base_lrs_.size(); }

  // A subclass's own fields. load_fields must read and check every field
  // before it assigns any, so a bad state leaves the scheduler unchanged.
  virtual void save_fields(detail::StateWriter& /*out*/) const {}
  virtual void load_fields(const detail::StateReader& /*in*/) {}

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;

 private:
  std::string name_;
  std::vector<double> last_lr_;
};

// lr = base_lr * lr_lambda(epoch), one function for every group or one per group.
class LambdaLR final : public LRScheduler {
 public:
  using Lambda = std::function<double(int64_t epoch)>;

  // Throws ember::Error when a function is empty or the count differs from the
  // optimizer's number of param groups.
  LambdaLR(Optimizer& optimizer, Lambda lr_lambda);
  LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);

 private:
  std::vector<double> compute_lrs() override;

  std::vector<Lambda> lr_lambdas_;
};

// Multiplies the rate by gamma every step_size epochs.
// Throws ember::Error when step_size < 1 or gamma is negative or not finite.
class StepLR final : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  int64_t step_size_;
  double gamma_;
};

// Multiplies the rate by gamma at each milestone epoch (by gamma^k when a
// milestone is listed k times). Throws ember::Error when the milestones are
// not in increasing order or gamma is negative or not finite.
class MultiStepLR final : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 private:
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  std::vector<int64_t> milestones_;
  double gamma_;
};

// Multiplies the rate by gamma every epoch.
// Throws ember::Error when gamma is negative or not finite.
class ExponentialLR final : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  double gamma_;
};

struct LinearLROptions {
  double start_factor = 1.0 / 3;  // in (0, 1]
  double end_factor = 1.0;        // in [0, 1]
  int64_t total_iters = 5;        // epochs to go from start to end factor
};

// Scales the base rate by a factor moving linearly from start_factor to
// end_factor over total_iters epochs, then holds it (a warm-up).
// Throws ember::Error for factors or total_iters outside their ranges.
class LinearLR final : public LRScheduler {
 public:
  explicit LinearLR(Optimizer& optimizer, LinearLROptions options = {});

 private:
  std::vector<double> compute_lrs() override;
  void save_fields(detail::StateWriter& out) const override;
  void load_fields(const detail::StateReader& in) override;

  LinearLROptions options_;
};

}  // namespace ember::optim
