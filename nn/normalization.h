#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"
#include "nn/module_holder.h"
#include "ops/normalization.h"

// Normalization layers over the ops in ops/normalization.h, with PyTorch
// 1.13's defaults, parameter and buffer names (weight, bias, running_mean,
// running_var, num_batches_tracked), so state_dict keys match PyTorch's.
// Parameters and running statistics are float32 (module->to(kFloat64) for
// float64 inputs); weight starts at ones, bias and running_mean at zeros,
// running_var at ones.
//
//   nn::BatchNorm2d bn(64);
//   nn::BatchNorm1d cumulative(10, {.momentum = std::nullopt, .affine = false});
//   nn::GroupNorm gn(8, 64);
//   nn::LayerNorm ln({16, 16}, {.eps = 1e-6});
namespace ember::nn {

// Options of BatchNorm1d/2d/3d, in PyTorch's order.
struct BatchNormOptions {
  double eps = 1e-5;  // added to the variance
  // Running statistics move by this fraction of the batch statistics each
  // training step; nullopt: a cumulative average (factor 1 / num_batches_tracked).
  std::optional<double> momentum = 0.1;
  bool affine = true;               // learnable per-channel weight and bias
  bool track_running_stats = true;  // keep running statistics for evaluation
};

// Options of InstanceNorm1d/2d/3d, in PyTorch's order (note the defaults
// differ from batch norm's: no affine, no running statistics).
struct InstanceNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = false;
  bool track_running_stats = false;
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;  // learnable per-channel weight and bias
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;  // learnable weight and bias of normalized_shape
};

// What batch norm and instance norm share (PyTorch's _NormBase): the
// parameters and buffers, their reset, and the printed options.
class NormImplBase : public Module {
 public:
  // weight, bias: [num_features] when affine, else undefined.
  Tensor weight, bias;
  // running_mean, running_var: [num_features]; num_batches_tracked: int64 0-d.
  // Undefined (and absent from state_dict) without track_running_stats.
  Tensor running_mean, running_var, num_batches_tracked;

  int64_t num_features() const { return num_features_; }
  bool affine() const { return weight.defined(); }
  bool track_running_stats() const { return running_mean.defined(); }

  // running_mean = 0, running_var = 1, num_batches_tracked = 0.
  void reset_running_stats();
  // reset_running_stats(), then weight = 1 and bias = 0.
  void reset_parameters();

  // "64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True"
  std::string extra_repr() const override;

 protected:
  // `module_name` and `accepted_dims` drive the input check; throws
  // ember::Error for num_features < 1.
  NormImplBase(const char* module_name, std::vector<int64_t> accepted_dims,
               int64_t num_features, double eps, std::optional<double> momentum, bool affine,
               bool track_running_stats);

  // Throws ember::Error naming the module when input's rank is not accepted.
  void check_input_dim(const Tensor& input) const;

  std::string module_name_;
  std::vector<int64_t> accepted_dims_;
  int64_t num_features_;
  double eps_;
  std::optional<double> momentum_;
};

// Batch normalization (PyTorch's _BatchNorm). Training: normalizes with the
// batch statistics over every dim but the channel dim (1), and, tracking
// running statistics, adds one to num_batches_tracked and moves the running
// statistics by `momentum` (or 1 / num_batches_tracked when momentum is
// nullopt). Evaluation: normalizes with the running statistics, or with the
// batch statistics when none are tracked. Output: input's shape and dtype.
// Throws ember::Error for a wrong input rank (naming the module), and as
// batch_norm (a channel count other than num_features, a dtype other than
// the parameters', one value per channel in training).
class BatchNormImplBase : public NormImplBase {
 public:
  Tensor forward(const Tensor& input) override;

 protected:
  BatchNormImplBase(const char* module_name, std::vector<int64_t> accepted_dims,
                    int64_t num_features, const BatchNormOptions& options);
};

// Input [N, C] or [N, C, L].
class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(int64_t num_features, const BatchNormOptions& options = {})
      : BatchNormImplBase("BatchNorm1d", {2, 3}, num_features, options) {}
};

// Input [N, C, H, W].
class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(int64_t num_features, const BatchNormOptions& options = {})
      : BatchNormImplBase("BatchNorm2d", {4}, num_features, options) {}
};

// Input [N, C, D, H, W].
class BatchNorm3dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm3dImpl(int64_t num_features, const BatchNormOptions& options = {})
      : BatchNormImplBase("BatchNorm3d", {5}, num_features, options) {}
};

// Instance normalization (PyTorch's _InstanceNorm): each (sample, channel)
// normalized over its spatial dims. In training, or whenever no running
// statistics are tracked, each instance uses its own statistics (and tracked
// running statistics move by `momentum` towards their batch average);
// evaluation with tracked statistics uses them. num_batches_tracked is kept
// for state_dict parity but, as in PyTorch, never incremented. Unbatched
// inputs (one dim fewer) are accepted. Output: input's shape and dtype.
// Throws ember::Error for a wrong input rank (naming the module), and as
// instance_norm.
class InstanceNormImplBase : public NormImplBase {
 public:
  Tensor forward(const Tensor& input) override;

 protected:
  InstanceNormImplBase(const char* module_name, std::vector<int64_t> accepted_dims,
                       int64_t num_features, const InstanceNormOptions& options);
};

// Input [N, C, L] or unbatched [C, L].
class InstanceNorm1dImpl : public InstanceNormImplBase {
 public:
  explicit InstanceNorm1dImpl(int64_t num_features, const InstanceNormOptions& options = {})
      : InstanceNormImplBase("InstanceNorm1d", {2, 3}, num_features, options) {}
};

// Input [N, C, H, W] or unbatched [C, H, W].
class InstanceNorm2dImpl : public InstanceNormImplBase {
 public:
  explicit InstanceNorm2dImpl(int64_t num_features, const InstanceNormOptions& options = {})
      : InstanceNormImplBase("InstanceNorm2d", {3, 4}, num_features, options) {}
};

// Input [N, C, D, H, W] or unbatched [C, D, H, W].
class InstanceNorm3dImpl : public InstanceNormImplBase {
 public:
  explicit InstanceNorm3dImpl(int64_t num_features, const InstanceNormOptions& options = {})
      : InstanceNormImplBase("InstanceNorm3d", {4, 5}, num_features, options) {}
};

// Group normalization of [N, C, *] with C = num_channels split into
// num_groups groups; weight and bias [num_channels] when affine. The same in
// training and evaluation. Throws ember::Error when num_channels is not
// divisible by num_groups (at construction), and as group_norm.
class GroupNormImpl : public Module {
 public:
  GroupNormImpl(int64_t num_groups, int64_t num_channels, const GroupNormOptions& options = {});
  Tensor forward(const Tensor& input) override;
  // "2, 4, eps=1e-05, affine=True"
  std::string extra_repr() const override;
  // weight = 1, bias = 0.
  void reset_parameters();

  Tensor weight, bias;

 private:
  int64_t num_groups_;
  int64_t num_channels_;
  double eps_;
};

// Layer normalization over the trailing dims normalized_shape of [*,
// normalized_shape...]; weight and bias of normalized_shape when
// elementwise_affine. Throws ember::Error for an empty or non-positive
// normalized_shape (at construction), and as layer_norm.
class LayerNormImpl : public Module {
 public:
  explicit LayerNormImpl(Shape normalized_shape, const LayerNormOptions& options = {});
  // The last dim only: LayerNorm(64) normalizes [*, 64].
  explicit LayerNormImpl(int64_t normalized_size, const LayerNormOptions& options = {})
      : LayerNormImpl(Shape{normalized_size}, options) {}
  Tensor forward(const Tensor& input) override;
  // "(5,), eps=1e-05, elementwise_affine=True"
  std::string extra_repr() const override;
  void reset_parameters();

  const Shape& normalized_shape() const { return normalized_shape_; }

  Tensor weight, bias;

 private:
  Shape normalized_shape_;
  double eps_;
};

// ---- handles ----
// Written out (not EMBER_MODULE) so a braced options list reaches the
// constructor: nn::BatchNorm2d(64, {.momentum = 0.01}).

class BatchNorm1d : public ModuleHolder<BatchNorm1dImpl> {
 public:
  using ModuleHolder<BatchNorm1dImpl>::ModuleHolder;
  BatchNorm1d(int64_t num_features, const BatchNormOptions& options)
      : ModuleHolder(std::make_shared<BatchNorm1dImpl>(num_features, options)) {}
};

class BatchNorm2d : public ModuleHolder<BatchNorm2dImpl> {
 public:
  using ModuleHolder<BatchNorm2dImpl>::ModuleHolder;
  BatchNorm2d(int64_t num_features, const BatchNormOptions& options)
      : ModuleHolder(std::make_shared<BatchNorm2dImpl>(num_features, options)) {}
};

class BatchNorm3d : public ModuleHolder<BatchNorm3dImpl> {
 public:
  using ModuleHolder<BatchNorm3dImpl>::ModuleHolder;
  BatchNorm3d(int64_t num_features, const BatchNormOptions& options)
      : ModuleHolder(std::make_shared<BatchNorm3dImpl>(num_features, options)) {}
};

class InstanceNorm1d : public ModuleHolder<InstanceNorm1dImpl> {
 public:
  using ModuleHolder<InstanceNorm1dImpl>::ModuleHolder;
  InstanceNorm1d(int64_t num_features, const InstanceNormOptions& options)
      : ModuleHolder(std::make_shared<InstanceNorm1dImpl>(num_features, options)) {}
};

class InstanceNorm2d : public ModuleHolder<InstanceNorm2dImpl> {
 public:
  using ModuleHolder<InstanceNorm2dImpl>::ModuleHolder;
  InstanceNorm2d(int64_t num_features, const InstanceNormOptions& options)
      : ModuleHolder(std::make_shared<InstanceNorm2dImpl>(num_features, options)) {}
};

class InstanceNorm3d : public ModuleHolder<InstanceNorm3dImpl> {
 public:
  using ModuleHolder<InstanceNorm3dImpl>::ModuleHolder;
  InstanceNorm3d(int64_t num_features, const InstanceNormOptions& options)
      : ModuleHolder(std::make_shared<InstanceNorm3dImpl>(num_features, options)) {}
};

class GroupNorm : public ModuleHolder<GroupNormImpl> {
 public:
  using ModuleHolder<GroupNormImpl>::ModuleHolder;
  GroupNorm(int64_t num_groups, int64_t num_channels, const GroupNormOptions& options)
      : ModuleHolder(std::make_shared<GroupNormImpl>(num_groups, num_channels, options)) {}
};

class LayerNorm : public ModuleHolder<LayerNormImpl> {
 public:
  using ModuleHolder<LayerNormImpl>::ModuleHolder;
  // A braced shape: nn::LayerNorm({16, 16}).
  explicit LayerNorm(Shape normalized_shape, const LayerNormOptions& options = {})
      : ModuleHolder(std::make_shared<LayerNormImpl>(std::move(normalized_shape), options)) {}
  LayerNorm(int64_t normalized_size, const LayerNormOptions& options)
      : ModuleHolder(std::make_shared<LayerNormImpl>(normalized_size, options)) {}
};

}  // namespace ember::nn
