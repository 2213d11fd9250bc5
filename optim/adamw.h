#pragma once

#include <utility>
#include <vector>

#include "optim/adam.h"
#include "optim/optimizer_with_options.h"

namespace ember::optim {

// Options of AdamW, as torch.optim.AdamW: Adam's, with decoupled weight
// decay on by default.
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: shrinks p directly, not through g
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

extern template class OptimizerWithOptions<AdamWOptions, AdamState>;

// AdamW (Loshchilov & Hutter 2019), PyTorch 1.13's formulas: Adam without
// the L2 term, after shrinking the parameter: p *= 1 - lr * weight_decay.
// State as Adam's (AdamState).
class AdamW : public OptimizerWithOptions<AdamWOptions, AdamState> {
 public:
  // Throws ember::Error for invalid options or parameters (see add_param_group).
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  explicit AdamW(std::vector<ParamGroup<AdamWOptions>> groups,
                 const AdamWOptions& defaults = {});

  void step() override;
};

}  // namespace ember::optim
