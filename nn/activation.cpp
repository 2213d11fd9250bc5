#include "nn/activation.h"

#include <utility>

#include "framework/error.h"
#include "nn/detail/python_repr.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/softmax.h"

namespace ember::nn {

using detail::python_float;

Tensor ReLUImpl::forward(const Tensor& input) { return relu(input); }

Tensor ReLU6Impl::forward(const Tensor& input) { return relu6(input); }

Tensor LeakyReLUImpl::forward(const Tensor& input) {
  return leaky_relu(input, negative_slope_);
}

std::string LeakyReLUImpl::extra_repr() const {
  return "negative_slope=" + python_float(negative_slope_);
}

Tensor ELUImpl::forward(const Tensor& input) { return elu(input, alpha_); }

std::string ELUImpl::extra_repr() const { return "alpha=" + python_float(alpha_); }

Tensor SELUImpl::forward(const Tensor& input) { return selu(input); }

GELUImpl::GELUImpl(std::string approximate) : approximate_(std::move(approximate)) {
  EMBER_CHECK(approximate_ == "none" || approximate_ == "tanh",
              "GELU: approximate must be \"none\" or \"tanh\", got \"", approximate_, "\"");
}

Tensor GELUImpl::forward(const Tensor& input) { return gelu(input, approximate_); }

std::string GELUImpl::extra_repr() const { return "approximate='" + approximate_ + "'"; }

Tensor SiLUImpl::forward(const Tensor& input) { return silu(input); }

Tensor MishImpl::forward(const Tensor& input) { return mish(input); }

Tensor SoftplusImpl::forward(const Tensor& input) {
  return softplus(input, beta_, threshold_);
}

std::string SoftplusImpl::extra_repr() const {
  return "beta=" + detail::python_number(beta_) +
         ", threshold=" + detail::python_number(threshold_);
}

HardtanhImpl::HardtanhImpl(double min_val, double max_val)
    : min_val_(min_val), max_val_(max_val) {
  EMBER_CHECK(max_val > min_val, "Hardtanh: max_val must be greater than min_val, got min_val=",
              min_val, ", max_val=", max_val);
}

Tensor HardtanhImpl::forward(const Tensor& input) {
  return hardtanh(input, min_val_, max_val_);
}

std::string HardtanhImpl::extra_repr() const {
  return "min_val=" + python_float(min_val_) + ", max_val=" + python_float(max_val_);
}

Tensor HardsigmoidImpl::forward(const Tensor& input) { return hardsigmoid(input); }

Tensor HardswishImpl::forward(const Tensor& input) { return hardswish(input); }

Tensor SigmoidImpl::forward(const Tensor& input) { return sigmoid(input); }

Tensor TanhImpl::forward(const Tensor& input) { return tanh(input); }

Tensor SoftmaxImpl::forward(const Tensor& input) { return softmax(input, dim_); }

std::string SoftmaxImpl::extra_repr() const { return "dim=" + std::to_string(dim_); }

Tensor LogSoftmaxImpl::forward(const Tensor& input) { return log_softmax(input, dim_); }

std::string LogSoftmaxImpl::extra_repr() const { return "dim=" + std::to_string(dim_); }

}  // namespace ember::nn
