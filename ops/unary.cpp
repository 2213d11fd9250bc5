// One-input pointwise math and activations with their gradients.

#include <cmath>
#include <limits>

#include "framework/autograd/node.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/elementwise.h"

namespace ember {

using detail::BinaryOp;
using detail::OpParams;
using detail::UnaryOp;

namespace {

// Integers and bools compute in float32, as PyTorch's float-valued ops do.
Tensor floating_input(const Tensor& x) {
  return is_floating(x.dtype()) ? x : detail::converted(x, kFloat32);
}

Tensor run_unary(const Tensor& x, UnaryOp op, const OpParams& params, const char* name) {
  Tensor input = floating_input(x);
  Tensor out = empty(input.shape(), input.dtype());
  detail::apply_unary(out, input, op, params, name);
  return out;
}

// g * f'(saved) through one of the gradient kernels.
Tensor grad_kernel(const Tensor& grad, const Tensor& saved, BinaryOp op,
                   const OpParams& params = {}) {
  return detail::binary_kernel_op(grad, saved, op, params, "backward");
}

// Records a backward of the form grad -> kernel(grad, x) or kernel(grad, out).
Tensor with_grad_kernel(const char* name, const Tensor& out, const Tensor& x,
                        const Tensor& saved, BinaryOp op, const OpParams& params = {}) {
  if (!any_requires_grad({&x})) return out;
  SavedTensor kept(saved);
  return record_op(name, out, {x}, [kept, op, params, name](const TensorList& grads) {
    return TensorList{grad_kernel(grads[0], kept.unpack(name), op, params)};
  });
}

}  // namespace

Tensor neg(const Tensor& x) {
  EMBER_PROFILE_OP("neg", x);
  Tensor out;
  if (x.dtype() == kInt64) {
    out = detail::binary_kernel_op(scalar_tensor(0, kInt64), x, BinaryOp::Sub, {1.0}, "neg");
  } else {
    EMBER_CHECK(x.dtype() != kBool, "neg: not defined for bool tensors; use logical_not");
    out = run_unary(x, UnaryOp::Neg, {}, "neg");
  }
  return record_op("NegBackward", out, {x},
                   [](const TensorList& grads) { return TensorList{neg(grads[0])}; });
}

Tensor exp(const Tensor& x) {
  EMBER_PROFILE_OP("exp", x);
  Tensor out = run_unary(x, UnaryOp::Exp, {}, "exp");
  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(out);
  return record_op("ExpBackward", out, {x}, [saved](const TensorList& grads) {
    return TensorList{mul(grads[0], saved.unpack("exp"))};
  });
}

Tensor log(const Tensor& x) {
  EMBER_PROFILE_OP("log", x);
  Tensor out = run_unary(x, UnaryOp::Log, {}, "log");
  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(x);
  return record_op("LogBackward", out, {x}, [saved](const TensorList& grads) {
    return TensorList{div(grads[0], saved.unpack("log"))};
  });
}

Tensor sqrt(const Tensor& x) {
  EMBER_PROFILE_OP("sqrt", x);
  Tensor out = run_unary(x, UnaryOp::Sqrt, {}, "sqrt");
  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(out);
  return record_op("SqrtBackward", out, {x}, [saved](const TensorList& grads) {
    return TensorList{div(grads[0], mul(saved.unpack("sqrt"), 2.0))};
  });
}

Tensor abs(const Tensor& x) {
  EMBER_PROFILE_OP("abs", x);
  Tensor out;
  if (x.dtype() == kInt64) {
    out = detail::binary_kernel_op(x, neg(x), BinaryOp::Maximum, {}, "abs");
  } else {
    out = run_unary(x, UnaryOp::Abs, {}, "abs");
  }
  return with_grad_kernel("AbsBackward", out, x, x, BinaryOp::AbsGrad);
}

Tensor square(const Tensor& x) {
  EMBER_PROFILE_OP("square", x);
  if (x.dtype() == kInt64) return mul(x, x);
  Tensor out = run_unary(x, UnaryOp::Square, {}, "square");
  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(x);
  return record_op("PowBackward", out, {x}, [saved](const TensorList& grads) {
    return TensorList{mul(grads[0], mul(saved.unpack("square"), 2.0))};
  });
}

Tensor pow(const Tensor& x, double exponent) {
  EMBER_PROFILE_OP("pow", x);
  Tensor out = run_unary(x, UnaryOp::Pow, {exponent}, "pow");
  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(x);
  return record_op("PowBackward", out, {x}, [saved, exponent](const TensorList& grads) {
    if (exponent == 0.0) return TensorList{zeros_like(grads[0])};
    Tensor local = mul(pow(saved.unpack("pow"), exponent - 1.0), exponent);
    return TensorList{mul(grads[0], local)};
  });
}

Tensor relu(const Tensor& x) {
  EMBER_PROFILE_OP("relu", x);
  Tensor out = run_unary(x, UnaryOp::Relu, {}, "relu");
  return with_grad_kernel("ReluBackward", out, x, out, BinaryOp::ReluGrad);
}

Tensor sigmoid(const Tensor& x) {
  EMBER_PROFILE_OP("sigmoid", x);
  Tensor out = run_unary(x, UnaryOp::Sigmoid, {}, "sigmoid");
  return with_grad_kernel("SigmoidBackward", out, x, out, BinaryOp::SigmoidGrad);
}

Tensor tanh(const Tensor& x) {
  EMBER_PROFILE_OP("tanh", x);
  Tensor out = run_unary(x, UnaryOp::Tanh, {}, "tanh");
  return with_grad_kernel("TanhBackward", out, x, out, BinaryOp::TanhGrad);
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  EMBER_PROFILE_OP("gelu", x);
  EMBER_CHECK(approximate == "none" || approximate == "tanh", "gelu: approximate must be "
              "\"none\" or \"tanh\", got \"", approximate, "\"");
  bool exact = approximate == "none";
  Tensor out = run_unary(x, exact ? UnaryOp::Gelu : UnaryOp::GeluTanh, {}, "gelu");
  return with_grad_kernel("GeluBackward", out, x, x,
                          exact ? BinaryOp::GeluGrad : BinaryOp::GeluTanhGrad);
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  EMBER_PROFILE_OP("leaky_relu", x);
  Tensor out = run_unary(x, UnaryOp::LeakyRelu, {negative_slope}, "leaky_relu");
  return with_grad_kernel("LeakyReluBackward", out, x, x, BinaryOp::LeakyReluGrad,
                          {negative_slope});
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  EMBER_PROFILE_OP("clamp", x);
  EMBER_CHECK(min.has_value() || max.has_value(),
              "clamp: at least one of min and max must be given");
  constexpr double infinity = std::numeric_limits<double>::infinity();
  OpParams bounds{min.value_or(-infinity), max.value_or(infinity)};

  Tensor out;
  if (x.dtype() == kInt64) {
    out = x;
    if (min) out = maximum(out, scalar_tensor(*min, kInt64));
    if (max) out = minimum(out, scalar_tensor(*max, kInt64));
    return out.detach();
  }
  out = run_unary(x, UnaryOp::Clamp, bounds, "clamp");
  return with_grad_kernel("ClampBackward", out, x, x, BinaryOp::ClampGrad, bounds);
}

}  // namespace ember
