#pragma once

#include <limits>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of SGD, as torch.optim.SGD. `lr` has no default:
//   optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
struct SGDOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();  // required
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;  // L2 term added to the gradient
  bool nesterov = false;
  bool maximize = false;

  // Throws ember::Error for a missing or negative lr, negative momentum or
  // weight_decay, or nesterov without momentum or with dampening.
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("momentum", self.momentum);
    f("dampening", self.dampening);
    f("weight_decay", self.weight_decay);
    f("nesterov", self.nesterov);
    f("maximize", self.maximize);
  }
};

// Per-parameter state: the momentum buffer (momentum != 0 only), which the
// first step sets to the gradient.
struct SGDState {
  Tensor momentum_buffer;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("momentum_buffer", self.momentum_buffer, false);
  }
};

extern template class OptimizerWithOptions<SGDOptions, SGDState>;

// Stochastic gradient descent with optional momentum, dampening, Nesterov
// momentum, L2 weight decay and maximization (PyTorch 1.13's formulas):
//   g = ±grad + weight_decay * p
//   b = g at the first step, else momentum * b + (1 - dampening) * g
//   p -= lr * (nesterov ? g + momentum * b : b)      (p -= lr * g without momentum)
class SGD : public OptimizerWithOptions<SGDOptions, SGDState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
