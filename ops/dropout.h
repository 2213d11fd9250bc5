#pragma once

#include "framework/random.h"
#include "framework/tensor.h"

// Dropout with PyTorch 1.13's semantics and defaults.
//
// Masks come from the counter-based Philox generator (framework/random.h):
// each call reserves ceil(units / 4) counters once, and mask unit i (an
// element, or a whole channel for the feature variants) keeps its value when
// word i % 4 of block(first + i / 4) is below (1 - p) * 2^32. So the same
// generator state gives the same mask for any thread count. `generator`
// defaults to default_generator().
//
// Common to every function here:
//   input: float32 or float64, any layout (a non-contiguous input is copied).
//   p: the probability of zeroing a unit; outside [0, 1] throws ember::Error.
//   Evaluation (training = false), p = 0 or an empty input return `input`
//   itself, as PyTorch; nothing is drawn.
//   p = 1 returns zeros (no NaN from the 1 / (1 - p) scale) with a zero
//   gradient, and draws nothing.
//   Otherwise dropped values are x * 0, as PyTorch computes them (so a NaN or
//   infinite input stays NaN where dropped). The backward multiplies the
//   upstream gradient by the saved mask (one byte per unit) and the scale.
namespace ember {

// Zeroes each element with probability p and scales the rest by 1 / (1 - p)
// (computed in input's dtype, as PyTorch).
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true,
               Generator* generator = nullptr);

// Zeroes whole channels: input [N, C, L] or unbatched [C, L] (one mask value
// per (n, c), or per c). Throws ember::Error for other ranks.
Tensor dropout1d(const Tensor& input, double p = 0.5, bool training = true,
                 Generator* generator = nullptr);

// Zeroes whole channels of [N, C, H, W] (one mask value per (n, c)).
// As PyTorch 1.13, a 3-D input is taken as [N, C, L] (dropout1d's behaviour,
// not an unbatched [C, H, W]); other ranks >= 2 drop over the first two dims.
// Both cases log a warning once. Throws ember::Error below 2 dims.
Tensor dropout2d(const Tensor& input, double p = 0.5, bool training = true,
                 Generator* generator = nullptr);

// Zeroes whole channels of [N, C, D, H, W] or of an unbatched [C, D, H, W]
// (one mask value per (n, c), or per c). Other ranks >= 1 log a warning once
// and drop over the first dim, as PyTorch.
Tensor dropout3d(const Tensor& input, double p = 0.5, bool training = true,
                 Generator* generator = nullptr);

// Dropout that keeps SELU's zero mean and unit variance, with PyTorch's
// formulas: alpha' = 1.7580993408473766 (SELU's scale * alpha) and
// a = 1 / sqrt((alpha'^2 p + 1)(1 - p)) give
//   kept: x * a + alpha' a p        dropped: x * 0 - alpha' a + alpha' a p
// and the gradient a (kept) or 0 (dropped).
// Note PyTorch's default: training = false.
Tensor alpha_dropout(const Tensor& input, double p = 0.5, bool training = false,
                     Generator* generator = nullptr);

// alpha_dropout with one mask value per (n, c) of [N, C, ...] (rank >= 2).
Tensor feature_alpha_dropout(const Tensor& input, double p = 0.5, bool training = false,
                             Generator* generator = nullptr);

}  // namespace ember
