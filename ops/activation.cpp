// Activations: one vectorized kernel forward, one for the gradient, both from
// the SIMD table (ops/detail/simd_kernels-inl.h).

#include "ops/activation.h"

#include "framework/autograd/node.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"

namespace ember {

using detail::BinaryOp;
using detail::OpParams;
using detail::UnaryOp;

namespace {

// SELU's constants (Klambauer et al. 2017, eq. 14), to PyTorch's precision.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// y = op(x) in x's floating dtype (integers and bools compute in float32).
Tensor forward(const Tensor& x, UnaryOp op, const OpParams& params, const char* name) {
  Tensor input = is_floating(x.dtype()) ? x : detail::converted(x, kFloat32);
  Tensor out = empty(input.shape(), input.dtype());
  detail::apply_unary(out, input, op, params, name);
  return out;
}

// Records grad_x = grad_op(grad_y, x); every gradient here reads the input.
Tensor with_gradient(const char* node_name, const Tensor& out, const Tensor& x,
                     BinaryOp grad_op, const OpParams& params = {}) {
  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(x);
  return record_op(node_name, out, {x}, [saved, grad_op, params, node_name](
                                            const TensorList& grads) {
    return TensorList{detail::binary_kernel_op(grads[0], saved.unpack(node_name), grad_op,
                                               params, node_name)};
  });
}

}  // namespace

Tensor relu6(const Tensor& x) {
  EMBER_PROFILE_OP("relu6", x);
  return hardtanh(x, 0.0, 6.0);
}

Tensor elu(const Tensor& x, double alpha) {
  EMBER_PROFILE_OP("elu", x);
  OpParams params{alpha, 1.0};
  Tensor out = forward(x, UnaryOp::Elu, params, "elu");
  return with_gradient("EluBackward", out, x, BinaryOp::EluGrad, params);
}

Tensor selu(const Tensor& x) {
  EMBER_PROFILE_OP("selu", x);
  OpParams params{kSeluAlpha, kSeluScale};
  Tensor out = forward(x, UnaryOp::Elu, params, "selu");
  return with_gradient("EluBackward", out, x, BinaryOp::EluGrad, params);
}

Tensor silu(const Tensor& x) {
  EMBER_PROFILE_OP("silu", x);
  Tensor out = forward(x, UnaryOp::Silu, {}, "silu");
  return with_gradient("SiluBackward", out, x, BinaryOp::SiluGrad);
}

Tensor mish(const Tensor& x) {
  EMBER_PROFILE_OP("mish", x);
  Tensor out = forward(x, UnaryOp::Mish, {}, "mish");
  return with_gradient("MishBackward", out, x, BinaryOp::MishGrad);
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  EMBER_PROFILE_OP("softplus", x);
  OpParams params{beta, threshold};
  Tensor out = forward(x, UnaryOp::Softplus, params, "softplus");
  return with_gradient("SoftplusBackward", out, x, BinaryOp::SoftplusGrad, params);
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  EMBER_PROFILE_OP("hardtanh", x);
  // The forward is clamp's kernel; only the gradient's bounds differ.
  OpParams bounds{min_val, max_val};
  Tensor out = forward(x, UnaryOp::Clamp, bounds, "hardtanh");
  return with_gradient("HardtanhBackward", out, x, BinaryOp::HardtanhGrad, bounds);
}

Tensor hardsigmoid(const Tensor& x) {
  EMBER_PROFILE_OP("hardsigmoid", x);
  Tensor out = forward(x, UnaryOp::Hardsigmoid, {}, "hardsigmoid");
  return with_gradient("HardsigmoidBackward", out, x, BinaryOp::HardsigmoidGrad);
}

Tensor hardswish(const Tensor& x) {
  EMBER_PROFILE_OP("hardswish", x);
  Tensor out = forward(x, UnaryOp::Hardswish, {}, "hardswish");
  return with_gradient("HardswishBackward", out, x, BinaryOp::HardswishGrad);
}

}  // namespace ember
