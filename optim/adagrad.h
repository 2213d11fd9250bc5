#pragma once

#include <cstdint>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of Adagrad, as torch.optim.Adagrad.
struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;  // L2 term added to the gradient
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool maximize = false;

  // Throws ember::Error for any negative value.
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("lr_decay", self.lr_decay);
    f("weight_decay", self.weight_decay);
    f("initial_accumulator_value", self.initial_accumulator_value);
    f("eps", self.eps);
    f("maximize", self.maximize);
  }
};

// Per-parameter state: the step count and the running sum of squared
// gradients. PyTorch fills `sum` in its constructor; here it is filled with
// initial_accumulator_value at the parameter's first step (same numbers).
struct AdagradState {
  int64_t step = 0;
  Tensor sum;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("step", self.step, true);
    f("sum", self.sum, true);
  }
};

extern template class OptimizerWithOptions<AdagradOptions, AdagradState>;

// Adagrad (PyTorch 1.13's formulas), at step t:
//   g = ±grad + weight_decay * p
//   sum += g * g
//   p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
class Adagrad : public OptimizerWithOptions<AdagradOptions, AdagradState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});
  explicit Adagrad(std::vector<ParamGroup<AdagradOptions>> groups,
                   const AdagradOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
