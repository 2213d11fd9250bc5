#include "optim/adamw.h"

#include "framework/dispatch.h"
#include "optim/detail/adam_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<AdamWOptions, AdamState>;

void AdamWOptions::validate() const {
  detail::check_adam_options("AdamW", lr, betas, eps, weight_decay);
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamW(std::vector<ParamGroup<AdamWOptions>>{{std::move(params), options}}, options) {}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups, const AdamWOptions& defaults)
    : OptimizerWithOptions("AdamW", std::move(groups), defaults) {}

void AdamW::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, AdamState& state,
                              const AdamWOptions& o) {
    const detail::AdamHyper hyper{o.lr, o.betas, o.eps, 0.0, 1.0 - o.lr * o.weight_decay,
                                  o.amsgrad, o.maximize};
    EMBER_DISPATCH_FLOATING(param.dtype(), "AdamW", [&] {
      detail::adam_update<scalar_t>(param, grad, state, hyper);
    });
  });
}

}  // namespace ember::optim
