// bias_variance: exact answers on constructed predictions, the textbook
// constant model whose bias and variance are known in closed form, a gap that
// exposes a wrong noise variance, and errors for bad arguments.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "framework/random.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "train/bias_variance.h"

namespace {

using ember::Error;
using ember::Tensor;
using ember_test::ErrorMentions;
using ember::train::bias_variance;
using ember::train::BiasVariance;

constexpr double kPi = 3.14159265358979323846;

// sin(2 pi x) at the midpoints x = (i + 0.5) / n of n equal cells of [0, 1].
std::vector<double> sine_at_midpoints(int64_t n) {
  std::vector<double> f(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) f[i] = std::sin(2.0 * kPi * (i + 0.5) / n);
  return f;
}

}  // namespace

TEST_CASE("bias_variance recovers the bias and variance predictions were built with",
          "[biasvar]") {
  // p[b, i] = f[i] + offset[i] + spread[i] z[b] with z = +1, -1, +1, -1 (mean 0,
  // population variance 1); labels f[i] + r[k] with r = +0.3, -0.3 (mean 0,
  // mean square 0.09). Every cross term averages to zero, so the measured
  // error is offset^2 + spread^2 + 0.09 exactly.
  const std::vector<double> f = {0.0, 1.0, -2.0};
  const std::vector<double> offset = {0.5, -1.0, 0.0};
  const std::vector<double> spread = {0.0, 2.0, 0.1};
  std::vector<double> p;
  for (double z : {1.0, -1.0, 1.0, -1.0}) {
    for (size_t i = 0; i < f.size(); ++i) p.push_back(f[i] + offset[i] + spread[i] * z);
  }
  std::vector<double> labels;
  for (double r : {0.3, -0.3}) {
    for (double value : f) labels.push_back(value + r);
  }

  BiasVariance parts = bias_variance(ember::tensor(p, {4, 3}), ember::tensor(f), 0.09,
                                     ember::tensor(labels, {2, 3}));

  CHECK_CLOSE(parts.bias_squared_per_point, ember::tensor(std::vector<double>{0.25, 1.0, 0.0}),
              1e-12, 1e-12);
  CHECK_CLOSE(parts.variance_per_point, ember::tensor(std::vector<double>{0.0, 4.0, 0.01}),
              1e-12, 1e-12);
  CHECK_CLOSE(parts.error_per_point, ember::tensor(std::vector<double>{0.34, 5.09, 0.1}), 1e-12,
              1e-12);
  CHECK(parts.bias_squared == Approx(1.25 / 3).epsilon(1e-12));
  CHECK(parts.variance == Approx(4.01 / 3).epsilon(1e-12));
  CHECK(parts.noise == 0.09);
  CHECK(parts.measured_noise == Approx(0.09).epsilon(1e-12));
  CHECK(parts.measured_error == Approx(parts.expected_error()).epsilon(1e-12));
  CHECK(parts.adds_up());

  // The finite-B split moves variance / (B - 1) from bias^2 to variance.
  CHECK(parts.variance_unbiased == Approx(4.01 / 3 * 4 / 3).epsilon(1e-12));
  CHECK(parts.bias_squared_unbiased == Approx(1.25 / 3 - 4.01 / 9).epsilon(1e-12));
}

TEST_CASE("bias_variance of a constant fitted by least squares matches its closed form",
          "[biasvar]") {
  // The least-squares constant on n noisy points y = f + sigma eps, the same
  // n design points in every training set and as test points: the fit is
  // mean(f) + delta_b, delta_b ~ N(0, sigma^2 / n). Over B sets,
  //   bias^2   = A + d^2 with A = mean_i (mean f - f_i)^2 and d = mean_b delta_b
  //              ~ N(0, sigma^2 / (n B)) (the cross term vanishes: the
  //              deviations f_i - mean f sum to zero);
  //   variance = population variance of B normal draws: expectation
  //              (B - 1) / B sigma^2 / n, standard deviation about
  //              sigma^2 / n sqrt(2 / B).
  // The bounds below are 4 standard deviations of each estimate.
  const int64_t n = 50;
  const int64_t models = 2000;
  const int64_t draws = 100;
  const double sigma = 0.5;
  const double noise_variance = sigma * sigma;
  const std::vector<double> f_values = sine_at_midpoints(n);
  const Tensor f = ember::tensor(f_values);

  Tensor training_labels = f + sigma * ember_test::randn64({models, n}, 1);
  Tensor fits = ember::mean(training_labels, {1}, true).expand({models, n});
  Tensor test_labels = f + sigma * ember_test::randn64({draws, n}, 2);
  BiasVariance parts = bias_variance(fits, f, noise_variance, test_labels);

  double mean_f = 0.0;
  for (double value : f_values) mean_f += value / n;
  double spread_of_f = 0.0;
  for (double value : f_values) spread_of_f += (value - mean_f) * (value - mean_f) / n;
  CHECK(parts.bias_squared >= spread_of_f);
  CHECK(parts.bias_squared - spread_of_f <= 16.0 * noise_variance / (n * models));

  const double variance = noise_variance / n;
  CHECK(parts.variance == Approx(variance * (models - 1) / models)
                              .margin(4.0 * variance * std::sqrt(2.0 / models)));
  CHECK(parts.noise == noise_variance);
  CHECK(parts.adds_up(4.0));

  // Without the d^2 term's expectation sigma^2 / (n B), bias^2 centres on A:
  // what is left is d^2 - (its estimate), within the same bound.
  CHECK(std::abs(parts.bias_squared_unbiased - spread_of_f) <=
        16.0 * noise_variance / (n * models));
  CHECK(parts.variance_unbiased ==
        Approx(variance).margin(4.0 * variance * std::sqrt(2.0 / models)));
  CHECK(parts.bias_squared_unbiased + parts.variance_unbiased ==
        Approx(parts.bias_squared + parts.variance).epsilon(1e-12));

  // Gaussian noise: Var(e^2) = 2 sigma^4, Var(2 (pbar - f) e) = 4 bias^2 sigma^2,
  // and the two are uncorrelated (E e^3 = 0). The sample estimate is within
  // a few percent of it for K n = 5,000 labels.
  const double labels = static_cast<double>(draws * n);
  const double predicted_standard_error = std::sqrt(
      (2.0 * noise_variance * noise_variance + 4.0 * noise_variance * parts.bias_squared) /
      labels);
  CHECK(parts.gap_standard_error == Approx(predicted_standard_error).epsilon(0.1));
}

TEST_CASE("bias_variance does not add up when told the wrong noise variance", "[biasvar]") {
  // The same constant model; stating sigma^2 half again too large adds
  // 0.5 sigma^2 = 0.125 to the expected error, about ten standard errors.
  const int64_t n = 50;
  const double sigma = 0.5;
  const Tensor f = ember::tensor(sine_at_midpoints(n));
  Tensor fits = ember::mean(f + sigma * ember_test::randn64({500, n}, 3), {1}, true)
                    .expand({500, n});
  Tensor test_labels = f + sigma * ember_test::randn64({100, n}, 4);

  BiasVariance right = bias_variance(fits, f, sigma * sigma, test_labels);
  BiasVariance wrong = bias_variance(fits, f, 1.5 * sigma * sigma, test_labels);

  CHECK(right.adds_up());
  CHECK_FALSE(wrong.adds_up());
  CHECK(wrong.gap() == Approx(right.gap() - 0.5 * sigma * sigma).epsilon(1e-9));
}

TEST_CASE("bias_variance adds up without noise when the error is down at rounding",
          "[biasvar]") {
  // Noiseless labels and fits within 1e-9 of f: an error near 1e-18 that
  // float64 rounding of values near 100 keeps from adding up exactly (a gap
  // near 1e-25, far above 1e-9 of the error).
  const int64_t n = 50;
  const Tensor f = 100.0 * ember::tensor(sine_at_midpoints(n));
  Tensor fits = f + 1e-9 * ember_test::randn64({200, n}, 5);
  Tensor test_labels = f.unsqueeze(0).expand({3, n});

  BiasVariance parts = bias_variance(fits, f, 0.0, test_labels);

  CHECK(parts.measured_error < 1e-16);
  CHECK(parts.gap_standard_error == 0.0);
  CHECK(parts.adds_up());
}

TEST_CASE("bias_variance accepts float32 and a single draw of labels", "[biasvar]") {
  Tensor p = ember::tensor(std::vector<float>{1.f, 2.f, 3.f, 4.f}, {2, 2});
  Tensor f = ember::tensor(std::vector<float>{2.f, 3.f});

  BiasVariance parts = bias_variance(p, f, 0.0, f);

  CHECK(parts.bias_squared == 0.0);
  CHECK(parts.variance == 1.0);
  CHECK(parts.measured_error == 1.0);
  CHECK(parts.gap_standard_error == 0.0);
  CHECK(parts.adds_up());
}

TEST_CASE("bias_variance rejects shapes that disagree and values it cannot use",
          "[biasvar]") {
  const Tensor p = ember::zeros({4, 3}, ember::kFloat64);
  const Tensor f = ember::zeros({3}, ember::kFloat64);
  const double nan = std::numeric_limits<double>::quiet_NaN();

  CHECK_THROWS_MATCHES(bias_variance(ember::zeros({3}, ember::kFloat64), f, 0.1, f), Error,
                       ErrorMentions({"bias_variance", "[B, n]", "[3]"}));
  CHECK_THROWS_MATCHES(bias_variance(ember::zeros({1, 3}, ember::kFloat64), f, 0.1, f), Error,
                       ErrorMentions({"at least 2 models", "[1, 3]"}));
  CHECK_THROWS_MATCHES(bias_variance(p, ember::zeros({4}, ember::kFloat64), 0.1, f), Error,
                       ErrorMentions({"target_function must be [3]", "[4]"}));
  CHECK_THROWS_MATCHES(bias_variance(p, f, 0.1, ember::zeros({2, 4}, ember::kFloat64)), Error,
                       ErrorMentions({"noisy_labels must be [3] or [K, 3]", "[2, 4]"}));
  CHECK_THROWS_MATCHES(bias_variance(p, f, 0.1, Tensor()), Error,
                       ErrorMentions({"noisy_labels", "got []"}));
  CHECK_THROWS_MATCHES(bias_variance(p, f, -0.1, f), Error,
                       ErrorMentions({"noise_variance", "-0.1"}));
  CHECK_THROWS_MATCHES(bias_variance(p, f, nan, f), Error, ErrorMentions({"noise_variance"}));
  CHECK_THROWS_MATCHES(bias_variance(ember::zeros({4, 3}, ember::kInt64), f, 0.1, f), Error,
                       ErrorMentions({"predictions must be float32 or float64", "int64"}));
  CHECK_THROWS_MATCHES(bias_variance(p, ember::full({3}, nan, ember::kFloat64), 0.1, f), Error,
                       ErrorMentions({"target_function", "non-finite", "index 0"}));
}
