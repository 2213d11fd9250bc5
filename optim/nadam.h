#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of NAdam, as torch.optim.NAdam (1.13 has no maximize flag).
struct NAdamOptions {
  double lr = 2e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 term added to the gradient
  double momentum_decay = 4e-3;

  // Throws ember::Error for a negative lr, eps, weight_decay or
  // momentum_decay, or a beta outside [0, 1).
  void validate() const;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("lr", self.lr);
    f("betas", self.betas);
    f("eps", self.eps);
    f("weight_decay", self.weight_decay);
    f("momentum_decay", self.momentum_decay);
  }
};

// Per-parameter state: step count, the product of the momentum schedule so
// far, and the two moving averages.
struct NAdamState {
  int64_t step = 0;
  double mu_product = 1.0;
  Tensor exp_avg;
  Tensor exp_avg_sq;

  template <class Self, class F>
  static void for_each_field(Self& self, F&& f) {
    f("step", self.step, true);
    f("mu_product", self.mu_product, true);
    f("exp_avg", self.exp_avg, true);
    f("exp_avg_sq", self.exp_avg_sq, true);
  }
};

extern template class OptimizerWithOptions<NAdamOptions, NAdamState>;

// NAdam (Dozat 2016), PyTorch 1.13's formulas, at step t:
//   g = grad + weight_decay * p
//   mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)), mu_{t+1} likewise
//   P_t = P_{t-1} * mu_t;  P' = P_t * mu_t * mu_{t+1}
//   m, v as Adam's;  d = sqrt(v / (1 - beta2^t)) + eps
//   p -= lr * (1 - mu_t) / (1 - P_t) * g / d + lr * mu_{t+1} / (1 - P') * m / d
// P' counts mu_t twice: that is PyTorch 1.13's formula (2.0 uses P_t * mu_{t+1}).
class NAdam : public OptimizerWithOptions<NAdamOptions, NAdamState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit NAdam(std::vector<Tensor> params, const NAdamOptions& options = {});
  explicit NAdam(std::vector<ParamGroup<NAdamOptions>> groups,
                 const NAdamOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
