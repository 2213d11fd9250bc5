#include "nn/normalization.h"

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"
#include "nn/detail/python_repr.h"

namespace ember::nn {

using detail::python_bool;
using detail::python_float;
using detail::python_optional;
using detail::python_tuple;

namespace {

// "2-D or 3-D", "4-D".
std::string describe_dims(const std::vector<int64_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += i + 1 == dims.size() ? " or " : ", ";
    text += std::to_string(dims[i]) + "-D";
  }
  return text;
}

}  // namespace

// ---- shared by batch norm and instance norm ----

NormImplBase::NormImplBase(const char* module_name, std::vector<int64_t> accepted_dims,
                           int64_t num_features, double eps, std::optional<double> momentum,
                           bool affine, bool track_running_stats)
    : module_name_(module_name),
      accepted_dims_(std::move(accepted_dims)),
      num_features_(num_features),
      eps_(eps),
      momentum_(momentum) {
  EMBER_CHECK(num_features >= 1, module_name, ": num_features must be at least 1, got ",
              num_features);

  if (affine) {
    weight = register_parameter("weight", ones({num_features}));
    bias = register_parameter("bias", zeros({num_features}));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}

void NormImplBase::reset_running_stats() {
  if (!track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1.0);
  num_batches_tracked.zero_();
}

void NormImplBase::reset_parameters() {
  reset_running_stats();
  if (!affine()) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

std::string NormImplBase::extra_repr() const {
  return std::to_string(num_features_) + ", eps=" + python_float(eps_) +
         ", momentum=" + python_optional(momentum_) + ", affine=" + python_bool(affine()) +
         ", track_running_stats=" + python_bool(track_running_stats());
}

void NormImplBase::check_input_dim(const Tensor& input) const {
  for (int64_t dims : accepted_dims_) {
    if (input.dim() == dims) return;
  }
  throw Error(module_name_ + ": expected " + describe_dims(accepted_dims_) + " input (got " +
              std::to_string(input.dim()) + "-D input of shape " + format_shape(input.shape()) +
              ")");
}

// ---- batch norm ----

BatchNormImplBase::BatchNormImplBase(const char* module_name, std::vector<int64_t> accepted_dims,
                                     int64_t num_features, const BatchNormOptions& options)
    : NormImplBase(module_name, std::move(accepted_dims), num_features, options.eps,
                   options.momentum, options.affine, options.track_running_stats) {}

Tensor BatchNormImplBase::forward(const Tensor& input) {
  check_input_dim(input);

  // Batch statistics in training, and in evaluation when none are tracked.
  // Only a training step moves the running statistics; batch_norm adds one
  // to num_batches_tracked then, before taking the cumulative factor.
  const bool use_batch_stats = is_training() || !track_running_stats();
  const Tensor counter = is_training() ? num_batches_tracked : Tensor();
  return batch_norm(input, running_mean, running_var, weight, bias, use_batch_stats, momentum_,
                    eps_, counter);
}

// ---- instance norm ----

InstanceNormImplBase::InstanceNormImplBase(const char* module_name,
                                           std::vector<int64_t> accepted_dims,
                                           int64_t num_features,
                                           const InstanceNormOptions& options)
    : NormImplBase(module_name, std::move(accepted_dims), num_features, options.eps,
                   options.momentum, options.affine, options.track_running_stats) {}

Tensor InstanceNormImplBase::forward(const Tensor& input) {
  check_input_dim(input);

  // An unbatched input ([C, *], the lower accepted rank) runs as a batch of one.
  const bool unbatched = input.dim() == accepted_dims_.front();
  const Tensor batched = unbatched ? input.unsqueeze(0) : input;
  const bool use_input_stats = is_training() || !track_running_stats();
  Tensor output = instance_norm(batched, running_mean, running_var, weight, bias,
                                use_input_stats, *momentum_, eps_);
  return unbatched ? output.squeeze(0) : output;
}

// ---- group norm ----

GroupNormImpl::GroupNormImpl(int64_t num_groups, int64_t num_channels,
                             const GroupNormOptions& options)
    : num_groups_(num_groups), num_channels_(num_channels), eps_(options.eps) {
  EMBER_CHECK(num_groups >= 1 && num_channels >= 1, "GroupNorm: num_groups and num_channels ",
              "must be at least 1, got num_groups=", num_groups, ", num_channels=",
              num_channels);
  EMBER_CHECK(num_channels % num_groups == 0, "GroupNorm: num_channels must be divisible by ",
              "num_groups, got num_channels=", num_channels, ", num_groups=", num_groups);

  if (options.affine) {
    weight = register_parameter("weight", ones({num_channels}));
    bias = register_parameter("bias", zeros({num_channels}));
  }
}

Tensor GroupNormImpl::forward(const Tensor& input) {
  return group_norm(input, num_groups_, weight, bias, eps_);
}

std::string GroupNormImpl::extra_repr() const {
  return std::to_string(num_groups_) + ", " + std::to_string(num_channels_) +
         ", eps=" + python_float(eps_) + ", affine=" + python_bool(weight.defined());
}

void GroupNormImpl::reset_parameters() {
  if (!weight.defined()) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

// ---- layer norm ----

LayerNormImpl::LayerNormImpl(Shape normalized_shape, const LayerNormOptions& options)
    : normalized_shape_(std::move(normalized_shape)), eps_(options.eps) {
  bool positive = !normalized_shape_.empty();
  for (int64_t size : normalized_shape_) positive = positive && size >= 1;
  EMBER_CHECK(positive, "LayerNorm: normalized_shape must be non-empty with sizes of at ",
              "least 1, got ", normalized_shape_);

  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape_));
    bias = register_parameter("bias", zeros(normalized_shape_));
  }
}

Tensor LayerNormImpl::forward(const Tensor& input) {
  return layer_norm(input, normalized_shape_, weight, bias, eps_);
}

std::string LayerNormImpl::extra_repr() const {
  return python_tuple(normalized_shape_) + ", eps=" + python_float(eps_) +
         ", elementwise_affine=" + python_bool(weight.defined());
}

void LayerNormImpl::reset_parameters() {
  if (!weight.defined()) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

}  // namespace ember::nn
