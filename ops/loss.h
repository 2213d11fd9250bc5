#pragma once

#include <cstdint>

#include "framework/tensor.h"

// Loss functions, as torch.nn.functional's, with PyTorch 1.13's formulas,
// reductions and gradients. Inputs are float32 or float64; targets of
// regression-style losses must have the input's shape and dtype (PyTorch
// broadcasts a differently shaped target with a warning; ember refuses it).
// Every check failure throws ember::Error naming the loss and the shapes.
//
// Options are structs read with designated initializers:
//   cross_entropy(logits, labels, {.weight = w, .label_smoothing = 0.1});
//   smooth_l1_loss(x, y, {.beta = 0.5, .reduction = Reduction::Sum});
// Class weights, pos_weight and other weights receive no gradient; one that
// requires grad (under grad mode) is refused, as in PyTorch.
namespace ember {

// How a loss combines its per-element (or per-sample) values.
enum class Reduction {
  None,       // the unreduced values, shaped as the loss says
  Mean,       // their mean; class-weighted losses divide by the total weight
  Sum,        // their sum
  BatchMean,  // kl_div only: the sum divided by input.size(0)
};

// (input - target)^2. input, target: same shape and dtype.
// Returns input's shape for Reduction::None, else a 0-d tensor. The gradient
// reaches both input and target.
Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction = Reduction::Mean);

// |input - target|; the gradient is sign(input - target), 0 where equal.
// Shapes as mse_loss.
Tensor l1_loss(const Tensor& input, const Tensor& target,
               Reduction reduction = Reduction::Mean);

struct SmoothL1Options {
  double beta = 1.0;  // >= 0; 0 makes the loss l1_loss
  Reduction reduction = Reduction::Mean;
};

// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target).
// Shapes as mse_loss. Throws when beta < 0.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1Options& options = {});

struct HuberOptions {
  double delta = 1.0;  // > 0
  Reduction reduction = Reduction::Mean;
};

// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): delta times
// smooth_l1 with beta = delta. Shapes as mse_loss. Throws when delta <= 0.
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberOptions& options = {});

struct NllLossOptions {
  Tensor weight{};              // optional [C], input's dtype: a weight per class
  int64_t ignore_index = -100;  // targets equal to it add nothing, to loss or mean
  Reduction reduction = Reduction::Mean;
};

// Negative log likelihood: -weight[t] * input[n, t] for class index t =
// target[n]. input: [N, C], [N, C, d1, ...] or [C] (log-probabilities);
// target: int64 [N], [N, d1, ...] or [] with values in [0, C) or ignore_index.
// None gives target's shape; Mean divides the sum by the total weight of the
// targets that are not ignored (NaN when there are none), Sum adds.
// Throws on a target of another shape or dtype, a class index out of range,
// or a weight that is not [C].
Tensor nll_loss(const Tensor& input, const Tensor& target, const NllLossOptions& options = {});

struct CrossEntropyOptions {
  Tensor weight{};               // optional [C], input's dtype
  int64_t ignore_index = -100;  // class-index targets only
  double label_smoothing = 0.0;  // in [0, 1]
  Reduction reduction = Reduction::Mean;
};

// log_softmax over the class dim fused with the negative log likelihood.
// input: logits [N, C], [N, C, d1, ...] or [C]. target is either
//  - class indices: int64 of nll_loss's shapes, with weight and ignore_index
//    as nll_loss; label_smoothing mixes in (eps / C) * sum_c -weight[c] *
//    log_softmax[c] and scales the nll term by 1 - eps; Mean divides both by
//    the total weight of the targets not ignored (PyTorch 1.13's rule);
//  - class probabilities: input's shape and dtype; the loss per sample is
//    -sum_c weight[c] * target'[c] * log_softmax[c], target' = target * (1 -
//    eps) + eps / C; Mean divides by the number of samples (N * d1 * ...),
//    whatever the weights; ignore_index must be negative (not in use).
// None gives the per-sample shape ([N, d1, ...], or [] for a [C] input).
// The backward is one fused pass: softmax * total coefficient - coefficients.
// Throws on the target errors of nll_loss, a probability target of another
// shape or dtype, or label_smoothing outside [0, 1].
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options = {});

struct BinaryCrossEntropyOptions {
  Tensor weight{};  // optional; broadcasts to input's shape
  Reduction reduction = Reduction::Mean;
};

// -weight * (target * log(input) + (1 - target) * log(1 - input)), each log
// clamped at -100 as in PyTorch, so input 0 or 1 gives a finite loss.
// input: probabilities in [0, 1]; target: input's shape and dtype. The input
// gradient divides by max(input * (1 - input), 1e-12); the target gradient
// is -logit(input). Throws when an input element lies outside [0, 1] (NaN
// included) or a shape differs.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyOptions& options = {});

struct BceWithLogitsOptions {
  Tensor weight{};      // optional; broadcasts to input's shape
  Tensor pos_weight{};  // optional weight of the positive term; broadcasts to input's shape
  Reduction reduction = Reduction::Mean;
};

// binary_cross_entropy(sigmoid(input), target) computed from the logits with
// max(-x, 0) factored out, so logits of +-1e4 give exact, finite losses:
// (1 - t) x + (1 + (pos_weight - 1) t) * log(1 + exp(-x)).
// input: logits; target: input's shape and dtype. Throws when a shape differs.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options = {});

struct KlDivOptions {
  bool log_target = false;  // target holds log-probabilities
  Reduction reduction = Reduction::Mean;  // BatchMean gives the true KL per sample
};

// Pointwise KL divergence with input = log q: target * (log target - input),
// 0 where target is 0 (and NaN where it is negative), or exp(target) *
// (target - input) with log_target. input, target: same shape and dtype.
// Mean divides by every element; BatchMean by input.size(0) (a 0-d input: 1).
Tensor kl_div(const Tensor& input, const Tensor& target, const KlDivOptions& options = {});

struct CosineEmbeddingOptions {
  double margin = 0.0;  // in [-1, 1] to be meaningful
  Reduction reduction = Reduction::Mean;
};

// 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it
// is -1, 0 elsewhere; cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).
// x1, x2: [N, D] with target [N], or [D] with target []; same shape and
// dtype. target: int64 or floating. Throws on other shapes or dims.
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingOptions& options = {});

struct MarginRankingOptions {
  double margin = 0.0;
  Reduction reduction = Reduction::Mean;
};

// max(0, -target * (input1 - input2) + margin): input1 should rank above
// input2 where target is 1 and below where it is -1. All three have the same
// number of dims and broadcast together; input1 and input2 share a floating
// dtype, target is that dtype or int64. None gives the broadcast shape.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingOptions& options = {});

}  // namespace ember
