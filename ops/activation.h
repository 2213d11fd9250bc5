#pragma once

#include "framework/tensor.h"

// Pointwise activations beyond the basic ones in ops/elementwise.h (relu,
// leaky_relu, gelu, sigmoid, tanh). Each takes a tensor of any shape and
// layout and returns a contiguous tensor of the same shape; float32 and
// float64 compute in their own dtype, int64 and bool inputs are promoted to
// float32 (as ember's other unary math). Formulas, gradients and the gradient
// at each kink follow PyTorch 1.13; the doc comment names the convention.
namespace ember {

// min(max(x, 0), 6). Gradient 1 strictly inside (0, 6), 0 on and beyond both
// bounds (PyTorch computes relu6 as hardtanh(x, 0, 6)).
Tensor relu6(const Tensor& x);

// x for x > 0, alpha * (exp(x) - 1) for x <= 0. At x = 0 the gradient is
// alpha (the x <= 0 branch), as in PyTorch.
Tensor elu(const Tensor& x, double alpha = 1.0);

// scale * elu(x, alpha) with the self-normalizing constants
// alpha = 1.6732632423543772, scale = 1.0507009873554805.
Tensor selu(const Tensor& x);

// x * sigmoid(x), also called swish.
Tensor silu(const Tensor& x);

// x * tanh(softplus(x)).
Tensor mish(const Tensor& x);

// log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold
// (there the two agree to rounding and exp could overflow). As in PyTorch,
// beta = 0 is not refused and divides by zero.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);

// min(max(x, min_val), max_val). Gradient 1 strictly inside (min_val,
// max_val), 0 on the bounds and beyond (clamp, by contrast, passes the
// gradient on the bounds). With min_val > max_val every element is max_val.
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);

// relu6(x + 3) / 6. Gradient 1/6 strictly inside (-3, 3), else 0.
Tensor hardsigmoid(const Tensor& x);

// x * relu6(x + 3) / 6. Gradient 0 for x < -3, x / 3 + 1/2 on [-3, 3] (both
// bounds included, as in PyTorch), 1 for x > 3.
Tensor hardswish(const Tensor& x);

}  // namespace ember
