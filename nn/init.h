#pragma once

#include <optional>
#include <string>
#include <utility>

#include "framework/random.h"
#include "framework/tensor.h"

// Weight initialisation as torch.nn.init (PyTorch 1.13): every function fills
// its tensor in place without recording autograd history (parameters that
// require grad are fine), returns the same tensor, and draws from `generator`
// or, when it is null, from the default generator. Float32 and float64 only;
// another dtype throws ember::Error naming the function.
namespace ember::nn::init {

// The recommended gain for a nonlinearity, as PyTorch's calculate_gain:
//   linear, conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid -> 1
//   tanh -> 5/3          relu -> sqrt(2)          selu -> 3/4
//   leaky_relu -> sqrt(2 / (1 + slope^2)), slope = param (default 0.01)
// `param` is only read for leaky_relu. Throws ember::Error for another name.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight of shape [out, in, *receptive_field]:
// fan_in = in * prod(receptive_field), fan_out = out * prod(receptive_field).
// For ConvTranspose's [in, out / groups, *kernel] this is PyTorch's reading
// too (dim 1 is "in"). Throws ember::Error for tensors with fewer than 2 dims.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

// Fills with U(a, b) / N(mean, std^2) / a constant.
Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0, Generator* generator = nullptr);
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0,
               Generator* generator = nullptr);
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
// The identity matrix; throws ember::Error unless the tensor is 2-D.
Tensor eye_(Tensor tensor);

// Glorot & Bengio (2010): U(-r, r) with r = gain * sqrt(6 / (fan_in + fan_out)),
// or N(0, gain^2 * 2 / (fan_in + fan_out)). Tensors of 2 or more dims.
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);
Tensor xavier_normal_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);

// Which fan He initialisation divides by.
enum class FanMode { FanIn, FanOut };

struct KaimingOptions {
  double a = 0.0;  // the negative slope of a leaky_relu that follows
  FanMode mode = FanMode::FanIn;
  std::string nonlinearity = "leaky_relu";
};

// He et al. (2015): std = calculate_gain(nonlinearity, a) / sqrt(fan), drawn
// as U(-sqrt(3) * std, sqrt(3) * std) or N(0, std^2). A tensor with a zero
// size is left as it is. Tensors of 2 or more dims.
Tensor kaiming_uniform_(Tensor tensor, const KaimingOptions& options = {},
                        Generator* generator = nullptr);
Tensor kaiming_normal_(Tensor tensor, const KaimingOptions& options = {},
                       Generator* generator = nullptr);

// Saxe et al. (2013): the tensor, read as a [rows, numel / rows] matrix,
// becomes (semi-)orthogonal times `gain`: orthonormal rows when rows <= cols,
// orthonormal columns otherwise. Computed in float64 from a normal draw by
// QR with R's diagonal made positive, as PyTorch does. Tensors of 2 or more
// dims; a tensor with no elements is left as it is.
Tensor orthogonal_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);

// N(mean, std^2) truncated to [a, b], by inverse-CDF sampling (PyTorch's
// method): every value lies in [a, b]. Throws ember::Error unless a < b and std > 0.
Tensor trunc_normal_(Tensor tensor, double mean = 0.0, double std = 1.0, double a = -2.0,
                     double b = 2.0, Generator* generator = nullptr);

}  // namespace ember::nn::init
