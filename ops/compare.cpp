// Comparisons, logical ops and selection (where, masked_fill).

#include <cmath>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace ember {
namespace {

enum class Comparison { Eq, Ne, Lt, Le, Gt, Ge };

template <typename T>
bool compare(Comparison kind, T a, T b) {
  switch (kind) {
    case Comparison::Eq: return a == b;
    case Comparison::Ne: return a != b;
    case Comparison::Lt: return a < b;
    case Comparison::Le: return a <= b;
    case Comparison::Gt: return a > b;
    case Comparison::Ge: return a >= b;
  }
  return false;
}

Tensor compare_tensors(const Tensor& a, const Tensor& b, Comparison kind, const char* name) {
  EMBER_PROFILE_OP(name, a, b);
  DType dtype = promote_types(a.dtype(), b.dtype());
  Tensor x = detail::converted(a, dtype);
  Tensor y = detail::converted(b, dtype);
  Tensor out = empty(broadcast_shapes(a.shape(), b.shape(), name), kBool);
  detail::count_bytes(x, y, out);
  auto loop = detail::make_loop<3>({&out, &x, &y});
  EMBER_DISPATCH_ALL(dtype, name, [&] {
    loop.for_each_row([kind](auto pointers, auto strides, int64_t n) {
      auto* result = reinterpret_cast<bool*>(pointers[0]);
      const auto* left = reinterpret_cast<const scalar_t*>(pointers[1]);
      const auto* right = reinterpret_cast<const scalar_t*>(pointers[2]);
      for (int64_t i = 0; i < n; ++i) {
        result[i * strides[0]] = compare(kind, left[i * strides[1]], right[i * strides[2]]);
      }
    });
  });
  return out;
}

// A scalar compared with a tensor keeps the tensor's dtype unless the scalar
// has a fraction and the tensor is integral.
Tensor compare_scalar(const Tensor& a, double b, Comparison kind, const char* name) {
  DType dtype = a.dtype();
  if (!is_floating(dtype) && std::nearbyint(b) != b) dtype = kFloat64;
  if (dtype == kBool && b != 0.0 && b != 1.0) dtype = kFloat64;
  return compare_tensors(detail::converted(a, dtype), scalar_tensor(b, dtype), kind, name);
}

Tensor as_mask(const Tensor& condition) {
  return condition.dtype() == kBool ? condition : ne(condition, 0.0);
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare_tensors(a, b, Comparison::Eq, "eq"); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare_tensors(a, b, Comparison::Ne, "ne"); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare_tensors(a, b, Comparison::Lt, "lt"); }
Tensor le(const Tensor& a, const Tensor& b) { return compare_tensors(a, b, Comparison::Le, "le"); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare_tensors(a, b, Comparison::Gt, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare_tensors(a, b, Comparison::Ge, "ge"); }
Tensor eq(const Tensor& a, double b) { return compare_scalar(a, b, Comparison::Eq, "eq"); }
Tensor ne(const Tensor& a, double b) { return compare_scalar(a, b, Comparison::Ne, "ne"); }
Tensor lt(const Tensor& a, double b) { return compare_scalar(a, b, Comparison::Lt, "lt"); }
Tensor le(const Tensor& a, double b) { return compare_scalar(a, b, Comparison::Le, "le"); }
Tensor gt(const Tensor& a, double b) { return compare_scalar(a, b, Comparison::Gt, "gt"); }
Tensor ge(const Tensor& a, double b) { return compare_scalar(a, b, Comparison::Ge, "ge"); }

Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, double b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, double b) { return ne(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, double b) { return le(a, b); }
Tensor operator>(const Tensor& a, double b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, b); }

Tensor logical_not(const Tensor& x) {
  EMBER_PROFILE_OP("logical_not", x);
  return eq(as_mask(x), scalar_tensor(0, kBool));
}

Tensor logical_and(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("logical_and", a, b);
  return where(as_mask(a), as_mask(b), scalar_tensor(0, kBool));
}

Tensor logical_or(const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("logical_or", a, b);
  return where(as_mask(a), scalar_tensor(1, kBool), as_mask(b));
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  EMBER_PROFILE_OP("where", condition, a, b);
  Tensor mask = as_mask(condition);
  Shape shape = broadcast_shapes(broadcast_shapes(mask.shape(), a.shape(), "where"),
                                 b.shape(), "where");
  DType dtype = promote_types(a.dtype(), b.dtype());
  Tensor x = detail::converted(a, dtype);
  Tensor y = detail::converted(b, dtype);
  Tensor out = empty(shape, dtype);
  detail::count_bytes(mask, x, y, out);

  auto loop = detail::make_loop<4>({&out, &mask, &x, &y});
  EMBER_DISPATCH_ALL(dtype, "where", [&] {
    loop.for_each_row([](auto pointers, auto strides, int64_t n) {
      auto* result = reinterpret_cast<scalar_t*>(pointers[0]);
      const auto* pick = reinterpret_cast<const bool*>(pointers[1]);
      const auto* left = reinterpret_cast<const scalar_t*>(pointers[2]);
      const auto* right = reinterpret_cast<const scalar_t*>(pointers[3]);
      for (int64_t i = 0; i < n; ++i) {
        result[i * strides[0]] = pick[i * strides[1]] ? left[i * strides[2]]
                                                      : right[i * strides[3]];
      }
    });
  });
  if (!any_requires_grad({&a, &b})) return out;

  Shape a_shape = a.shape();
  Shape b_shape = b.shape();
  DType a_dtype = a.dtype();
  DType b_dtype = b.dtype();
  return record_op("WhereBackward", out, {a, b}, [=](const TensorList& grads) -> TensorList {
    Tensor zero = scalar_tensor(0, grads[0].dtype());
    Tensor ga = sum_to(where(mask, grads[0], zero), a_shape);
    Tensor gb = sum_to(where(mask, zero, grads[0]), b_shape);
    return {ga.to(a_dtype), gb.to(b_dtype)};
  });
}

Tensor where(const Tensor& condition, const Tensor& a, double b) {
  return where(condition, a, scalar_tensor(b, is_floating(a.dtype()) ? a.dtype() : kFloat32));
}

Tensor where(const Tensor& condition, double a, const Tensor& b) {
  return where(condition, scalar_tensor(a, is_floating(b.dtype()) ? b.dtype() : kFloat32), b);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  EMBER_PROFILE_OP("masked_fill", x, mask);
  EMBER_CHECK(mask.dtype() == kBool, "masked_fill: the mask must be bool, got ",
              dtype_name(mask.dtype()), "; compare first, e.g. x > 0");
  EMBER_CHECK(broadcast_shapes(x.shape(), mask.shape(), "masked_fill") == x.shape(),
              "masked_fill: mask ", mask.shape(), " does not broadcast to the input ",
              x.shape());
  return where(mask, scalar_tensor(value, x.dtype()), x);
}

Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  EMBER_PROFILE_OP("masked_fill_", *this, mask);
  Tensor filled = masked_fill(*this, mask, value);
  return copy_(filled);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  EMBER_PROFILE_OP("allclose", a, b);
  NoGradGuard no_grad;
  Shape shape = broadcast_shapes(a.shape(), b.shape(), "allclose");
  detail::count_bytes(a, b);
  Tensor x = empty(shape, kFloat64);
  Tensor y = empty(shape, kFloat64);
  detail::copy_into(x, a);
  detail::copy_into(y, b);
  const double* left = x.data_ptr<double>();
  const double* right = y.data_ptr<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (left[i] == right[i]) continue;  // equal infinities
    if (!(std::abs(left[i] - right[i]) <= atol + rtol * std::abs(right[i]))) return false;
  }
  return true;
}

}  // namespace ember
