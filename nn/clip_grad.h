#pragma once

// Gradient clipping, as torch.nn.utils in PyTorch 1.13. Call between
// backward() and optimizer.step():
//
//   loss.backward();
//   nn::clip_grad_norm_(model->parameters(), /*max_norm=*/1.0);
//   optimizer.step();

#include <limits>
#include <vector>

#include "framework/tensor.h"

namespace ember::nn {

// Scales every gradient in place so that their joint p-norm (as if all were
// concatenated into one vector) is at most max_norm: each is multiplied by
// max_norm / (total_norm + 1e-6) when that is below 1. norm_type is p: any
// real number, +inf (largest |g|), -inf (smallest |g|) or 0 (count of
// non-zero norms, as PyTorch computes it). Parameters without a gradient are
// skipped. Returns the total norm before clipping, rounded to the gradients'
// dtype (float32 or float64); 0 when no parameter has a gradient.
// A NaN or infinite total norm scales the gradients to NaN or 0 as in PyTorch,
// or throws ember::Error when error_if_nonfinite is set. Also throws for a
// negative or NaN max_norm, a NaN norm_type, and non-floating gradients.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);

// Clamps every gradient in place to [-clip_value, clip_value]; NaN stays NaN.
// Parameters without a gradient are skipped. Throws ember::Error for a
// negative or NaN clip_value and non-floating gradients.
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

}  // namespace ember::nn
