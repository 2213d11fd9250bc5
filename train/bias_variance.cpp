#include "train/bias_variance.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "framework/error.h"

namespace ember::train {
namespace {

constexpr const char* kOp = "bias_variance";

Shape shape_of(const Tensor& tensor) { return tensor.defined() ? tensor.shape() : Shape{}; }

// Throws unless predictions are [B >= 2, n >= 1], f is [n] and the labels
// [n] or [K, n], and sigma^2 is a finite number >= 0.
void check_arguments(const Tensor& predictions, const Tensor& target_function,
                     double noise_variance, const Tensor& noisy_labels) {
  EMBER_CHECK(predictions.defined() && predictions.dim() == 2, kOp,
              ": expected predictions [B, n] (one row per model), got ", shape_of(predictions));
  const int64_t points = predictions.size(1);
  EMBER_CHECK(predictions.size(0) >= 2 && points >= 1, kOp,
              ": expected predictions of at least 2 models at 1 or more points, got ",
              predictions.shape());
  EMBER_CHECK(shape_of(target_function) == Shape{points}, kOp, ": target_function must be [",
              points, "] to match predictions ", predictions.shape(), ", got ",
              shape_of(target_function));

  const Shape labels = shape_of(noisy_labels);
  const bool one_draw = labels == Shape{points};
  const bool draws = labels.size() == 2 && labels[0] >= 1 && labels[1] == points;
  EMBER_CHECK(one_draw || draws, kOp, ": noisy_labels must be [", points, "] or [K, ", points,
              "] to match predictions ", predictions.shape(), ", got ", labels);
  EMBER_CHECK(std::isfinite(noise_variance) && noise_variance >= 0.0, kOp,
              ": noise_variance must be finite and >= 0, got ", noise_variance);
}

// The values of a floating tensor as float64, after checking every one is finite.
std::vector<double> read_finite(const Tensor& tensor, const char* name) {
  EMBER_CHECK(tensor.is_floating_point(), kOp, ": ", name, " must be float32 or float64, got ",
              dtype_name(tensor.dtype()));
  std::vector<double> values = tensor.detach().to_vector<double>();
  for (size_t k = 0; k < values.size(); ++k) {
    EMBER_CHECK(std::isfinite(values[k]), kOp, ": ", name, " ", tensor.shape(),
                " holds a non-finite value at flat index ", k);
  }
  return values;
}

double mean_of(const std::vector<double>& values) {
  double sum = 0.0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

// Per-point moments of the predictions p [B, n] (row-major) over the models.
struct Moments {
  std::vector<double> mean;
  std::vector<double> variance;  // population: divisor B
};

Moments moments_over_models(const std::vector<double>& p, int64_t models, int64_t points) {
  Moments moments{std::vector<double>(points, 0.0), std::vector<double>(points, 0.0)};
  for (int64_t b = 0; b < models; ++b) {
    for (int64_t i = 0; i < points; ++i) moments.mean[i] += p[b * points + i];
  }
  for (double& value : moments.mean) value /= static_cast<double>(models);

  // Two passes, so the variance is not a difference of large squares.
  for (int64_t b = 0; b < models; ++b) {
    for (int64_t i = 0; i < points; ++i) {
      moments.variance[i] += std::pow(p[b * points + i] - moments.mean[i], 2);
    }
  }
  for (double& value : moments.variance) value /= static_cast<double>(models);
  return moments;
}

// mean over b and k of (p[b, i] - y[k, i])^2 for each point i: every model
// against every label, counted directly (B K n terms) rather than through
// the decomposition it is meant to check.
std::vector<double> squared_error_per_point(const std::vector<double>& p,
                                            const std::vector<double>& y, int64_t models,
                                            int64_t points) {
  const int64_t draws = static_cast<int64_t>(y.size()) / points;
  std::vector<double> error(points, 0.0);
  for (int64_t b = 0; b < models; ++b) {
    for (int64_t k = 0; k < draws; ++k) {
      for (int64_t i = 0; i < points; ++i) {
        error[i] += std::pow(p[b * points + i] - y[k * points + i], 2);
      }
    }
  }
  for (double& value : error) value /= static_cast<double>(models * draws);
  return error;
}

// The sample standard deviation of the gap's terms d[k, i] (see the header)
// over sqrt(K n); NaN for a single label.
double gap_standard_error(const std::vector<double>& y, const std::vector<double>& f,
                          const std::vector<double>& mean_prediction, double noise_variance) {
  const int64_t points = static_cast<int64_t>(f.size());
  std::vector<double> terms(y.size());
  for (size_t label = 0; label < y.size(); ++label) {
    const int64_t i = static_cast<int64_t>(label) % points;
    const double residual = y[label] - f[i];
    terms[label] = (residual * residual - noise_variance) -
                   2.0 * (mean_prediction[i] - f[i]) * residual;
  }
  if (terms.size() < 2) return std::nan("");

  const double count = static_cast<double>(terms.size());
  const double mean = mean_of(terms);
  double spread = 0.0;
  for (double term : terms) spread += (term - mean) * (term - mean);
  return std::sqrt(spread / (count - 1.0) / count);
}

}  // namespace

BiasVariance bias_variance(const Tensor& predictions, const Tensor& target_function,
                           double noise_variance, const Tensor& noisy_labels) {
  check_arguments(predictions, target_function, noise_variance, noisy_labels);
  const std::vector<double> p = read_finite(predictions, "predictions");
  const std::vector<double> f = read_finite(target_function, "target_function");
  const std::vector<double> y = read_finite(noisy_labels, "noisy_labels");
  const int64_t models = predictions.size(0);
  const int64_t points = predictions.size(1);

  Moments moments = moments_over_models(p, models, points);
  std::vector<double> bias_squared(points);
  for (int64_t i = 0; i < points; ++i) bias_squared[i] = std::pow(moments.mean[i] - f[i], 2);
  std::vector<double> error = squared_error_per_point(p, y, models, points);
  double noise_sum = 0.0;
  for (size_t label = 0; label < y.size(); ++label) {
    noise_sum += std::pow(y[label] - f[label % points], 2);
  }

  BiasVariance result;
  result.bias_squared = mean_of(bias_squared);
  result.variance = mean_of(moments.variance);
  result.measured_error = mean_of(error);
  result.variance_unbiased = result.variance * models / (models - 1.0);
  result.bias_squared_unbiased = result.bias_squared - result.variance_unbiased / models;
  result.noise = noise_variance;
  result.measured_noise = noise_sum / static_cast<double>(y.size());
  result.gap_standard_error = gap_standard_error(y, f, moments.mean, noise_variance);
  for (double value : f) result.target_scale = std::max(result.target_scale, std::abs(value));
  result.bias_squared_per_point = tensor(bias_squared);
  result.variance_per_point = tensor(moments.variance);
  result.error_per_point = tensor(error);
  return result;
}

bool BiasVariance::adds_up(double standard_errors) const {
  const double error = std::max(std::abs(measured_error), std::abs(expected_error()));
  const double rounding = 1e-9 * error + 1e-13 * target_scale * std::sqrt(error);
  return std::abs(gap()) <= standard_errors * gap_standard_error + rounding;
}

std::string BiasVariance::summary() const {
  char text[256];
  std::snprintf(text, sizeof text,
                "bias^2 %.4g + variance %.4g + noise %.4g = %.4g; measured %.4g "
                "(gap %.3g, %.1f standard errors)",
                bias_squared, variance, noise, expected_error(), measured_error, gap(),
                gap() / gap_standard_error);
  return text;
}

}  // namespace ember::train
