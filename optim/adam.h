#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of Adam, as torch.optim.Adam.
struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 term added to the gradient (AdamW decouples it)
  bool amsgrad = false;
  bool maximize = false;

  // Throws ember::Error for a negative lr, eps or weight_decay, or a beta
  // outside [0, 1).
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("betas", self.betas);
    f("eps", self.eps);
    f("weight_decay", self.weight_decay);
    f("amsgrad", self.amsgrad);
    f("maximize", self.maximize);
  }
};

// Per-parameter state of Adam and AdamW: step count, the moving averages of
// the gradient and of its square, and (amsgrad) the running maximum of the
// latter.
struct AdamState {
  int64_t step = 0;
  Tensor exp_avg;
  Tensor exp_avg_sq;
  Tensor max_exp_avg_sq;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("step", self.step, true);
    f("exp_avg", self.exp_avg, true);
    f("exp_avg_sq", self.exp_avg_sq, true);
    f("max_exp_avg_sq", self.max_exp_avg_sq, false);
  }
};

extern template class OptimizerWithOptions<AdamOptions, AdamState>;

// Adam (Kingma & Ba 2014) with optional AMSGrad (Reddi et al. 2018), PyTorch
// 1.13's formulas, at step t:
//   g = ±grad + weight_decay * p
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2          (amsgrad: v_max = max(v_max, v))
//   p -= lr / (1 - beta1^t) * m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps)
class Adam : public OptimizerWithOptions<AdamOptions, AdamState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
