#include "optim/sgd.h"

#include <cmath>

#include "framework/dispatch.h"
#include "optim/detail/fused_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<SGDOptions, SGDState>;

void SGDOptions::validate() const {
  EMBER_CHECK(!std::isnan(lr), "SGD: lr is required (it has no default), e.g. "
              "SGD(params, {.lr = 0.1})");
  EMBER_CHECK(lr >= 0.0, "SGD: invalid learning rate: ", lr, "; expected lr >= 0");
  EMBER_CHECK(momentum >= 0.0, "SGD: invalid momentum value: ", momentum,
              "; expected momentum >= 0");
  EMBER_CHECK(weight_decay >= 0.0, "SGD: invalid weight_decay value: ", weight_decay,
              "; expected weight_decay >= 0");
  EMBER_CHECK(!nesterov || (momentum > 0.0 && dampening == 0.0),
              "SGD: Nesterov momentum requires a momentum and zero dampening, got momentum ",
              momentum, " and dampening ", dampening);
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : SGD(std::vector<ParamGroup<SGDOptions>>{{std::move(params), options}}, options) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults)
    : OptimizerWithOptions("SGD", std::move(groups), defaults) {}

namespace {

template <class T>
void sgd_update(const Tensor& param, const Tensor& grad, SGDState& state,
                const SGDOptions& o) {
  const T neg_lr = static_cast<T>(-o.lr);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const bool maximize = o.maximize;
  auto direction = [=](auto g, const auto& p) {
    if (maximize) g = -g;
    if (weight_decay != T(0)) g = g + weight_decay * p;
    return g;
  };

  if (o.momentum == 0.0) {
    detail::fused_update<T>(param, grad, [=](auto g, auto& p) {
      p = p + neg_lr * direction(g, p);
    });
    return;
  }

  // The buffer starts as the first step's direction.
  const bool first = !state.momentum_buffer.defined();
  if (first) state.momentum_buffer = empty(param.shape(), param.dtype());
  const T momentum = static_cast<T>(o.momentum);
  const T keep = static_cast<T>(1.0 - o.dampening);
  const bool nesterov = o.nesterov;
  detail::fused_update<T>(
      param, grad,
      [=](auto g, auto& p, auto& buffer) {
        g = direction(g, p);
        buffer = first ? g : momentum * buffer + keep * g;
        p = p + neg_lr * (nesterov ? g + momentum * buffer : buffer);
      },
      state.momentum_buffer);
}

}  // namespace

void SGD::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, SGDState& state,
                              const SGDOptions& options) {
    EMBER_DISPATCH_FLOATING(param.dtype(), "SGD", [&] {
      sgd_update<scalar_t>(param, grad, state, options);
    });
  });
}

}  // namespace ember::optim
