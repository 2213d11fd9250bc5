#pragma once

#include <string>

#include "framework/tensor.h"

// The bias-variance decomposition of a learning method's expected squared
// error (Geman, Bienenstock and Doursat, 1992; Hastie, Tibshirani and
// Friedman, "The Elements of Statistical Learning", section 7.3), for data
// y = f(x) + eps with E eps = 0 and Var eps = sigma^2 known, as in a
// synthetic experiment. Train the method on B independent training sets (or
// bootstrap resamples of one), predict the same n test points with each model,
// draw K fresh noisy labels per test point, then:
//
//   train::BiasVariance parts = train::bias_variance(predictions, f, sigma * sigma, labels);
//   std::printf("%s\n", parts.summary().c_str());
//   if (!parts.adds_up()) ...  // bias^2 + variance + noise misses the measured error
//
// Legend: p[b, i] prediction of model b at test point i, pbar[i] = mean_b p[b, i],
// f[i] the noiseless target, y[k, i] the k-th noisy label of point i.
namespace ember::train {

struct BiasVariance {
  // Per test point, float64 [n]:
  //   (pbar[i] - f[i])^2
  Tensor bias_squared_per_point;
  //   mean_b (p[b, i] - pbar[i])^2: the population variance over the B models
  //   (divisor B, not B - 1), so that bias^2 + variance is exactly the mean
  //   squared distance of the predictions from f.
  Tensor variance_per_point;
  //   mean over b and k of (p[b, i] - y[k, i])^2
  Tensor error_per_point;

  // Means over the n test points of the per-point values above.
  double bias_squared = 0.0;
  double variance = 0.0;
  double measured_error = 0.0;
  // The same sum split without the finite-B bias of the split above: pbar
  // itself varies with the training sets, so (pbar - f)^2 overstates bias^2 by
  // Var(pbar) = (variance of one model) / B on average. These subtract that
  // share, estimated by the sample variance (divisor B - 1), from bias^2 and
  // count it as variance, leaving bias^2 + variance unchanged:
  //   variance_unbiased     = variance * B / (B - 1)
  //   bias_squared_unbiased = bias_squared - variance_unbiased / B
  // Each is unbiased over the draw of the training sets; bias_squared_unbiased
  // can fall below zero when the true bias^2 is under its Monte Carlo error.
  double bias_squared_unbiased = 0.0;
  double variance_unbiased = 0.0;
  // sigma^2 as given, and mean over k and i of (y[k, i] - f[i])^2 as drawn.
  double noise = 0.0;
  double measured_noise = 0.0;
  // The standard error of gap() that comes from the finite number of noisy
  // labels. gap() equals mean over k, i of d[k, i] = (e^2 - sigma^2) -
  // 2 (pbar[i] - f[i]) e with e = y[k, i] - f[i], an exact identity; given the
  // models, the d[k, i] are independent, so this is their sample standard
  // deviation over sqrt(K n). NaN when K n = 1.
  double gap_standard_error = 0.0;
  // The largest |f[i]|: the scale of the values the sums are taken over, for
  // adds_up()'s rounding allowance.
  double target_scale = 0.0;

  // bias^2 + variance + noise: what the decomposition says the error is.
  double expected_error() const { return bias_squared + variance + noise; }
  // measured_error - expected_error().
  double gap() const { return measured_error - expected_error(); }
  // Whether |gap()| is within `standard_errors` standard errors, plus an
  // allowance for rounding: 1e-9 of the error, and 1e-13 of target_scale
  // times the error's square root (what float64 rounding of values near
  // target_scale leaves when the error itself is tiny, as without noise).
  // False when gap_standard_error is NaN.
  bool adds_up(double standard_errors = 4.0) const;
  // "bias^2 0.0123 + variance 0.0456 + noise 0.0900 = 0.1479; measured 0.1482
  //  (gap 0.0003, 0.6 standard errors)"
  std::string summary() const;
};

// Decomposes the squared error of B models' predictions at n test points.
//   predictions      [B, n] float32 or float64, B >= 2 (row b: model b),
//                    trained without the noisy labels below
//   target_function  [n] float32 or float64: f at the test points
//   noise_variance   sigma^2 >= 0 of the label noise
//   noisy_labels     [n] or [K, n] float32 or float64: K fresh draws of
//                    f + eps per test point
// Sums are taken in float64. Throws ember::Error for another rank, shapes that
// disagree, B < 2, an integer dtype, a negative or non-finite noise_variance,
// or a non-finite value in any tensor (naming where it is).
BiasVariance bias_variance(const Tensor& predictions, const Tensor& target_function,
                           double noise_variance, const Tensor& noisy_labels);

}  // namespace ember::train
