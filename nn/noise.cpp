#include "nn/noise.h"

#include "framework/error.h"
#include "nn/detail/python_repr.h"
#include "ops/elementwise.h"

namespace ember::nn {

GaussianNoiseImpl::GaussianNoiseImpl(double std, Generator* generator)
    : std_(std), generator_(generator) {
  EMBER_CHECK(std >= 0.0, "GaussianNoise: std must be >= 0, got ", std);
}

Tensor GaussianNoiseImpl::forward(const Tensor& input) {
  if (!is_training() || std_ == 0.0) return input;
  EMBER_CHECK(input.is_floating_point(), "GaussianNoise: input must be float32 or float64, got ",
              dtype_name(input.dtype()), " of shape ", input.shape());

  // x + std * n in one pass; n carries no history, so dy/dx = 1.
  const Tensor noise = randn(input.shape(), input.dtype(), generator_);
  return add(input, noise, std_);
}

std::string GaussianNoiseImpl::extra_repr() const {
  return "std=" + detail::python_float(std_);
}

}  // namespace ember::nn
