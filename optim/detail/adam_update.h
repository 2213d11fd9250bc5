#pragma once

// The update Adam and AdamW share; they differ only in where weight decay
// enters (the gradient, or the parameter directly).

#include <cmath>
#include <utility>

#include "framework/error.h"
#include "optim/adam.h"
#include "optim/detail/fused_update.h"

namespace ember::optim::detail {

// Adam's hyperparameters for one group, either flavour.
struct AdamHyper {
  double lr;
  std::pair<double, double> betas;
  double eps;
  double l2;     // added to the gradient as l2 * p (Adam)
  double decay;  // the parameter is first multiplied by it (AdamW: 1 - lr * wd)
  bool amsgrad;
  bool maximize;
};

// One batch: moments, optional AMSGrad maximum, then the step.
template <class T>
struct AdamKernel {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, l2, decay, neg_step_size,
      bias_correction2_sqrt, eps;
  bool maximize;

  template <class B>
  void operator()(B g, B& p, B& m, B& v, B* v_max) const {
    if (maximize) g = -g;
    if (l2 != T(0)) g = g + l2 * p;
    if (decay != T(1)) p = p * decay;
    m = beta1 * m + one_minus_beta1 * g;
    v = beta2 * v + one_minus_beta2 * (g * g);
    B second = v;
    if (v_max != nullptr) {
      *v_max = xsimd::max(*v_max, v);
      second = *v_max;
    }
    B denom = xsimd::sqrt(second) / bias_correction2_sqrt + eps;
    p = p + neg_step_size * (m / denom);
  }
};

template <class T>
void adam_update(const Tensor& param, const Tensor& grad, AdamState& state,
                 const AdamHyper& h) {
  if (!state.exp_avg.defined()) state.exp_avg = zeros(param.shape(), param.dtype());
  if (!state.exp_avg_sq.defined()) state.exp_avg_sq = zeros(param.shape(), param.dtype());
  if (h.amsgrad && !state.max_exp_avg_sq.defined()) {
    state.max_exp_avg_sq = zeros(param.shape(), param.dtype());
  }
  state.step += 1;

  const double step = static_cast<double>(state.step);
  const double bias_correction1 = 1.0 - std::pow(h.betas.first, step);
  const double bias_correction2 = 1.0 - std::pow(h.betas.second, step);
  const AdamKernel<T> k{static_cast<T>(h.betas.first),
                        static_cast<T>(1.0 - h.betas.first),
                        static_cast<T>(h.betas.second),
                        static_cast<T>(1.0 - h.betas.second),
                        static_cast<T>(h.l2),
                        static_cast<T>(h.decay),
                        static_cast<T>(-h.lr / bias_correction1),
                        static_cast<T>(std::sqrt(bias_correction2)),
                        static_cast<T>(h.eps),
                        h.maximize};
  using B = Batch<T>;
  if (h.amsgrad) {
    fused_update<T>(
        param, grad, [=](B g, B& p, B& m, B& v, B& v_max) { k(g, p, m, v, &v_max); },
        state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq);
  } else {
    B* none = nullptr;
    fused_update<T>(
        param, grad, [=](B g, B& p, B& m, B& v) { k(g, p, m, v, none); }, state.exp_avg,
        state.exp_avg_sq);
  }
}

// Throws ember::Error naming `optimizer` for options PyTorch rejects.
inline void check_adam_options(const char* optimizer, double lr,
                               const std::pair<double, double>& betas, double eps,
                               double weight_decay) {
  EMBER_CHECK(lr >= 0.0, optimizer, ": invalid learning rate: ", lr, "; expected lr >= 0");
  EMBER_CHECK(eps >= 0.0, optimizer, ": invalid epsilon value: ", eps, "; expected eps >= 0");
  EMBER_CHECK(betas.first >= 0.0 && betas.first < 1.0, optimizer,
              ": invalid beta parameter at index 0: ", betas.first,
              "; expected 0 <= beta < 1");
  EMBER_CHECK(betas.second >= 0.0 && betas.second < 1.0, optimizer,
              ": invalid beta parameter at index 1: ", betas.second,
              "; expected 0 <= beta < 1");
  EMBER_CHECK(weight_decay >= 0.0, optimizer, ": invalid weight_decay value: ", weight_decay,
              "; expected weight_decay >= 0");
}

}  // namespace ember::optim::detail
