#pragma once

#include "framework/tensor.h"
#include "ops/detail/simd_kernels.h"

namespace ember::detail {

// out = op(in), elementwise; in is broadcast to out's shape. Floating dtypes,
// both operands of out's dtype. Vectorized on contiguous rows, parallel.
void apply_unary(const Tensor& out, const Tensor& in, UnaryOp op, const OpParams& params,
                 const char* name);

// out = op(a, b) with a and b broadcast to out's shape, all of out's dtype
// (float32, float64; int64 for Add, Sub, Mul, Maximum, Minimum).
void apply_binary(const Tensor& out, const Tensor& a, const Tensor& b, BinaryOp op,
                  const OpParams& params, const char* name);

// A fresh tensor holding op(a, b), of the broadcast shape, without autograd.
Tensor binary_kernel_op(const Tensor& a, const Tensor& b, BinaryOp op,
                        const OpParams& params, const char* name);

// The input converted to `dtype` without recording a graph.
Tensor converted(const Tensor& x, DType dtype);

// Throws naming `op` when `target` has expanded (stride 0) dims: several of its
// elements share one memory location, so a write to it has no single result.
void check_writable(const Tensor& target, const char* op);

// True when `input` shares storage with `target` in a different layout, so a
// pointwise write into target could overwrite elements before they are read.
bool overlaps_differently(const Tensor& input, const Tensor& target);

// True when `value` converts to int64 exactly (finite, whole, in range).
bool is_exact_int64(double value);

}  // namespace ember::detail
