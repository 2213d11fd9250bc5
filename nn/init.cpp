#include "nn/init.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/error.h"

namespace ember::nn::init {

namespace {

void check_floating(const Tensor& tensor, const char* function) {
  EMBER_CHECK(tensor.defined(), "init.", function, ": the tensor is undefined");
  EMBER_CHECK(tensor.is_floating_point(), "init.", function, ": needs a float32 or float64 ",
              "tensor, got ", dtype_name(tensor.dtype()), " of shape ", tensor.shape());
}

int64_t correct_fan(const Tensor& tensor, FanMode mode) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

// The inverse error function on (-1, 1): Winitzki's closed form (relative
// error about 2e-3) polished by Halley steps on erf(x) - y, which converge
// cubically, so three reach double precision.
double erfinv(double y) {
  if (y <= -1.0) return -std::numeric_limits<double>::infinity();
  if (y >= 1.0) return std::numeric_limits<double>::infinity();

  constexpr double a = 0.147;
  const double log_term = std::log((1.0 - y) * (1.0 + y));
  const double first = 2.0 / (M_PI * a) + 0.5 * log_term;
  double x = std::copysign(std::sqrt(std::sqrt(first * first - log_term / a) - first), y);

  const double two_over_sqrt_pi = 2.0 / std::sqrt(M_PI);
  for (int step = 0; step < 3; ++step) {
    const double f = std::erf(x) - y;
    const double slope = two_over_sqrt_pi * std::exp(-x * x);
    if (slope == 0.0) break;  // deep in the tail: the closed form is as good as it gets
    x -= f / (slope + x * f);  // Halley: f'' = -2x f'
  }
  return x;
}

// Makes the columns of the row-major [m, n] matrix `a` (m >= n) orthonormal
// in place: Gram-Schmidt with a second pass per column (enough for float64
// accuracy), which gives R a positive diagonal, the same Q as PyTorch's
// sign-corrected QR.
void orthonormalize_columns(std::vector<double>& a, int64_t m, int64_t n) {
  std::vector<double> column(static_cast<size_t>(m));
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) column[i] = a[i * n + j];

    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t k = 0; k < j; ++k) {
        double projection = 0.0;
        for (int64_t i = 0; i < m; ++i) projection += a[i * n + k] * column[i];
        for (int64_t i = 0; i < m; ++i) column[i] -= projection * a[i * n + k];
      }
    }

    double norm = 0.0;
    for (int64_t i = 0; i < m; ++i) norm += column[i] * column[i];
    norm = std::sqrt(norm);
    EMBER_CHECK(norm > 0.0, "init.orthogonal_: the random draw was rank deficient; ",
                "draw again with another generator state");
    for (int64_t i = 0; i < m; ++i) a[i * n + j] = column[i] / norm;
  }
}

// Copies float64 values (row-major, the tensor's logical order) into `tensor`.
void assign_values(Tensor& tensor, const std::vector<double>& values) {
  Tensor source = ember::tensor(values, tensor.shape(), kFloat64);
  tensor.copy_(source);
}

}  // namespace

double calculate_gain(const std::string& nonlinearity, std::optional<double> param) {
  static const char* const kUnitGain[] = {
      "linear",           "conv1d",           "conv2d",           "conv3d",
      "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (const char* name : kUnitGain) {
    if (nonlinearity == name) return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  detail::throw_error("init.calculate_gain: unsupported nonlinearity '", nonlinearity,
                      "'; expected linear, conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid, ",
                      "tanh, relu, leaky_relu or selu");
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  EMBER_CHECK(tensor.defined(), "init: fan of an undefined tensor");
  EMBER_CHECK(tensor.dim() >= 2, "init: fan in and fan out cannot be computed for a tensor ",
              "with fewer than 2 dims, got shape ", tensor.shape(),
              "; biases are initialised from their weight's fan");
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(Tensor tensor, double a, double b, Generator* generator) {
  check_floating(tensor, "uniform_");
  NoGradGuard no_grad;
  ember::uniform_(tensor, a, b, generator);
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std, Generator* generator) {
  check_floating(tensor, "normal_");
  NoGradGuard no_grad;
  ember::normal_(tensor, mean, std, generator);
  return tensor;
}

Tensor constant_(Tensor tensor, double value) {
  EMBER_CHECK(tensor.defined(), "init.constant_: the tensor is undefined");
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0); }

Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0); }

Tensor eye_(Tensor tensor) {
  EMBER_CHECK(tensor.defined() && tensor.dim() == 2, "init.eye_: needs a 2-D tensor, got ",
              tensor.defined() ? tensor.shape() : Shape{});
  NoGradGuard no_grad;
  tensor.copy_(eye(tensor.size(0), tensor.size(1), tensor.dtype()));
  return tensor;
}

Tensor xavier_uniform_(Tensor tensor, double gain, Generator* generator) {
  check_floating(tensor, "xavier_uniform_");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * std;  // U(-r, r) has std r / sqrt(3)
  return uniform_(std::move(tensor), -bound, bound, generator);
}

Tensor xavier_normal_(Tensor tensor, double gain, Generator* generator) {
  check_floating(tensor, "xavier_normal_");
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(std::move(tensor), 0.0, std, generator);
}

Tensor kaiming_uniform_(Tensor tensor, const KaimingOptions& options, Generator* generator) {
  check_floating(tensor, "kaiming_uniform_");
  const int64_t fan = correct_fan(tensor, options.mode);
  if (tensor.numel() == 0) return tensor;  // PyTorch: a no-op on zero-element tensors

  const double std = calculate_gain(options.nonlinearity, options.a) /
                     std::sqrt(static_cast<double>(fan));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(std::move(tensor), -bound, bound, generator);
}

Tensor kaiming_normal_(Tensor tensor, const KaimingOptions& options, Generator* generator) {
  check_floating(tensor, "kaiming_normal_");
  const int64_t fan = correct_fan(tensor, options.mode);
  if (tensor.numel() == 0) return tensor;

  const double std = calculate_gain(options.nonlinearity, options.a) /
                     std::sqrt(static_cast<double>(fan));
  return normal_(std::move(tensor), 0.0, std, generator);
}

Tensor orthogonal_(Tensor tensor, double gain, Generator* generator) {
  check_floating(tensor, "orthogonal_");
  EMBER_CHECK(tensor.dim() >= 2, "init.orthogonal_: needs a tensor with 2 or more dims, got ",
              "shape ", tensor.shape());
  if (tensor.numel() == 0) return tensor;

  // Work on the tall orientation: [cols, rows] when the matrix is wide.
  const int64_t rows = tensor.size(0);
  const int64_t cols = tensor.numel() / rows;
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows;
  const int64_t n = wide ? rows : cols;
  std::vector<double> tall = randn({m, n}, kFloat64, generator).to_vector<double>();

  orthonormalize_columns(tall, m, n);

  // Back to [rows, cols], times the gain.
  std::vector<double> values(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      values[i * cols + j] = gain * (wide ? tall[j * n + i] : tall[i * n + j]);
    }
  }
  NoGradGuard no_grad;
  assign_values(tensor, values);
  return tensor;
}

Tensor trunc_normal_(Tensor tensor, double mean, double std, double a, double b,
                     Generator* generator) {
  check_floating(tensor, "trunc_normal_");
  EMBER_CHECK(a < b, "init.trunc_normal_: the interval [a, b] = [", a, ", ", b,
              "] is empty; a must be below b");
  EMBER_CHECK(std > 0.0, "init.trunc_normal_: std must be positive, got ", std);

  // Inverse CDF: u ~ U(2 cdf(a) - 1, 2 cdf(b) - 1), x = mean + std sqrt(2) erfinv(u).
  auto normal_cdf = [](double x) { return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); };
  const double low = 2.0 * normal_cdf((a - mean) / std) - 1.0;
  const double high = 2.0 * normal_cdf((b - mean) / std) - 1.0;
  Tensor draw = empty(tensor.shape(), kFloat64);
  ember::uniform_(draw, low, high, generator);

  std::vector<double> values = draw.to_vector<double>();
  for (double& value : values) {
    // The clamp catches rounding at the ends (and erfinv's infinities).
    value = std::clamp(mean + std * std::sqrt(2.0) * erfinv(value), a, b);
  }
  NoGradGuard no_grad;
  assign_values(tensor, values);
  return tensor;
}

}  // namespace ember::nn::init
