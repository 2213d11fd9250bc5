#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of RAdam, as torch.optim.RAdam (1.13 has no maximize flag).
struct RAdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 term added to the gradient

  // Throws ember::Error for a negative lr, eps or weight_decay, or a beta
  // outside [0, 1).
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("betas", self.betas);
    f("eps", self.eps);
    f("weight_decay", self.weight_decay);
  }
};

// Per-parameter state: step count and the two moving averages.
struct RAdamState {
  int64_t step = 0;
  Tensor exp_avg;
  Tensor exp_avg_sq;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("step", self.step, true);
    f("exp_avg", self.exp_avg, true);
    f("exp_avg_sq", self.exp_avg_sq, true);
  }
};

extern template class OptimizerWithOptions<RAdamOptions, RAdamState>;

// RAdam (Liu et al. 2020), PyTorch 1.13's formulas, at step t:
//   g = grad + weight_decay * p;  m, v as Adam's;  m' = m / (1 - beta1^t)
//   rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
//   rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//              p -= lr * m' * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)
//   else:      p -= lr * m'     (the variance estimate is not yet trusted)
class RAdam : public OptimizerWithOptions<RAdamOptions, RAdamState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit RAdam(std::vector<Tensor> params, const RAdamOptions& options = {});
  explicit RAdam(std::vector<ParamGroup<RAdamOptions>> groups,
                 const RAdamOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
