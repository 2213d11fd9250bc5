#include "optim/nadam.h"

#include <cmath>

#include "framework/dispatch.h"
#include "optim/detail/adam_update.h"
#include "optim/detail/fused_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<NAdamOptions, NAdamState>;

void NAdamOptions::validate() const {
  detail::check_adam_options("NAdam", lr, betas, eps, weight_decay);
  EMBER_CHECK(momentum_decay >= 0.0, "NAdam: invalid momentum_decay value: ", momentum_decay,
              "; expected momentum_decay >= 0");
}

NAdam::NAdam(std::vector<Tensor> params, const NAdamOptions& options)
    : NAdam(std::vector<ParamGroup<NAdamOptions>>{{std::move(params), options}}, options) {}

NAdam::NAdam(std::vector<ParamGroup<NAdamOptions>> groups, const NAdamOptions& defaults)
    : OptimizerWithOptions("NAdam", std::move(groups), defaults) {}

namespace {

template <class T>
void nadam_update(const Tensor& param, const Tensor& grad, NAdamState& state,
                  const NAdamOptions& o) {
  if (!state.exp_avg.defined()) state.exp_avg = zeros(param.shape(), param.dtype());
  if (!state.exp_avg_sq.defined()) state.exp_avg_sq = zeros(param.shape(), param.dtype());
  state.step += 1;

  // The momentum schedule, in double on the host.
  const double step = static_cast<double>(state.step);
  const double beta1 = o.betas.first;
  const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, step * o.momentum_decay));
  const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1.0) * o.momentum_decay));
  state.mu_product *= mu;
  const double mu_product_next = state.mu_product * mu * mu_next;

  const T one_minus_beta1 = static_cast<T>(1.0 - beta1);
  const T beta2 = static_cast<T>(o.betas.second);
  const T one_minus_beta2 = static_cast<T>(1.0 - o.betas.second);
  const T bias_correction2 = static_cast<T>(1.0 - std::pow(o.betas.second, step));
  const T eps = static_cast<T>(o.eps);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T grad_step = static_cast<T>(-o.lr * (1.0 - mu) / (1.0 - state.mu_product));
  const T avg_step = static_cast<T>(-o.lr * mu_next / (1.0 - mu_product_next));
  const T beta1_t = static_cast<T>(beta1);
  detail::fused_update<T>(
      param, grad,
      [=](auto g, auto& p, auto& m, auto& v) {
        if (weight_decay != T(0)) g = g + weight_decay * p;
        m = beta1_t * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * (g * g);
        auto denom = xsimd::sqrt(v / bias_correction2) + eps;
        p = p + grad_step * (g / denom);
        p = p + avg_step * (m / denom);
      },
      state.exp_avg, state.exp_avg_sq);
}

}  // namespace

void NAdam::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, NAdamState& state,
                              const NAdamOptions& options) {
    EMBER_DISPATCH_FLOATING(param.dtype(), "NAdam", [&] {
      nadam_update<scalar_t>(param, grad, state, options);
    });
  });
}

}  // namespace ember::optim
