#pragma once

#include <functional>
#include <string>

#include "framework/tensor.h"

namespace ember {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // the first mismatch: input, element, analytic vs numeric
};

// Compares the gradients autograd computes for `function` with central finite
// differences. `inputs` should be float64; those with requires_grad are
// checked. A non-scalar output is reduced against a fixed random weighting so
// every output element takes part. Inputs may be non-contiguous views: each
// element is perturbed in place through the view.
GradcheckResult check_gradients(const std::function<Tensor(const TensorList&)>& function,
                                const TensorList& inputs, GradcheckOptions options = {});

// check_gradients that throws ember::Error carrying the mismatch.
void gradcheck(const std::function<Tensor(const TensorList&)>& function,
               const TensorList& inputs, GradcheckOptions options = {});

}  // namespace ember
