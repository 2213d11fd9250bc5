#include "nn/clip_grad.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "framework/dispatch.h"
#include "framework/error.h"
#include "framework/parallel.h"

namespace ember::nn {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Chunk of a norm's reduction: fixed, so the sum is the same for any thread count.
constexpr int64_t kNormChunk = 1 << 16;

// The gradients of the parameters that have one.
std::vector<Tensor> gradients(const std::vector<Tensor>& parameters, const char* op) {
  std::vector<Tensor> grads;
  for (size_t k = 0; k < parameters.size(); ++k) {
    EMBER_CHECK(parameters[k].defined(), op, ": parameter ", k, " is an undefined tensor");
    Tensor grad = parameters[k].grad();
    if (!grad.defined()) continue;
    EMBER_CHECK(grad.is_floating_point(), op, ": the gradient of parameter ", k, " is ",
                dtype_name(grad.dtype()), "; expected float32 or float64");
    grads.push_back(grad.detach());
  }
  return grads;
}

// Rounds a value computed in double to what a tensor of `dtype` would hold.
double round_to(double value, DType dtype) {
  return dtype == kFloat32 ? static_cast<double>(static_cast<float>(value)) : value;
}

// Max (p = +inf) and min (p = -inf) that let NaN win, as PyTorch's reductions do.
double nan_max(double a, double b) { return std::isnan(a) || a > b ? a : b; }
double nan_min(double a, double b) { return std::isnan(a) || a < b ? a : b; }

// The p-norm of n values read through `value(i)`, accumulated in double.
template <typename Read>
double p_norm(int64_t n, double p, const Read& value) {
  auto sum = [&](auto term) {
    return parallel_reduce(
        int64_t{0}, n, kNormChunk, 0.0,
        [&](int64_t begin, int64_t end) {
          double partial = 0;
          for (int64_t i = begin; i < end; ++i) partial += term(std::abs(value(i)));
          return partial;
        },
        [](double a, double b) { return a + b; });
  };
  auto extreme = [&](double identity, double (*pick)(double, double)) {
    return parallel_reduce(
        int64_t{0}, n, kNormChunk, identity,
        [&](int64_t begin, int64_t end) {
          double partial = identity;
          for (int64_t i = begin; i < end; ++i) partial = pick(partial, std::abs(value(i)));
          return partial;
        },
        pick);
  };

  if (p == kInfinity) return extreme(0.0, nan_max);
  if (p == -kInfinity) return extreme(kInfinity, nan_min);
  if (p == 0) return sum([](double a) { return a != 0 ? 1.0 : 0.0; });
  if (p == 1) return sum([](double a) { return a; });
  if (p == 2) return std::sqrt(sum([](double a) { return a * a; }));
  return std::pow(sum([p](double a) { return std::pow(a, p); }), 1.0 / p);
}

// One gradient's norm, rounded to its dtype as torch.norm(grad, p) returns it.
double gradient_norm(const Tensor& grad, double p) {
  Tensor dense = grad.contiguous();
  double norm = EMBER_DISPATCH_FLOATING(dense.dtype(), "clip_grad_norm_", [&] {
    const scalar_t* data = dense.data_ptr<scalar_t>();
    return p_norm(dense.numel(), p, [data](int64_t i) { return static_cast<double>(data[i]); });
  });
  return round_to(norm, grad.dtype());
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type, bool error_if_nonfinite) {
  EMBER_CHECK(max_norm >= 0, "clip_grad_norm_: max_norm must be >= 0, got ", max_norm);
  EMBER_CHECK(!std::isnan(norm_type), "clip_grad_norm_: norm_type is NaN");
  std::vector<Tensor> grads = gradients(parameters, "clip_grad_norm_");
  if (grads.empty()) return 0.0;

  // PyTorch's total: the norm of the vector of per-gradient norms, held in the
  // gradients' dtype (float64 when they mix).
  DType dtype = grads[0].dtype();
  std::vector<double> norms;
  for (const Tensor& grad : grads) {
    norms.push_back(gradient_norm(grad, norm_type));
    if (grad.dtype() == kFloat64) dtype = kFloat64;
  }
  const double total = round_to(
      p_norm(static_cast<int64_t>(norms.size()), norm_type, [&](int64_t i) { return norms[i]; }),
      dtype);

  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total), "clip_grad_norm_: the total norm of ",
              "order ", norm_type, " of the gradients is ", total,
              ", so they cannot be clipped; pass error_if_nonfinite = false to scale them by it");

  // max_norm / (total + 1e-6) as PyTorch evaluates it on a tensor of `dtype`:
  // reciprocal(total + 1e-6) * max_norm, clamped to at most 1 (NaN stays NaN).
  double coef;
  if (dtype == kFloat32) {
    float denominator = static_cast<float>(total) + 1e-6f;
    coef = (1.0f / denominator) * static_cast<float>(max_norm);
  } else {
    coef = (1.0 / (total + 1e-6)) * max_norm;
  }
  if (coef >= 1.0) return total;  // scaling by 1 changes nothing

  for (Tensor& grad : grads) grad.mul_(coef);
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  EMBER_CHECK(clip_value >= 0, "clip_grad_value_: clip_value must be >= 0, got ", clip_value);
  for (Tensor& grad : gradients(parameters, "clip_grad_value_")) {
    grad.clamp_(-clip_value, clip_value);
  }
}

}  // namespace ember::nn
