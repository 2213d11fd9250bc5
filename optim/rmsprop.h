#pragma once

#include <cstdint>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of RMSprop, as torch.optim.RMSprop.
struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  // smoothing constant of the squared-gradient average
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 term added to the gradient
  double momentum = 0.0;
  bool centered = false;  // normalize by the estimated variance, not the second moment
  bool maximize = false;

  // Throws ember::Error for any negative value.
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("alpha", self.alpha);
    f("eps", self.eps);
    f("weight_decay", self.weight_decay);
    f("momentum", self.momentum);
    f("centered", self.centered);
    f("maximize", self.maximize);
  }
};

// Per-parameter state: step count, the squared-gradient average, and the
// momentum buffer (momentum > 0) and gradient average (centered) when used.
struct RMSpropState {
  int64_t step = 0;
  Tensor square_avg;
  Tensor momentum_buffer;
  Tensor grad_avg;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("step", self.step, true);
    f("square_avg", self.square_avg, true);
    f("momentum_buffer", self.momentum_buffer, false);
    f("grad_avg", self.grad_avg, false);
  }
};

extern template class OptimizerWithOptions<RMSpropOptions, RMSpropState>;

// RMSprop (PyTorch 1.13's formulas):
//   g = ±grad + weight_decay * p
//   v = alpha * v + (1 - alpha) * g^2
//   centered: a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a^2) + eps
//   else:     d = sqrt(v) + eps
//   momentum > 0: b = momentum * b + g / d;  p -= lr * b
//   else:         p -= lr * g / d
class RMSprop : public OptimizerWithOptions<RMSpropOptions, RMSpropState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
  explicit RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups,
                   const RMSpropOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
