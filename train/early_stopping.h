#pragma once

#include <cstdint>
#include <string>

#include "framework/state_dict.h"
#include "nn/module.h"

namespace ember::train {

// Whether a smaller (loss) or a larger (accuracy) value of the metric is better.
enum class Mode { Min, Max };

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";  // the metric's name, for messages and logs
  Mode mode = Mode::Min;
  // Epochs without improvement to wait before stopping (>= 0). With 0, the
  // first epoch that does not improve stops training.
  int64_t patience = 5;
  // The least change that counts as an improvement (>= 0): in Min mode a
  // metric improves when it is below best - min_delta, in Max mode when it
  // is above best + min_delta (Keras' and Lightning's rule).
  double min_delta = 0.0;
  // Copy the model's weights at each improvement and put the best ones back
  // when step() decides to stop.
  bool restore_best_weights = true;
};

// Stops training when a validation metric has not improved for `patience`
// epochs, and keeps the weights of the best epoch:
//   train::EarlyStopping stopper({.monitor = "val_loss", .patience = 3});
//   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
//     ... train, validate ...
//     if (stopper.step(valid_loss, *model)) break;  // best weights restored
//   }
// A NaN metric never improves. Epochs count from 0 in the order step() is
// called.
class EarlyStopping {
 public:
  // Throws ember::Error for a negative patience or min_delta.
  explicit EarlyStopping(EarlyStoppingOptions options = {});

  // Records one epoch's metric: on an improvement remembers it (and, with
  // restore_best_weights, a copy of model's parameters and buffers);
  // otherwise counts one more epoch without improvement. Returns true when
  // this epoch did not improve and that count has reached patience; with
  // restore_best_weights the best weights are then loaded back into `model`
  // first. Further calls keep counting and keep returning true until an
  // improvement.
  bool step(double metric, nn::Module& model);

  // Loads the best weights recorded so far into `model` (e.g. when training
  // ends by its epoch limit). Throws ember::Error when restore_best_weights
  // is off or no epoch has improved yet, or as Module::load_state_dict when
  // `model` is not the module that was recorded.
  void restore_best_weights(nn::Module& model) const;

  bool should_stop() const { return should_stop_; }
  // Whether the last step() improved on the best value.
  bool improved() const { return improved_; }
  // The best value so far: +inf (Min) or -inf (Max) before any improvement.
  double best() const { return best_; }
  // The epoch of the best value, -1 before any improvement.
  int64_t best_epoch() const { return best_epoch_; }
  // Epochs since the best one.
  int64_t epochs_without_improvement() const { return wait_; }
  // Epochs recorded by step().
  int64_t epochs() const { return epochs_; }
  // The copy restore_best_weights() loads; empty before any improvement.
  const StateDict& best_state() const { return best_state_; }
  const EarlyStoppingOptions& options() const { return options_; }

  // The counters as metadata and the best weights under "best_weights.",
  // for a training checkpoint.
  StateDict state_dict() const;
  // Restores a state_dict() saved with the same monitor and mode. Throws
  // ember::Error naming the entry that is missing or malformed, leaving
  // this object unchanged.
  void load_state_dict(const StateDict& state);

 private:
  bool is_improvement(double metric) const;

  EarlyStoppingOptions options_;
  double best_;
  int64_t best_epoch_ = -1;
  int64_t wait_ = 0;
  int64_t epochs_ = 0;
  bool improved_ = false;
  bool should_stop_ = false;
  StateDict best_state_;
};

}  // namespace ember::train
