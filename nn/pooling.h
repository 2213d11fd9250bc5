#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "nn/module.h"
#include "nn/module_holder.h"
#include "ops/pooling.h"

// Pooling layers: max, average and adaptive pooling over 1, 2 or 3 spatial
// dims, as modules over the ops in ops/pooling.h (shapes, dtypes, tie and
// padding rules and errors are documented there).
//
//   nn::MaxPool2d pool(2);                                   // kernel 2, stride 2
//   nn::MaxPool2d overlap(3, {.stride = 2, .padding = 1});
//   nn::AvgPool2d avg({3, 2}, {.stride = 1, .count_include_pad = false});
//   nn::AdaptiveAvgPool2d global(1);                         // [N, C, H, W] -> [N, C, 1, 1]
//
// Input [N, C, *in] or unbatched [C, *in]; output [N, C, *out] (or [C, *out]).
// Sizes are given once for every spatial dim (2) or once per dim ({3, 2}).
// Printing matches PyTorch's repr, except that a size given as a one-element
// list prints as an int ("2", where PyTorch prints "(2,)").
namespace ember::nn {

// Options of MaxPool1d/2d/3d besides kernel_size, in PyTorch's order.
struct MaxPoolOptions {
  PoolSizes stride = {};   // empty (default): the kernel size
  PoolSizes padding = 0;   // implicit -inf on both sides, at most kernel_size / 2
  PoolSizes dilation = 1;  // spacing between window elements
  bool ceil_mode = false;  // round the output size up
};

// Options of AvgPool1d/2d/3d besides kernel_size, in PyTorch's order.
struct AvgPoolOptions {
  PoolSizes stride = {};          // empty (default): the kernel size
  PoolSizes padding = 0;          // zeros on both sides, at most kernel_size / 2
  bool ceil_mode = false;         // round the output size up
  bool count_include_pad = true;  // padded zeros count in the divisor
  // Divides every window sum by this instead; AvgPool2d/3d only, as PyTorch.
  std::optional<int64_t> divisor_override = std::nullopt;
};

// Shared by MaxPool1d/2d/3d: holds the op options and prints them.
class MaxPoolImplBase : public Module {
 public:
  // The options handed to the op (kernel_size included; an empty stride
  // stands for kernel_size).
  const ember::MaxPoolOptions& options() const { return options_; }
  // "kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False"
  std::string extra_repr() const override;

 protected:
  MaxPoolImplBase(PoolSizes kernel_size, const MaxPoolOptions& options);

  ember::MaxPoolOptions options_;
};

// Max pooling over [N, C, L] or [C, L]. Throws as max_pool1d.
class MaxPool1dImpl : public MaxPoolImplBase {
 public:
  explicit MaxPool1dImpl(PoolSizes kernel_size, const MaxPoolOptions& options = {})
      : MaxPoolImplBase(std::move(kernel_size), options) {}
  Tensor forward(const Tensor& input) override;
  // (values, int64 indices), PyTorch's return_indices=True; for MaxUnpool.
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
};

// Max pooling over [N, C, H, W] or [C, H, W]. Throws as max_pool2d.
class MaxPool2dImpl : public MaxPoolImplBase {
 public:
  explicit MaxPool2dImpl(PoolSizes kernel_size, const MaxPoolOptions& options = {})
      : MaxPoolImplBase(std::move(kernel_size), options) {}
  Tensor forward(const Tensor& input) override;
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
};

// Max pooling over [N, C, D, H, W] or [C, D, H, W]. Throws as max_pool3d.
class MaxPool3dImpl : public MaxPoolImplBase {
 public:
  explicit MaxPool3dImpl(PoolSizes kernel_size, const MaxPoolOptions& options = {})
      : MaxPoolImplBase(std::move(kernel_size), options) {}
  Tensor forward(const Tensor& input) override;
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
};

// Shared by AvgPool1d/2d/3d: holds the op options.
class AvgPoolImplBase : public Module {
 public:
  const ember::AvgPoolOptions& options() const { return options_; }
  // "kernel_size=2, stride=2, padding=0" (PyTorch prints no other option).
  std::string extra_repr() const override;

 protected:
  AvgPoolImplBase(PoolSizes kernel_size, const AvgPoolOptions& options);

  ember::AvgPoolOptions options_;
};

// Average pooling over [N, C, L] or [C, L]. Throws ember::Error when given a
// divisor_override (PyTorch's AvgPool1d has none), else as avg_pool1d.
class AvgPool1dImpl : public AvgPoolImplBase {
 public:
  explicit AvgPool1dImpl(PoolSizes kernel_size, const AvgPoolOptions& options = {});
  Tensor forward(const Tensor& input) override;
  // "kernel_size=(2,), stride=(2,), padding=(0,)": PyTorch prints 1-tuples here.
  std::string extra_repr() const override;
};

// Average pooling over [N, C, H, W] or [C, H, W]. Throws as avg_pool2d.
class AvgPool2dImpl : public AvgPoolImplBase {
 public:
  explicit AvgPool2dImpl(PoolSizes kernel_size, const AvgPoolOptions& options = {})
      : AvgPoolImplBase(std::move(kernel_size), options) {}
  Tensor forward(const Tensor& input) override;
};

// Average pooling over [N, C, D, H, W] or [C, D, H, W]. Throws as avg_pool3d.
class AvgPool3dImpl : public AvgPoolImplBase {
 public:
  explicit AvgPool3dImpl(PoolSizes kernel_size, const AvgPoolOptions& options = {})
      : AvgPoolImplBase(std::move(kernel_size), options) {}
  Tensor forward(const Tensor& input) override;
};

// Shared by the adaptive pools: the output size and its printing.
class AdaptivePoolImplBase : public Module {
 public:
  const PoolSizes& output_size() const { return output_size_; }
  // "output_size=3" or "output_size=(3, 4)"
  std::string extra_repr() const override;

 protected:
  explicit AdaptivePoolImplBase(PoolSizes output_size) : output_size_(std::move(output_size)) {}

  PoolSizes output_size_;
};

// Averages [N, C, L] or [C, L] to output_size columns. Throws as adaptive_avg_pool1d.
class AdaptiveAvgPool1dImpl : public AdaptivePoolImplBase {
 public:
  explicit AdaptiveAvgPool1dImpl(PoolSizes output_size)
      : AdaptivePoolImplBase(std::move(output_size)) {}
  Tensor forward(const Tensor& input) override;
};

// Averages [N, C, H, W] or [C, H, W] to output_size. Throws as adaptive_avg_pool2d.
class AdaptiveAvgPool2dImpl : public AdaptivePoolImplBase {
 public:
  explicit AdaptiveAvgPool2dImpl(PoolSizes output_size)
      : AdaptivePoolImplBase(std::move(output_size)) {}
  Tensor forward(const Tensor& input) override;
};

// Averages [N, C, D, H, W] or [C, D, H, W] to output_size. Throws as adaptive_avg_pool3d.
class AdaptiveAvgPool3dImpl : public AdaptivePoolImplBase {
 public:
  explicit AdaptiveAvgPool3dImpl(PoolSizes output_size)
      : AdaptivePoolImplBase(std::move(output_size)) {}
  Tensor forward(const Tensor& input) override;
};

// Window maxima of [N, C, H, W] or [C, H, W] at output_size. Throws as
// adaptive_max_pool2d.
class AdaptiveMaxPool2dImpl : public AdaptivePoolImplBase {
 public:
  explicit AdaptiveMaxPool2dImpl(PoolSizes output_size)
      : AdaptivePoolImplBase(std::move(output_size)) {}
  Tensor forward(const Tensor& input) override;
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
};

// ---- handles ----
// Written out (not EMBER_MODULE) so a braced size or options list reaches the
// constructor: nn::MaxPool2d({3, 2}, {.stride = 1}).

class MaxPool1d : public ModuleHolder<MaxPool1dImpl> {
 public:
  using ModuleHolder<MaxPool1dImpl>::ModuleHolder;
  explicit MaxPool1d(PoolSizes kernel_size, const MaxPoolOptions& options = {})
      : ModuleHolder(std::make_shared<MaxPool1dImpl>(std::move(kernel_size), options)) {}
};

class MaxPool2d : public ModuleHolder<MaxPool2dImpl> {
 public:
  using ModuleHolder<MaxPool2dImpl>::ModuleHolder;
  explicit MaxPool2d(PoolSizes kernel_size, const MaxPoolOptions& options = {})
      : ModuleHolder(std::make_shared<MaxPool2dImpl>(std::move(kernel_size), options)) {}
};

class MaxPool3d : public ModuleHolder<MaxPool3dImpl> {
 public:
  using ModuleHolder<MaxPool3dImpl>::ModuleHolder;
  explicit MaxPool3d(PoolSizes kernel_size, const MaxPoolOptions& options = {})
      : ModuleHolder(std::make_shared<MaxPool3dImpl>(std::move(kernel_size), options)) {}
};

class AvgPool1d : public ModuleHolder<AvgPool1dImpl> {
 public:
  using ModuleHolder<AvgPool1dImpl>::ModuleHolder;
  explicit AvgPool1d(PoolSizes kernel_size, const AvgPoolOptions& options = {})
      : ModuleHolder(std::make_shared<AvgPool1dImpl>(std::move(kernel_size), options)) {}
};

class AvgPool2d : public ModuleHolder<AvgPool2dImpl> {
 public:
  using ModuleHolder<AvgPool2dImpl>::ModuleHolder;
  explicit AvgPool2d(PoolSizes kernel_size, const AvgPoolOptions& options = {})
      : ModuleHolder(std::make_shared<AvgPool2dImpl>(std::move(kernel_size), options)) {}
};

class AvgPool3d : public ModuleHolder<AvgPool3dImpl> {
 public:
  using ModuleHolder<AvgPool3dImpl>::ModuleHolder;
  explicit AvgPool3d(PoolSizes kernel_size, const AvgPoolOptions& options = {})
      : ModuleHolder(std::make_shared<AvgPool3dImpl>(std::move(kernel_size), options)) {}
};

class AdaptiveAvgPool1d : public ModuleHolder<AdaptiveAvgPool1dImpl> {
 public:
  using ModuleHolder<AdaptiveAvgPool1dImpl>::ModuleHolder;
  explicit AdaptiveAvgPool1d(PoolSizes output_size)
      : ModuleHolder(std::make_shared<AdaptiveAvgPool1dImpl>(std::move(output_size))) {}
};

class AdaptiveAvgPool2d : public ModuleHolder<AdaptiveAvgPool2dImpl> {
 public:
  using ModuleHolder<AdaptiveAvgPool2dImpl>::ModuleHolder;
  explicit AdaptiveAvgPool2d(PoolSizes output_size)
      : ModuleHolder(std::make_shared<AdaptiveAvgPool2dImpl>(std::move(output_size))) {}
};

class AdaptiveAvgPool3d : public ModuleHolder<AdaptiveAvgPool3dImpl> {
 public:
  using ModuleHolder<AdaptiveAvgPool3dImpl>::ModuleHolder;
  explicit AdaptiveAvgPool3d(PoolSizes output_size)
      : ModuleHolder(std::make_shared<AdaptiveAvgPool3dImpl>(std::move(output_size))) {}
};

class AdaptiveMaxPool2d : public ModuleHolder<AdaptiveMaxPool2dImpl> {
 public:
  using ModuleHolder<AdaptiveMaxPool2dImpl>::ModuleHolder;
  explicit AdaptiveMaxPool2d(PoolSizes output_size)
      : ModuleHolder(std::make_shared<AdaptiveMaxPool2dImpl>(std::move(output_size))) {}
};

}  // namespace ember::nn
