#pragma once

// Cuts the learning rate when a watched metric stops improving, as PyTorch
// 1.13's ReduceLROnPlateau. Unlike the epoch schedules it is stepped with the
// metric (a validation loss, an accuracy) after each evaluation:
//
//   optim::ReduceLROnPlateau scheduler(optimizer, {.factor = 0.5, .patience = 3});
//   for (...) { train(); scheduler.step(validation_loss()); }

#include <cstdint>
#include <vector>

#include "framework/state_dict.h"
#include "optim/optimizer.h"

namespace ember::optim {

enum class PlateauMode { Min, Max };
enum class ThresholdMode { Rel, Abs };

struct ReduceLROnPlateauOptions {
  PlateauMode mode = PlateauMode::Min;  // Min: the metric should fall; Max: rise
  double factor = 0.1;                  // new lr = lr * factor, in [0, 1)
  int64_t patience = 10;  // epochs without improvement tolerated before a cut
  // Improvement must beat best * (1 -+ threshold) (Rel) or best -+ threshold (Abs).
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::Rel;
  int64_t cooldown = 0;              // epochs after a cut during which nothing counts
  std::vector<double> min_lr = {0};  // floor: one value for every group, or one per group
  double eps = 1e-8;                 // cuts smaller than this are skipped
};

// Counts epochs whose metric is no better than the best seen; once the count
// exceeds `patience`, multiplies every group's rate by `factor` (not below its
// min_lr) and waits `cooldown` epochs before counting again.
class ReduceLROnPlateau {
 public:
  // Throws ember::Error when factor is outside [0, 1), patience, cooldown,
  // threshold or eps is negative, or min_lr has the wrong count.
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});

  // Records one epoch's metric and cuts the rates when the plateau is long
  // enough. NaN never counts as an improvement.
  void step(double metric);

  // The groups' learning rates after the last step (their rates at construction
  // before the first).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  // The best metric so far (+inf in Min mode, -inf in Max mode before any).
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }

  // The counters, the best metric and the options, as StateDict metadata named
  // after PyTorch's attributes. The rates themselves live in the optimizer's state.
  StateDict state_dict() const;
  // Throws ember::Error when the state is not a ReduceLROnPlateau's for the same
  // number of groups or an entry is missing or malformed; nothing changes then.
  void load_state_dict(const StateDict& state);

 private:
  bool is_better(double metric) const;
  void reduce_lr();

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace ember::optim
