#pragma once

#include <cstdint>

#include "framework/tensor.h"

// softmax and log_softmax along one dim, as torch.softmax / torch.log_softmax.
// Each is one fused kernel forward (max, exp and sum, normalize; rows run in
// parallel and are vectorized along the contiguous axis) and one backward.
// The row maximum is subtracted first, so logits of any finite size (+-1e4
// and beyond) neither overflow nor lose the small entries; a row holding +inf
// or only -inf is NaN, as in PyTorch. A size-1 dim gives 1 (softmax) and 0
// (log_softmax); a 0-d tensor counts as one element along dim 0 or -1.
namespace ember {

// exp(x - max) / sum(exp(x - max)) along `dim` (may be negative).
// x: any shape and layout, float32 or float64 (int64 and bool are promoted to
// float32). Returns a contiguous tensor of x's shape and floating dtype.
// Throws ember::Error when dim is out of range.
Tensor softmax(const Tensor& x, int64_t dim);

// x - max - log(sum(exp(x - max))) along `dim`; same shapes, dtypes and
// errors as softmax. Its gradient is g - softmax(x) * sum(g) along dim.
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace ember
