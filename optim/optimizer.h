#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "framework/state_dict.h"
#include "framework/tensor.h"

namespace ember::optim {

// What every optimizer offers to training loops and LR schedulers, whatever its
// algorithm. Parameters live in groups; each group carries its own options
// (learning rate and the algorithm's hyperparameters). Concrete optimizers
// (SGD, Adam, ...) derive from this and add typed per-group options.
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One update of every parameter that has a gradient.
  virtual void step() = 0;

  // Clears the gradients of every parameter: drops them (set_to_none, the
  // default as in PyTorch 2) or fills them with zeros.
  void zero_grad(bool set_to_none = true);

  virtual size_t num_param_groups() const = 0;
  virtual const std::vector<Tensor>& params(size_t group) const = 0;

  // The learning rate of a group, read and written by schedulers.
  virtual double lr(size_t group) const = 0;
  virtual void set_lr(size_t group, double lr) = 0;

  // The momentum a one-cycle schedule drives: `momentum` for SGD and RMSprop,
  // beta1 for the Adam family; nullopt where the algorithm has none.
  virtual std::optional<double> momentum(size_t /*group*/) const { return std::nullopt; }
  virtual void set_momentum(size_t /*group*/, double /*value*/) {}

  // Per-parameter state (tensors "state.<index>.<name>", the index counting
  // parameters across groups in order, as PyTorch does) and group options (metadata).
  virtual StateDict state_dict() const = 0;
  // Restores a state saved from an optimizer of the same kind over parameters of
  // the same shapes; throws ember::Error naming what does not match.
  virtual void load_state_dict(const StateDict& state) = 0;
};

}  // namespace ember::optim
