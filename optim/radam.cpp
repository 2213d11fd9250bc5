#include "optim/radam.h"

#include <cmath>

#include "framework/dispatch.h"
#include "optim/detail/adam_update.h"
#include "optim/detail/fused_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<RAdamOptions, RAdamState>;

void RAdamOptions::validate() const {
  detail::check_adam_options("RAdam", lr, betas, eps, weight_decay);
}

RAdam::RAdam(std::vector<Tensor> params, const RAdamOptions& options)
    : RAdam(std::vector<ParamGroup<RAdamOptions>>{{std::move(params), options}}, options) {}

RAdam::RAdam(std::vector<ParamGroup<RAdamOptions>> groups, const RAdamOptions& defaults)
    : OptimizerWithOptions("RAdam", std::move(groups), defaults) {}

namespace {

template <class T>
void radam_update(const Tensor& param, const Tensor& grad, RAdamState& state,
                  const RAdamOptions& o) {
  if (!state.exp_avg.defined()) state.exp_avg = zeros(param.shape(), param.dtype());
  if (!state.exp_avg_sq.defined()) state.exp_avg_sq = zeros(param.shape(), param.dtype());
  state.step += 1;

  // Whether the variance is rectified this step, and by how much.
  const double step = static_cast<double>(state.step);
  const double beta2_power = std::pow(o.betas.second, step);
  const double bias_correction1 = 1.0 - std::pow(o.betas.first, step);
  const double bias_correction2 = 1.0 - beta2_power;
  const double rho_inf = 2.0 / (1.0 - o.betas.second) - 1.0;
  const double rho_t = rho_inf - 2.0 * step * beta2_power / bias_correction2;
  const bool rectify = rho_t > 5.0;
  const double rect = rectify ? std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                          ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                              : 0.0;

  const T beta1 = static_cast<T>(o.betas.first);
  const T one_minus_beta1 = static_cast<T>(1.0 - o.betas.first);
  const T beta2 = static_cast<T>(o.betas.second);
  const T one_minus_beta2 = static_cast<T>(1.0 - o.betas.second);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T inv_bias_correction1 = static_cast<T>(1.0 / bias_correction1);
  const T lr = static_cast<T>(o.lr);
  const T rect_t = static_cast<T>(rect);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(o.eps);
  detail::fused_update<T>(
      param, grad,
      [=](auto g, auto& p, auto& m, auto& v) {
        if (weight_decay != T(0)) g = g + weight_decay * p;
        m = beta1 * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * (g * g);
        auto scaled = m * inv_bias_correction1 * lr;
        if (rectify) {
          auto adaptive_lr = bias_correction2_sqrt / (xsimd::sqrt(v) + eps);
          scaled = scaled * adaptive_lr * rect_t;
        }
        p = p - scaled;
      },
      state.exp_avg, state.exp_avg_sq);
}

}  // namespace

void RAdam::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, RAdamState& state,
                              const RAdamOptions& options) {
    EMBER_DISPATCH_FLOATING(param.dtype(), "RAdam", [&] {
      radam_update<scalar_t>(param, grad, state, options);
    });
  });
}

}  // namespace ember::optim
