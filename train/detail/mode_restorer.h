#pragma once

#include "nn/module.h"

namespace ember::train::detail {

// Puts a module back in the mode (training or evaluation) it had, however the
// scope ends.
class ModeRestorer {
 public:
  explicit ModeRestorer(nn::Module& model) : model_(model), training_(model.is_training()) {}
  ~ModeRestorer() { model_.train(training_); }
  ModeRestorer(const ModeRestorer&) = delete;
  ModeRestorer& operator=(const ModeRestorer&) = delete;

 private:
  nn::Module& model_;
  bool training_;
};

}  // namespace ember::train::detail
