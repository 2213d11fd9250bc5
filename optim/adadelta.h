#pragma once

#include <cstdint>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of Adadelta, as torch.optim.Adadelta.
struct AdadeltaOptions {
  double lr = 1.0;  // scales the delta; 1.0 is the paper's method
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;  // L2 term added to the gradient
  bool maximize = false;

  // Throws ember::Error for a negative lr, eps or weight_decay, or rho
  // outside [0, 1].
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("rho", self.rho);
    f("eps", self.eps);
    f("weight_decay", self.weight_decay);
    f("maximize", self.maximize);
  }
};

// Per-parameter state: step count, running averages of squared gradients and
// of squared updates.
struct AdadeltaState {
  int64_t step = 0;
  Tensor square_avg;
  Tensor acc_delta;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("step", self.step, true);
    f("square_avg", self.square_avg, true);
    f("acc_delta", self.acc_delta, true);
  }
};

extern template class OptimizerWithOptions<AdadeltaOptions, AdadeltaState>;

// Adadelta (Zeiler 2012; PyTorch 1.13's formulas):
//   g = ±grad + weight_decay * p
//   v = rho * v + (1 - rho) * g^2
//   delta = sqrt(u + eps) / sqrt(v + eps) * g
//   u = rho * u + (1 - rho) * delta^2
//   p -= lr * delta
class Adadelta : public OptimizerWithOptions<AdadeltaOptions, AdadeltaState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit Adadelta(std::vector<Tensor> params, const AdadeltaOptions& options = {});
  explicit Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups,
                    const AdadeltaOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
