#include "optim/adam.h"

#include "framework/dispatch.h"
#include "optim/detail/adam_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<AdamOptions, AdamState>;

void AdamOptions::validate() const {
  detail::check_adam_options("Adam", lr, betas, eps, weight_decay);
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::vector<ParamGroup<AdamOptions>>{{std::move(params), options}}, options) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults)
    : OptimizerWithOptions("Adam", std::move(groups), defaults) {}

void Adam::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, AdamState& state,
                              const AdamOptions& o) {
    const detail::AdamHyper hyper{o.lr, o.betas, o.eps, o.weight_decay, 1.0, o.amsgrad,
                                  o.maximize};
    EMBER_DISPATCH_FLOATING(param.dtype(), "Adam", [&] {
      detail::adam_update<scalar_t>(param, grad, state, hyper);
    });
  });
}

}  // namespace ember::optim
