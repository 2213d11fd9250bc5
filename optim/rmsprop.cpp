#include "optim/rmsprop.h"

#include "framework/dispatch.h"
#include "optim/detail/fused_update.h"
#include "optim/detail/optimizer_with_options-inl.h"

namespace ember::optim {

template class OptimizerWithOptions<RMSpropOptions, RMSpropState>;

void RMSpropOptions::validate() const {
  EMBER_CHECK(lr >= 0.0, "RMSprop: invalid learning rate: ", lr, "; expected lr >= 0");
  EMBER_CHECK(eps >= 0.0, "RMSprop: invalid epsilon value: ", eps, "; expected eps >= 0");
  EMBER_CHECK(momentum >= 0.0, "RMSprop: invalid momentum value: ", momentum,
              "; expected momentum >= 0");
  EMBER_CHECK(weight_decay >= 0.0, "RMSprop: invalid weight_decay value: ", weight_decay,
              "; expected weight_decay >= 0");
  EMBER_CHECK(alpha >= 0.0, "RMSprop: invalid alpha value: ", alpha, "; expected alpha >= 0");
}

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : RMSprop(std::vector<ParamGroup<RMSpropOptions>>{{std::move(params), options}}, options) {}

RMSprop::RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups,
                 const RMSpropOptions& defaults)
    : OptimizerWithOptions("RMSprop", std::move(groups), defaults) {}

namespace {

// The update of one batch; grad_avg and buffer are null when the options do
// not use them (each combination gets its own loop below).
template <class T>
struct RMSpropKernel {
  T alpha, one_minus_alpha, eps, neg_lr, weight_decay, momentum;
  bool maximize;

  template <class B>
  void operator()(B g, B& p, B& square_avg, B* grad_avg, B* buffer) const {
    if (maximize) g = -g;
    if (weight_decay != T(0)) g = g + weight_decay * p;
    square_avg = alpha * square_avg + one_minus_alpha * (g * g);
    B avg;
    if (grad_avg != nullptr) {
      *grad_avg = alpha * *grad_avg + one_minus_alpha * g;
      avg = xsimd::sqrt(square_avg - *grad_avg * *grad_avg) + eps;
    } else {
      avg = xsimd::sqrt(square_avg) + eps;
    }
    if (buffer != nullptr) {
      *buffer = momentum * *buffer + g / avg;
      p = p + neg_lr * *buffer;
    } else {
      p = p + neg_lr * (g / avg);
    }
  }
};

template <class T>
void rmsprop_update(const Tensor& param, const Tensor& grad, RMSpropState& state,
                    const RMSpropOptions& o) {
  const bool use_buffer = o.momentum > 0.0;
  if (!state.square_avg.defined()) state.square_avg = zeros(param.shape(), param.dtype());
  if (use_buffer && !state.momentum_buffer.defined()) {
    state.momentum_buffer = zeros(param.shape(), param.dtype());
  }
  if (o.centered && !state.grad_avg.defined()) {
    state.grad_avg = zeros(param.shape(), param.dtype());
  }
  state.step += 1;

  const RMSpropKernel<T> k{static_cast<T>(o.alpha), static_cast<T>(1.0 - o.alpha),
                           static_cast<T>(o.eps),   static_cast<T>(-o.lr),
                           static_cast<T>(o.weight_decay), static_cast<T>(o.momentum),
                           o.maximize};
  using B = detail::Batch<T>;
  B* none = nullptr;
  if (o.centered && use_buffer) {
    detail::fused_update<T>(
        param, grad, [=](B g, B& p, B& v, B& a, B& b) { k(g, p, v, &a, &b); },
        state.square_avg, state.grad_avg, state.momentum_buffer);
  } else if (o.centered) {
    detail::fused_update<T>(
        param, grad, [=](B g, B& p, B& v, B& a) { k(g, p, v, &a, none); },
        state.square_avg, state.grad_avg);
  } else if (use_buffer) {
    detail::fused_update<T>(
        param, grad, [=](B g, B& p, B& v, B& b) { k(g, p, v, none, &b); },
        state.square_avg, state.momentum_buffer);
  } else {
    detail::fused_update<T>(
        param, grad, [=](B g, B& p, B& v) { k(g, p, v, none, none); }, state.square_avg);
  }
}

}  // namespace

void RMSprop::step() {
  for_each_param_with_grad([](const Tensor& param, const Tensor& grad, RMSpropState& state,
                              const RMSpropOptions& options) {
    EMBER_DISPATCH_FLOATING(param.dtype(), "RMSprop", [&] {
      rmsprop_update<scalar_t>(param, grad, state, options);
    });
  });
}

}  // namespace ember::optim
