// Drivers that run the vectorized pointwise kernels over any layout.

#include <algorithm>
#include <cmath>

#include "framework/autograd/grad_mode.h"
#include "framework/dispatch.h"
#include "ops/detail/pointwise.h"
#include "ops/detail/profile_counts.h"
#include "ops/detail/strided_loop.h"
#include "ops/elementwise.h"

namespace ember::detail {
namespace {

// Strided rows are staged through small buffers so the same vector kernel
// serves every layout.
constexpr int64_t kStageSize = 256;

template <typename T>
void unary_rows(const Tensor& out, const Tensor& in, UnaryKernel<T> kernel,
                const OpParams& params) {
  if (out.is_contiguous() && in.is_contiguous() && out.shape() == in.shape()) {
    T* y = out.data_ptr<T>();
    const T* x = in.data_ptr<T>();
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      kernel(x + begin, y + begin, end - begin, params);
    });
    return;
  }
  auto loop = make_loop<2>({&out, &in});
  loop.for_each_row([&](auto pointers, auto strides, int64_t n) {
    auto* y = reinterpret_cast<T*>(pointers[0]);
    const auto* x = reinterpret_cast<const T*>(pointers[1]);
    if (strides[0] == 1 && strides[1] == 1) return kernel(x, y, n, params);

    alignas(64) T stage[kStageSize];
    for (int64_t start = 0; start < n; start += kStageSize) {
      int64_t count = std::min(kStageSize, n - start);
      for (int64_t i = 0; i < count; ++i) stage[i] = x[(start + i) * strides[1]];
      kernel(stage, stage, count, params);
      for (int64_t i = 0; i < count; ++i) y[(start + i) * strides[0]] = stage[i];
    }
  });
}

// Contiguous operands of out's shape, or a one-element operand, need no
// layout analysis: the common case runs straight into the kernel.
bool flat_operand(const Tensor& operand, const Tensor& out) {
  return operand.is_contiguous() && (operand.shape() == out.shape() || operand.numel() == 1);
}

template <typename T>
void binary_rows(const Tensor& out, const Tensor& a, const Tensor& b, BinaryKernel<T> kernel,
                 const OpParams& params) {
  if (out.is_contiguous() && flat_operand(a, out) && flat_operand(b, out)) {
    T* y = out.data_ptr<T>();
    const T* x0 = a.data_ptr<T>();
    const T* x1 = b.data_ptr<T>();
    int64_t a_step = a.numel() == 1 && out.numel() != 1 ? 0 : 1;
    int64_t b_step = b.numel() == 1 && out.numel() != 1 ? 0 : 1;
    parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      kernel(x0 + begin * a_step, a_step, x1 + begin * b_step, b_step, y + begin, end - begin,
             params);
    });
    return;
  }
  auto loop = make_loop<3>({&out, &a, &b});
  loop.for_each_row([&](auto pointers, auto strides, int64_t n) {
    auto* y = reinterpret_cast<T*>(pointers[0]);
    const auto* x0 = reinterpret_cast<const T*>(pointers[1]);
    const auto* x1 = reinterpret_cast<const T*>(pointers[2]);
    bool simple = strides[0] == 1 && strides[1] <= 1 && strides[2] <= 1;
    if (simple) return kernel(x0, strides[1], x1, strides[2], y, n, params);

    alignas(64) T left[kStageSize];
    alignas(64) T right[kStageSize];
    for (int64_t start = 0; start < n; start += kStageSize) {
      int64_t count = std::min(kStageSize, n - start);
      for (int64_t i = 0; i < count; ++i) {
        left[i] = x0[(start + i) * strides[1]];
        right[i] = x1[(start + i) * strides[2]];
      }
      kernel(left, 1, right, 1, left, count, params);
      for (int64_t i = 0; i < count; ++i) y[(start + i) * strides[0]] = left[i];
    }
  });
}

// Integer arithmetic wraps on overflow, as PyTorch's does (unsigned math, so
// the wrap is defined behaviour).
int64_t integer_binary(BinaryOp op, int64_t x, int64_t y, const OpParams& params) {
  auto alpha = static_cast<uint64_t>(static_cast<int64_t>(params.a));
  auto ux = static_cast<uint64_t>(x);
  auto uy = static_cast<uint64_t>(y);
  switch (op) {
    case BinaryOp::Add: return static_cast<int64_t>(ux + alpha * uy);
    case BinaryOp::Sub: return static_cast<int64_t>(ux - alpha * uy);
    case BinaryOp::Mul: return static_cast<int64_t>(ux * uy);
    case BinaryOp::Maximum: return std::max(x, y);
    case BinaryOp::Minimum: return std::min(x, y);
    default: break;
  }
  EMBER_ASSERT(false);
  return 0;
}

void integer_rows(const Tensor& out, const Tensor& a, const Tensor& b, BinaryOp op,
                  const OpParams& params, const char* name) {
  EMBER_CHECK(op == BinaryOp::Add || op == BinaryOp::Sub || op == BinaryOp::Mul ||
                  op == BinaryOp::Maximum || op == BinaryOp::Minimum,
              name, ": not defined for int64 tensors; convert with .to(kFloat32) first");
  auto loop = make_loop<3>({&out, &a, &b});
  loop.for_each_row([&](auto pointers, auto strides, int64_t n) {
    auto* y = reinterpret_cast<int64_t*>(pointers[0]);
    const auto* x0 = reinterpret_cast<const int64_t*>(pointers[1]);
    const auto* x1 = reinterpret_cast<const int64_t*>(pointers[2]);
    for (int64_t i = 0; i < n; ++i) {
      y[i * strides[0]] = integer_binary(op, x0[i * strides[1]], x1[i * strides[2]], params);
    }
  });
}

}  // namespace

void apply_unary(const Tensor& out, const Tensor& in, UnaryOp op, const OpParams& params,
                 const char* name) {
  EMBER_ASSERT(out.dtype() == in.dtype());
  count_bytes(in, out);
  EMBER_DISPATCH_FLOATING(out.dtype(), name, [&] {
    unary_rows<scalar_t>(out, in, unary_kernel<scalar_t>(op), params);
  });
}

void apply_binary(const Tensor& out, const Tensor& a, const Tensor& b, BinaryOp op,
                  const OpParams& params, const char* name) {
  EMBER_ASSERT(out.dtype() == a.dtype() && out.dtype() == b.dtype());
  count_bytes(a, b, out);
  if (out.dtype() == kInt64) return integer_rows(out, a, b, op, params, name);
  EMBER_DISPATCH_FLOATING(out.dtype(), name, [&] {
    binary_rows<scalar_t>(out, a, b, binary_kernel<scalar_t>(op), params);
  });
}

Tensor binary_kernel_op(const Tensor& a, const Tensor& b, BinaryOp op, const OpParams& params,
                        const char* name) {
  Tensor out = a.shape() == b.shape()
                   ? empty(a.shape(), a.dtype())
                   : empty(broadcast_shapes(a.shape(), b.shape(), name), a.dtype());
  apply_binary(out, a, b, op, params, name);
  return out;
}

Tensor converted(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor result = empty(x.shape(), dtype);
  copy_into(result, x);
  return result;
}

void check_writable(const Tensor& target, const char* op) {
  for (int64_t d = 0; d < target.dim(); ++d) {
    EMBER_CHECK(target.stride(d) != 0 || target.size(d) <= 1, op, ": the written tensor ",
                target.shape(), " has expanded (stride 0) dims, so several elements share one "
                "memory location; call clone() before writing into it");
  }
}

bool overlaps_differently(const Tensor& input, const Tensor& target) {
  bool same_layout = input.shape() == target.shape() && input.strides() == target.strides() &&
                     input.offset() == target.offset();
  return input.storage() == target.storage() && !same_layout;
}

bool is_exact_int64(double value) {
  return std::isfinite(value) && std::nearbyint(value) == value && std::abs(value) < 9.2e18;
}

}  // namespace ember::detail
