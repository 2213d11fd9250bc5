#pragma once

#include <optional>

#include "framework/tensor.h"

// Normalization layers as functions, with PyTorch 1.13's semantics and
// defaults: batch_norm, group_norm, layer_norm, instance_norm.
//
// Each op is one fused forward kernel (statistics, then normalize and affine)
// and one fused backward kernel that produces the input, weight and bias
// gradients together. Statistics are accumulated in double with two passes
// per row, so inputs with a large offset keep their variance; rows are
// combined in a fixed order, so results are bitwise the same for every thread
// count. Inputs are float32 or float64; weight, bias and running statistics
// must have the input's dtype. Optional tensors are passed as an undefined
// Tensor(). No gradient flows to running statistics, and the backward itself
// is not differentiable (no double backward).
// Limitation: a non-contiguous input (channels-last included) is copied to a
// contiguous one first (one extra pass over memory).
namespace ember {

// Batch normalization over [N, C, *] (any number of trailing dims, [N, C]
// included): per channel, statistics over N and the trailing dims.
//   input: [N, C, ...]; weight, bias, running_mean, running_var: [C] or undefined.
//   training: normalize with the batch mean and biased batch variance, and update
//     running_mean / running_var (whichever is defined) in place, without
//     autograd: stat = (1 - f) * stat + f * batch_stat, the variance update
//     using the unbiased batch variance. f is `momentum`, or, when momentum is
//     nullopt, the cumulative-average factor 1 / num_batches_tracked.
//   evaluation: normalize with running_mean and running_var (both required).
//   num_batches_tracked: an optional int64 tensor of one element, the
//     nn.BatchNorm buffer. When given, a training call with running statistics
//     adds one to it in place (as the module does, momentum or not) before the
//     factor is taken. momentum = nullopt in training with running statistics
//     requires it.
// Returns a tensor of input's shape and dtype.
// Throws ember::Error for an input with fewer than 2 dims, a parameter whose
// size is not C or whose dtype differs from input's, a training batch with one
// value per channel ("Expected more than 1 value per channel when training,
// got input size [1, 3]", as PyTorch), evaluation without running statistics,
// or a cumulative average without num_batches_tracked.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  bool training = false, std::optional<double> momentum = 0.1,
                  double eps = 1e-5, const Tensor& num_batches_tracked = Tensor());

// Group normalization: the C channels of each sample split into num_groups
// groups of C / num_groups consecutive channels, each normalized over its
// channels and trailing dims (biased variance); then a per-channel affine.
//   input: [N, C, ...]; weight, bias: [C] or undefined.
// Returns a tensor of input's shape and dtype.
// Throws ember::Error when input has fewer than 2 dims, num_groups < 1 or C is
// not divisible by num_groups, or weight / bias is not [C] of input's dtype.
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// Layer normalization over the trailing dims given by normalized_shape: each
// of the prod(leading dims) rows is normalized on its own (biased variance),
// then weight and bias apply elementwise.
//   input: [*, normalized_shape...]; weight, bias: normalized_shape or undefined.
// Returns a tensor of input's shape and dtype.
// Throws ember::Error when normalized_shape is empty or is not the trailing
// shape of input, or weight / bias does not have that shape and input's dtype.
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  double eps = 1e-5);

// Instance normalization: each (sample, channel) of [N, C, ...] normalized
// over its trailing dims, then a per-channel affine.
//   input: [N, C, ...]; running_mean, running_var, weight, bias: [C] or undefined.
//   use_input_stats: normalize with each instance's own statistics (biased
//     variance) and, when running statistics are given, update them in place
//     with `momentum` towards the instance statistics averaged over the batch
//     (the variance update uses the unbiased instance variances), as
//     torch.instance_norm does. false: normalize every instance with the
//     running statistics, which are then required.
// Returns a tensor of input's shape and dtype.
// Throws ember::Error for an input with fewer than 2 dims, parameters not [C]
// of input's dtype, use_input_stats with one value per instance ("Expected more
// than 1 spatial element when training, got input size ..."), or
// use_input_stats = false without running statistics.
Tensor instance_norm(const Tensor& input, const Tensor& running_mean = Tensor(),
                     const Tensor& running_var = Tensor(), const Tensor& weight = Tensor(),
                     const Tensor& bias = Tensor(), bool use_input_stats = true,
                     double momentum = 0.1, double eps = 1e-5);

}  // namespace ember
