#include "optim/adagrad.h"

#include "framework/dispatch.h"
#include "optim/detail/fused_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<AdagradOptions, AdagradState>;

void AdagradOptions::validate() const {
  EMBER_CHECK(lr >= 0.0, "Adagrad: invalid learning rate: ", lr, "; expected lr >= 0");
  EMBER_CHECK(lr_decay >= 0.0, "Adagrad: invalid lr_decay value: ", lr_decay,
              "; expected lr_decay >= 0");
  EMBER_CHECK(weight_decay >= 0.0, "Adagrad: invalid weight_decay value: ", weight_decay,
              "; expected weight_decay >= 0");
  EMBER_CHECK(initial_accumulator_value >= 0.0,
              "Adagrad: invalid initial_accumulator_value value: ", initial_accumulator_value,
              "; expected initial_accumulator_value >= 0");
  EMBER_CHECK(eps >= 0.0, "Adagrad: invalid epsilon value: ", eps, "; expected eps >= 0");
}

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Adagrad(std::vector<ParamGroup<AdagradOptions>>{{std::move(params), options}}, options) {}

Adagrad::Adagrad(std::vector<ParamGroup<AdagradOptions>> groups,
                 const AdagradOptions& defaults)
    : OptimizerWithOptions("Adagrad", std::move(groups), defaults) {}

namespace {

template <class T>
void adagrad_update(const Tensor& param, const Tensor& grad, AdagradState& state,
                    const AdagradOptions& o) {
  if (!state.sum.defined()) state.sum = full(param.shape(), o.initial_accumulator_value,
                                             param.dtype());
  state.step += 1;

  const double clr = o.lr / (1.0 + static_cast<double>(state.step - 1) * o.lr_decay);
  const T neg_clr = static_cast<T>(-clr);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T eps = static_cast<T>(o.eps);
  const bool maximize = o.maximize;
  detail::fused_update<T>(
      param, grad,
      [=](auto g, auto& p, auto& sum) {
        if (maximize) g = -g;
        if (weight_decay != T(0)) g = g + weight_decay * p;
        sum = sum + g * g;
        p = p + neg_clr * (g / (xsimd::sqrt(sum) + eps));
      },
      state.sum);
}

}  // namespace

void Adagrad::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, AdagradState& state,
                              const AdagradOptions& options) {
    EMBER_DISPATCH_FLOATING(param.dtype(), "Adagrad", [&] {
      adagrad_update<scalar_t>(param, grad, state, options);
    });
  });
}

}  // namespace ember::optim
