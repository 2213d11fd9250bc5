// + - * / pow maximum minimum, with broadcasting, scalars and gradients.

#include <cmath>

#include "framework/autograd/node.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace ember {

using detail::BinaryOp;
using detail::OpParams;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const Shape& longer = a.size() >= b.size() ? a : b;
  const Shape& shorter = a.size() >= b.size() ? b : a;
  Shape result = longer;
  size_t lead = longer.size() - shorter.size();
  for (size_t d = 0; d < shorter.size(); ++d) {
    int64_t x = longer[lead + d];
    int64_t y = shorter[d];
    EMBER_CHECK(x == y || x == 1 || y == 1, op, ": shapes ", a, " and ", b,
                " do not broadcast: sizes ", a.size() >= b.size() ? x : y, " and ",
                a.size() >= b.size() ? y : x, " differ at dim ", lead + d,
                " and neither is 1");
    result[lead + d] = x == 1 ? y : x;
  }
  return result;
}

namespace {

// The gradient of a broadcast operand: summed back to its shape and dtype.
Tensor reduce_grad(const Tensor& grad, const Shape& shape, DType dtype) {
  Tensor reduced = sum_to(grad, shape);
  return reduced.dtype() == dtype ? reduced : reduced.to(dtype);
}

int category(DType dtype) { return dtype == kBool ? 0 : is_floating(dtype) ? 2 : 1; }

// PyTorch's result type: a 0-d operand only decides the dtype when it is of a
// higher category (bool < integer < floating) than the dimensioned one.
DType result_type(const Tensor& a, const Tensor& b) {
  bool a_scalar = a.dim() == 0;
  bool b_scalar = b.dim() == 0;
  if (a_scalar == b_scalar) return promote_types(a.dtype(), b.dtype());

  const Tensor& dimensioned = a_scalar ? b : a;
  const Tensor& scalar = a_scalar ? a : b;
  int scalar_category = category(scalar.dtype());
  if (scalar_category <= category(dimensioned.dtype())) return dimensioned.dtype();
  return scalar_category == 2 ? kFloat32 : kInt64;
}

// Both operands converted to the dtype they compute in.
std::pair<Tensor, Tensor> promoted(const Tensor& a, const Tensor& b, bool floating) {
  DType dtype = result_type(a, b);
  if (dtype == kBool || (floating && !is_floating(dtype))) dtype = kFloat32;
  return {detail::converted(a, dtype), detail::converted(b, dtype)};
}

// A scalar operand as a 0-d tensor. Integer tensors stay integer with a whole
// scalar and become float32 otherwise.
Tensor scalar_like(const Tensor& x, double value) {
  DType dtype = x.dtype();
  if (!is_floating(dtype) && !detail::is_exact_int64(value)) dtype = kFloat32;
  if (dtype == kBool) dtype = kInt64;
  return scalar_tensor(value, dtype);
}

Tensor add_impl(const Tensor& a, const Tensor& b, double alpha, const char* name,
                BinaryOp op) {
  EMBER_PROFILE_OP(name, a, b);
  auto [x, y] = promoted(a, b, false);
  Tensor out = detail::binary_kernel_op(x, y, op, {alpha}, name);
  if (!any_requires_grad({&a, &b})) return out;

  double sign = op == BinaryOp::Sub ? -alpha : alpha;
  Shape a_shape = a.shape();
  Shape b_shape = b.shape();
  DType a_dtype = a.dtype();
  DType b_dtype = b.dtype();
  return record_op(op == BinaryOp::Sub ? "SubBackward" : "AddBackward", out, {a, b},
                   [=](const TensorList& grads) -> TensorList {
                     const Tensor& g = grads[0];
                     Tensor gb = sign == 1.0 ? g : mul(g, sign);
                     return {reduce_grad(g, a_shape, a_dtype), reduce_grad(gb, b_shape, b_dtype)};
                   });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  return add_impl(a, b, alpha, "add", BinaryOp::Add);
}

Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  return add_impl(a, b, alpha, "sub", BinaryOp::Sub);
}

Tensor mul(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("mul", a, b);
  auto [x, y] = promoted(a, b, false);
  Tensor out = detail::binary_kernel_op(x, y, BinaryOp::Mul, {}, "mul");
  if (!any_requires_grad({&a, &b})) return out;

  SavedTensor saved_a(b.requires_grad() ? a : Tensor());
  SavedTensor saved_b(a.requires_grad() ? b : Tensor());
  Shape a_shape = a.shape();
  Shape b_shape = b.shape();
  DType a_dtype = a.dtype();
  DType b_dtype = b.dtype();
  return record_op("MulBackward", out, {a, b}, [=](const TensorList& grads) -> TensorList {
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (saved_b.defined()) ga = reduce_grad(mul(g, saved_b.unpack("mul")), a_shape, a_dtype);
    if (saved_a.defined()) gb = reduce_grad(mul(g, saved_a.unpack("mul")), b_shape, b_dtype);
    return {ga, gb};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("div", a, b);
  // True division: integers divide as float32, like PyTorch's `/`.
  auto [x, y] = promoted(a, b, true);
  Tensor out = detail::binary_kernel_op(x, y, BinaryOp::Div, {}, "div");
  if (!any_requires_grad({&a, &b})) return out;

  SavedTensor saved_b(b);
  SavedTensor saved_out(b.requires_grad() ? out : Tensor());
  Shape a_shape = a.shape();
  Shape b_shape = b.shape();
  DType a_dtype = a.dtype();
  DType b_dtype = b.dtype();
  return record_op("DivBackward", out, {a, b}, [=](const TensorList& grads) -> TensorList {
    const Tensor& g = grads[0];
    const Tensor& divisor = saved_b.unpack("div");
    Tensor ga = reduce_grad(div(g, divisor), a_shape, a_dtype);
    Tensor gb;
    if (saved_out.defined()) {
      // d(a/b)/db = -(a/b)/b
      gb = reduce_grad(neg(div(mul(g, saved_out.unpack("div")), divisor)), b_shape, b_dtype);
    }
    return {ga, gb};
  });
}

namespace {

Tensor& binary_out(Tensor& out, const Tensor& a, const Tensor& b, BinaryOp op, double alpha,
                   const char* name) {
  EMBER_CHECK(!any_requires_grad({&a, &b, &out}), name, ": out= variants do not support "
              "autograd; an operand requires grad");
  auto [x, y] = promoted(a, b, op == BinaryOp::Div);
  Shape shape = broadcast_shapes(x.shape(), y.shape(), name);
  detail::check_writable(out, name);

  // Inputs overlapping out in another layout are read from a copy.
  auto staged = [&](const Tensor& input) {
    return detail::overlaps_differently(input, out) ? input.clone() : input;
  };
  x = staged(x);
  y = staged(y);
  EMBER_CHECK(out.shape() == shape && out.dtype() == x.dtype(), name, ": out is ",
              dtype_name(out.dtype()), " ", out.shape(), ", expected ", dtype_name(x.dtype()),
              " ", shape);
  detail::apply_binary(out, x, y, op, {alpha}, name);
  out.storage()->bump_version();
  return out;
}

}  // namespace

// The out= variants are recorded under the op's own name, as PyTorch does.
Tensor& add_out(Tensor& out, const Tensor& a, const Tensor& b, double alpha) {
  EMBER_PROFILE_OP("add", a, b);
  return binary_out(out, a, b, BinaryOp::Add, alpha, "add_out");
}

Tensor& sub_out(Tensor& out, const Tensor& a, const Tensor& b, double alpha) {
  EMBER_PROFILE_OP("sub", a, b);
  return binary_out(out, a, b, BinaryOp::Sub, alpha, "sub_out");
}

Tensor& mul_out(Tensor& out, const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("mul", a, b);
  return binary_out(out, a, b, BinaryOp::Mul, 1.0, "mul_out");
}

Tensor& div_out(Tensor& out, const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("div", a, b);
  return binary_out(out, a, b, BinaryOp::Div, 1.0, "div_out");
}

Tensor add(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor sub(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor rsub(const Tensor& a, double b) { return sub(scalar_like(a, b), a); }
Tensor rdiv(const Tensor& a, double b) { return div(scalar_like(a, b), a); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return rdiv(b, a); }
Tensor operator-(const Tensor& a) { return neg(a); }

Tensor pow(const Tensor& base, const Tensor& exponent) {
  EMBER_PROFILE_OP("pow", base, exponent);
  auto [x, y] = promoted(base, exponent, true);
  Tensor out = detail::binary_kernel_op(x, y, BinaryOp::Pow, {}, "pow");
  if (!any_requires_grad({&base, &exponent})) return out;

  SavedTensor saved_base(base);
  SavedTensor saved_exponent(exponent);
  SavedTensor saved_out(out);
  Shape base_shape = base.shape();
  Shape exponent_shape = exponent.shape();
  DType base_dtype = base.dtype();
  DType exponent_dtype = exponent.dtype();
  bool base_grad = base.requires_grad();
  bool exponent_grad = exponent.requires_grad();
  return record_op("PowBackward", out, {base, exponent},
                   [=](const TensorList& grads) -> TensorList {
    const Tensor& g = grads[0];
    const Tensor& b = saved_base.unpack("pow");
    const Tensor& e = saved_exponent.unpack("pow");
    Tensor grad_base, grad_exponent;
    if (base_grad) {
      // d(b^e)/db = e * b^(e-1); zero where e == 0, as in PyTorch.
      Tensor local = where(eq(e, 0.0), 0.0, mul(e, pow(b, sub(e, 1.0))));
      grad_base = reduce_grad(mul(g, local), base_shape, base_dtype);
    }
    if (exponent_grad) {
      // d(b^e)/de = b^e * log(b); defined as 0 where b == 0 and e >= 0.
      Tensor local = mul(saved_out.unpack("pow"), log(b));
      local = where(logical_and(eq(b, 0.0), ge(e, 0.0)), 0.0, local);
      grad_exponent = reduce_grad(mul(g, local), exponent_shape, exponent_dtype);
    }
    return {grad_base, grad_exponent};
  });
}

namespace {

Tensor extremum(const Tensor& a, const Tensor& b, BinaryOp op, const char* name) {
  EMBER_PROFILE_OP(name, a, b);
  auto [x, y] = promoted(a, b, false);
  Tensor out = detail::binary_kernel_op(x, y, op, {}, name);
  if (!any_requires_grad({&a, &b})) return out;

  SavedTensor saved_a(a);
  SavedTensor saved_b(b);
  Shape a_shape = a.shape();
  Shape b_shape = b.shape();
  DType a_dtype = a.dtype();
  DType b_dtype = b.dtype();
  bool is_max = op == BinaryOp::Maximum;
  return record_op(is_max ? "MaximumBackward" : "MinimumBackward", out, {a, b},
                   [=](const TensorList& grads) -> TensorList {
    const Tensor& g = grads[0];
    const Tensor& left = saved_a.unpack(name);
    const Tensor& right = saved_b.unpack(name);
    // Ties split the gradient evenly between both operands.
    Tensor shared = where(eq(left, right), mul(g, 0.5), g);
    Tensor a_wins = is_max ? gt(left, right) : lt(left, right);
    Tensor b_wins = is_max ? lt(left, right) : gt(left, right);
    Tensor ga = where(b_wins, 0.0, shared);
    Tensor gb = where(a_wins, 0.0, shared);
    return {reduce_grad(ga, a_shape, a_dtype), reduce_grad(gb, b_shape, b_dtype)};
  });
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return extremum(a, b, BinaryOp::Maximum, "maximum");
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return extremum(a, b, BinaryOp::Minimum, "minimum");
}

}  // namespace ember
