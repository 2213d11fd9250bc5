// In-place arithmetic (add_, mul_, ...). Without autograd they write straight
// into the tensor; when a gradient is needed they compute out of place from a
// snapshot of the old value, write the result back and take over its history,
// so the gradient is exact and the snapshot, not the overwritten memory, is
// what backward reads.

#include <cmath>

#include "framework/autograd/autograd_meta.h"
#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"
#include "ops/elementwise.h"

namespace ember {

using detail::BinaryOp;
using detail::UnaryOp;

namespace {

template <typename OutOfPlace, typename Direct>
Tensor& update(Tensor& self, const char* op, const Tensor& other, const OutOfPlace& out_of_place,
               const Direct& direct) {
  bool other_requires_grad = other.defined() && any_requires_grad({&other});
  check_inplace(self, op, other_requires_grad);
  detail::check_writable(self, op);

  if (other_requires_grad || (GradMode::is_enabled() && self.requires_grad())) {
    Tensor result = out_of_place(self.clone());
    EMBER_CHECK(result.shape() == self.shape(), op, ": the result shape ", result.shape(),
                " differs from the tensor's shape ", self.shape());
    EMBER_CHECK(is_floating(self.dtype()) || !is_floating(result.dtype()), op,
                ": result type ", dtype_name(result.dtype()), " can't be cast to ",
                dtype_name(self.dtype()));
    {
      NoGradGuard no_grad;
      detail::count_bytes(result, self);
      detail::copy_into(self, result);
    }
    self.storage()->bump_version();
    AutogradMeta& meta = autograd_meta(self);
    meta.grad_fn = result.grad_fn();
    meta.output_nr = result.output_nr();
    return self;
  }

  direct();
  self.storage()->bump_version();
  return self;
}

// The other operand, in self's dtype, checked to broadcast to self's shape.
// An operand that overlaps self in a different layout (a.add_(a.t())) is
// copied first, so no element is read after it was overwritten.
Tensor operand_for(const Tensor& self, const Tensor& other, const char* op) {
  if (detail::overlaps_differently(other, self)) {
    NoGradGuard no_grad;
    return operand_for(self, other.clone(), op);
  }
  EMBER_CHECK(broadcast_shapes(self.shape(), other.shape(), op) == self.shape(), op,
              ": the operand ", other.shape(), " does not broadcast to the tensor's shape ",
              self.shape());
  EMBER_CHECK(is_floating(self.dtype()) || !is_floating(other.dtype()), op, ": result type ",
              dtype_name(other.dtype()), " can't be cast to ", dtype_name(self.dtype()),
              " in place");
  return detail::converted(other, self.dtype());
}

Tensor& binary_update(Tensor& self, const Tensor& other, BinaryOp op, double alpha,
                      const char* name) {
  EMBER_PROFILE_OP(name, self, other);
  EMBER_CHECK(is_floating(self.dtype()) || std::nearbyint(alpha) == alpha, name,
              ": alpha ", alpha, " must be a whole number for ", dtype_name(self.dtype()));
  return update(
      self, name, other,
      [&](const Tensor& old) {
        // An operand sharing self's memory is read before the write, through
        // its own copy, so the graph never holds self itself.
        Tensor rhs = other.storage() == self.storage() ? other.clone() : other;
        switch (op) {
          case BinaryOp::Add: return add(old, rhs, alpha);
          case BinaryOp::Sub: return sub(old, rhs, alpha);
          case BinaryOp::Mul: return mul(old, rhs);
          default: return div(old, rhs);
        }
      },
      [&] {
        EMBER_CHECK(op != BinaryOp::Div || is_floating(self.dtype()), name,
                    ": true division of an int64 tensor in place would need a float result");
        Tensor operand = operand_for(self, other, name);
        detail::apply_binary(self, self, operand, op, {alpha}, name);
      });
}

Tensor& unary_update(Tensor& self, UnaryOp op, detail::OpParams params, const char* name,
                     Tensor (*out_of_place)(const Tensor&)) {
  EMBER_PROFILE_OP(name, self);
  EMBER_CHECK(is_floating(self.dtype()), name, ": needs a floating tensor, got ",
              dtype_name(self.dtype()));
  return update(
      self, name, Tensor(), [&](const Tensor& old) { return out_of_place(old); },
      [&] { detail::apply_unary(self, self, op, params, name); });
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  return binary_update(*this, other, BinaryOp::Add, alpha, "add_");
}

Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  return binary_update(*this, other, BinaryOp::Sub, alpha, "sub_");
}

Tensor& Tensor::mul_(const Tensor& other) {
  return binary_update(*this, other, BinaryOp::Mul, 1.0, "mul_");
}

Tensor& Tensor::div_(const Tensor& other) {
  return binary_update(*this, other, BinaryOp::Div, 1.0, "div_");
}

namespace {

// A scalar for an in-place op: refused when self's integer dtype cannot hold it.
Tensor inplace_scalar(const Tensor& self, double value, const char* op) {
  EMBER_CHECK(is_floating(self.dtype()) || detail::is_exact_int64(value), op,
              ": result type float can't be cast to ",
              dtype_name(self.dtype()), " in place (scalar ", value, ")");
  return scalar_tensor(value, self.dtype());
}

}  // namespace

Tensor& Tensor::add_(double value) { return add_(inplace_scalar(*this, value, "add_")); }
Tensor& Tensor::sub_(double value) { return sub_(inplace_scalar(*this, value, "sub_")); }
Tensor& Tensor::mul_(double value) { return mul_(inplace_scalar(*this, value, "mul_")); }
Tensor& Tensor::div_(double value) { return div_(inplace_scalar(*this, value, "div_")); }

Tensor& Tensor::relu_() {
  return unary_update(*this, UnaryOp::Relu, {}, "relu_",
                      [](const Tensor& x) { return ember::relu(x); });
}

Tensor& Tensor::neg_() {
  return unary_update(*this, UnaryOp::Neg, {}, "neg_",
                      [](const Tensor& x) { return ember::neg(x); });
}

Tensor& Tensor::exp_() {
  return unary_update(*this, UnaryOp::Exp, {}, "exp_",
                      [](const Tensor& x) { return ember::exp(x); });
}

Tensor& Tensor::sqrt_() {
  return unary_update(*this, UnaryOp::Sqrt, {}, "sqrt_",
                      [](const Tensor& x) { return ember::sqrt(x); });
}

Tensor& Tensor::pow_(double exponent) {
  EMBER_PROFILE_OP("pow_", *this);
  EMBER_CHECK(is_floating(dtype()), "pow_: needs a floating tensor, got ",
              dtype_name(dtype()));
  return update(
      *this, "pow_", Tensor(), [&](const Tensor& old) { return ember::pow(old, exponent); },
      [&] { detail::apply_unary(*this, *this, UnaryOp::Pow, {exponent}, "pow_"); });
}

Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  EMBER_PROFILE_OP("clamp_", *this);
  return update(
      *this, "clamp_", Tensor(), [&](const Tensor& old) { return clamp(old, min, max); },
      [&] {
        Tensor clamped = clamp(detach(), min, max);
        detail::count_bytes(clamped, *this);
        detail::copy_into(*this, clamped);
      });
}

}  // namespace ember
