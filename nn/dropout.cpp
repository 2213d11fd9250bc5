#include "nn/dropout.h"

#include "framework/error.h"
#include "nn/detail/python_repr.h"

namespace ember::nn {

DropoutImplBase::DropoutImplBase(const char* module_name, double p) : p_(p) {
  // Written so that NaN fails too.
  EMBER_CHECK(p >= 0.0 && p <= 1.0, module_name, ": dropout probability has to be between 0 ",
              "and 1, but got ", p);
}

std::string DropoutImplBase::extra_repr() const {
  return "p=" + detail::python_float(p_) + ", inplace=False";
}

Tensor DropoutImpl::forward(const Tensor& input) { return dropout(input, p_, is_training()); }

Tensor Dropout1dImpl::forward(const Tensor& input) {
  return dropout1d(input, p_, is_training());
}

Tensor Dropout2dImpl::forward(const Tensor& input) {
  return dropout2d(input, p_, is_training());
}

Tensor Dropout3dImpl::forward(const Tensor& input) {
  return dropout3d(input, p_, is_training());
}

Tensor AlphaDropoutImpl::forward(const Tensor& input) {
  return alpha_dropout(input, p_, is_training());
}

Tensor FeatureAlphaDropoutImpl::forward(const Tensor& input) {
  return feature_alpha_dropout(input, p_, is_training());
}

}  // namespace ember::nn
