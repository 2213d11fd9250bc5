#include "optim/adadelta.h"

#include "framework/dispatch.h"
#include "optim/detail/fused_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<AdadeltaOptions, AdadeltaState>;

void AdadeltaOptions::validate() const {
  EMBER_CHECK(lr >= 0.0, "Adadelta: invalid learning rate: ", lr, "; expected lr >= 0");
  EMBER_CHECK(rho >= 0.0 && rho <= 1.0, "Adadelta: invalid rho value: ", rho,
              "; expected 0 <= rho <= 1");
  EMBER_CHECK(eps >= 0.0, "Adadelta: invalid epsilon value: ", eps, "; expected eps >= 0");
  EMBER_CHECK(weight_decay >= 0.0, "Adadelta: invalid weight_decay value: ", weight_decay,
              "; expected weight_decay >= 0");
}

Adadelta::Adadelta(std::vector<Tensor> params, const AdadeltaOptions& options)
    : Adadelta(std::vector<ParamGroup<AdadeltaOptions>>{{std::move(params), options}},
               options) {}

Adadelta::Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups,
                   const AdadeltaOptions& defaults)
    : OptimizerWithOptions("Adadelta", std::move(groups), defaults) {}

namespace {

template <class T>
void adadelta_update(const Tensor& param, const Tensor& grad, AdadeltaState& state,
                     const AdadeltaOptions& o) {
  if (!state.square_avg.defined()) state.square_avg = zeros(param.shape(), param.dtype());
  if (!state.acc_delta.defined()) state.acc_delta = zeros(param.shape(), param.dtype());
  state.step += 1;

  const T rho = static_cast<T>(o.rho);
  const T one_minus_rho = static_cast<T>(1.0 - o.rho);
  const T eps = static_cast<T>(o.eps);
  const T neg_lr = static_cast<T>(-o.lr);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const bool maximize = o.maximize;
  detail::fused_update<T>(
      param, grad,
      [=](auto g, auto& p, auto& square_avg, auto& acc_delta) {
        if (maximize) g = -g;
        if (weight_decay != T(0)) g = g + weight_decay * p;
        square_avg = rho * square_avg + one_minus_rho * (g * g);
        auto delta = xsimd::sqrt(acc_delta + eps) / xsimd::sqrt(square_avg + eps) * g;
        acc_delta = rho * acc_delta + one_minus_rho * (delta * delta);
        p = p + neg_lr * delta;
      },
      state.square_avg, state.acc_delta);
}

}  // namespace

void Adadelta::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, AdadeltaState& state,
                              const AdadeltaOptions& options) {
    EMBER_DISPATCH_FLOATING(param.dtype(), "Adadelta", [&] {
      adadelta_update<scalar_t>(param, grad, state, options);
    });
  });
}

}  // namespace ember::optim
