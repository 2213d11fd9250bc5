#include "nn/pooling.h"

#include "framework/error.h"
#include "nn/detail/python_repr.h"

namespace ember::nn {

using detail::python_bool;
using detail::python_size;
using detail::python_tuple;

namespace {

// The stride as PyTorch stores it: the kernel size when none was given.
const Shape& effective_stride(const PoolSizes& stride, const PoolSizes& kernel_size) {
  return stride.empty() ? kernel_size.values() : stride.values();
}

}  // namespace

// ---- max pooling ----

MaxPoolImplBase::MaxPoolImplBase(PoolSizes kernel_size, const MaxPoolOptions& options)
    : options_{.kernel_size = std::move(kernel_size),
               .stride = options.stride,
               .padding = options.padding,
               .dilation = options.dilation,
               .ceil_mode = options.ceil_mode} {}

std::string MaxPoolImplBase::extra_repr() const {
  return "kernel_size=" + python_size(options_.kernel_size.values()) +
         ", stride=" + python_size(effective_stride(options_.stride, options_.kernel_size)) +
         ", padding=" + python_size(options_.padding.values()) +
         ", dilation=" + python_size(options_.dilation.values()) +
         ", ceil_mode=" + python_bool(options_.ceil_mode);
}

Tensor MaxPool1dImpl::forward(const Tensor& input) { return max_pool1d(input, options_); }
Tensor MaxPool2dImpl::forward(const Tensor& input) { return max_pool2d(input, options_); }
Tensor MaxPool3dImpl::forward(const Tensor& input) { return max_pool3d(input, options_); }

std::pair<Tensor, Tensor> MaxPool1dImpl::forward_with_indices(const Tensor& input) {
  return max_pool1d_with_indices(input, options_);
}
std::pair<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return max_pool2d_with_indices(input, options_);
}
std::pair<Tensor, Tensor> MaxPool3dImpl::forward_with_indices(const Tensor& input) {
  return max_pool3d_with_indices(input, options_);
}

// ---- average pooling ----

AvgPoolImplBase::AvgPoolImplBase(PoolSizes kernel_size, const AvgPoolOptions& options)
    : options_{.kernel_size = std::move(kernel_size),
               .stride = options.stride,
               .padding = options.padding,
               .ceil_mode = options.ceil_mode,
               .count_include_pad = options.count_include_pad,
               .divisor_override = options.divisor_override} {}

AvgPool1dImpl::AvgPool1dImpl(PoolSizes kernel_size, const AvgPoolOptions& options)
    : AvgPoolImplBase(std::move(kernel_size), options) {
  EMBER_CHECK(!options.divisor_override, "AvgPool1d: divisor_override is not an option of ",
              "1-D average pooling (as in PyTorch); use AvgPool2d on an [N, C, 1, L] view");
}

Tensor AvgPool1dImpl::forward(const Tensor& input) { return avg_pool1d(input, options_); }
Tensor AvgPool2dImpl::forward(const Tensor& input) { return avg_pool2d(input, options_); }
Tensor AvgPool3dImpl::forward(const Tensor& input) { return avg_pool3d(input, options_); }

std::string AvgPool1dImpl::extra_repr() const {
  return "kernel_size=" + python_tuple(options_.kernel_size.values()) +
         ", stride=" + python_tuple(effective_stride(options_.stride, options_.kernel_size)) +
         ", padding=" + python_tuple(options_.padding.values());
}

std::string AvgPoolImplBase::extra_repr() const {
  return "kernel_size=" + python_size(options_.kernel_size.values()) +
         ", stride=" + python_size(effective_stride(options_.stride, options_.kernel_size)) +
         ", padding=" + python_size(options_.padding.values());
}

// ---- adaptive pooling ----

std::string AdaptivePoolImplBase::extra_repr() const {
  return "output_size=" + python_size(output_size_.values());
}

Tensor AdaptiveAvgPool1dImpl::forward(const Tensor& input) {
  return adaptive_avg_pool1d(input, output_size_);
}
Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) {
  return adaptive_avg_pool2d(input, output_size_);
}
Tensor AdaptiveAvgPool3dImpl::forward(const Tensor& input) {
  return adaptive_avg_pool3d(input, output_size_);
}
Tensor AdaptiveMaxPool2dImpl::forward(const Tensor& input) {
  return adaptive_max_pool2d(input, output_size_);
}
std::pair<Tensor, Tensor> AdaptiveMaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return adaptive_max_pool2d_with_indices(input, output_size_);
}

}  // namespace ember::nn
