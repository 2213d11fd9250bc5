#pragma once

#include <utility>

#include "framework/tensor.h"

// Reductions over all elements or over some dims. `dims` may be negative and
// must not repeat; with keepdim the reduced dims stay as size 1. Partial sums
// combine in a fixed order, so results are bitwise identical for any thread
// count. Empty inputs follow PyTorch: sum 0, mean NaN, max/min/argmax throw.
namespace ember {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);

// Largest/smallest element; the gradient is shared evenly among ties.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Values and int64 indices along dim; the gradient flows to the returned index
// (the first occurrence of the extreme value, NaN counting as largest).
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x);  // index into the flattened tensor
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);

// Variance and standard deviation over `dims` (empty: every dim) with
// `correction` (1: unbiased, 0: biased): var(x), var(x, {1}), var(x, {}, 0).
// One signature, so a braced dim list can never be taken for a correction.
Tensor var(const Tensor& x, const Shape& dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, const Shape& dims = {}, int64_t correction = 1,
           bool keepdim = false);

// Sums `x` down to `shape`, the inverse of broadcasting `shape` up to x's shape.
// Used by the gradients of broadcasting ops.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace ember
