// Loss functions. Pointwise losses share one driver: a per-element term
// (value and partial derivatives) run over contiguous operands, a reduction,
// and one fused backward pass. nll_loss and cross_entropy work on a class
// layout [N, C, K] (K = d1 * d2 * ...); cross_entropy reads the log_softmax
// kernel's output and computes the gradient of the logits in one pass.
//
// Reductions go through ember::sum, so they are deterministic for any thread
// count; totals of class weights add in double in fixed chunks.

#include "ops/loss.h"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/detail/profile_counts.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/softmax.h"

namespace ember {
namespace {

// Positions (or elements) per task and per partial sum of a weight total.
constexpr int64_t kLossGrain = kElementwiseGrain / 4;
constexpr int64_t kTotalChunk = 1 << 14;

// ---- argument checks ----

void check_floating_input(const Tensor& input, const char* op) {
  EMBER_CHECK(input.defined(), op, ": input is undefined");
  EMBER_CHECK(is_floating(input.dtype()), op, ": input must be float32 or float64, got ",
              dtype_name(input.dtype()), " (shape ", input.shape(), ")");
}

// A regression-style target: the input's shape and dtype exactly.
void check_matching_target(const Tensor& input, const Tensor& target, const char* op) {
  check_floating_input(input, op);
  EMBER_CHECK(target.defined(), op, ": target is undefined");
  EMBER_CHECK(target.shape() == input.shape(), op, ": target shape ", target.shape(),
              " differs from input shape ", input.shape(), "; they must be equal");
  EMBER_CHECK(target.dtype() == input.dtype(), op, ": target dtype ",
              dtype_name(target.dtype()), " differs from input dtype ",
              dtype_name(input.dtype()), "; convert it with .to(", dtype_name(input.dtype()),
              ")");
}

void check_reduction(Reduction reduction, const char* op) {
  EMBER_CHECK(reduction != Reduction::BatchMean, op,
              ": Reduction::BatchMean is only defined for kl_div; use Reduction::Mean");
}

// True when `from` stretches to `to` by broadcasting alone.
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (size_t i = 1; i <= from.size(); ++i) {
    int64_t size = from[from.size() - i];
    if (size != 1 && size != to[to.size() - i]) return false;
  }
  return true;
}

// A weight-like operand: input's dtype, no gradient, broadcasting to `shape`
// (or exactly `exact` elements when given, for class weights).
void check_weight(const Tensor& weight, const Tensor& input, const Shape& shape, const char* op,
                  const char* what) {
  if (!weight.defined()) return;
  EMBER_CHECK(weight.dtype() == input.dtype(), op, ": ", what, " dtype ",
              dtype_name(weight.dtype()), " differs from input dtype ",
              dtype_name(input.dtype()));
  EMBER_CHECK(!(GradMode::is_enabled() && weight.requires_grad()), op, ": ", what,
              " does not receive a gradient, so it may not require one; pass ", what,
              ".detach()");
  EMBER_CHECK(broadcasts_to(weight.shape(), shape), op, ": ", what, " shape ", weight.shape(),
              " does not broadcast to the input shape ", shape);
}

// x's values at `shape` (broadcast), contiguous, outside the graph.
Tensor materialize(const Tensor& x, const Shape& shape) {
  if (!x.defined()) return x;
  NoGradGuard no_grad;
  Tensor view = x.shape() == shape ? x : x.expand(shape);
  return view.contiguous();
}

Tensor contiguous_values(const Tensor& x) {
  NoGradGuard no_grad;
  return x.contiguous();
}

// ---- reduction and its gradient ----

Tensor reduce_values(const Tensor& values, Reduction reduction) {
  NoGradGuard no_grad;
  switch (reduction) {
    case Reduction::None: return values;
    case Reduction::Sum: return sum(values);
    case Reduction::Mean: return mean(values);
    case Reduction::BatchMean:
      return values.dim() == 0 ? sum(values) : div(sum(values), double(values.size(0)));
  }
  EMBER_ASSERT(false);
  return values;
}

// The incoming gradient as each element sees it: a contiguous tensor of the
// values' shape (Reduction::None) or one number (the others).
struct GradScale {
  Tensor per_element;
  double scalar = 0.0;

  template <typename T>
  const T* data() const {
    return per_element.defined() ? per_element.data_ptr<T>() : nullptr;
  }
};

GradScale grad_scale(const Tensor& grad, Reduction reduction, const Shape& shape,
                     double mean_divisor) {
  if (reduction == Reduction::None) return {contiguous_values(grad), 0.0};
  double g = grad.item<double>();
  if (reduction == Reduction::Sum) return {Tensor(), g};
  if (reduction == Reduction::BatchMean) return {Tensor(), shape.empty() ? g : g / shape[0]};
  return {Tensor(), g / mean_divisor};
}

// ---- pointwise losses ----

// Operands of a pointwise loss: a (the input) and b (the target) always; c a
// third operand (pos_weight, or margin ranking's target) or undefined, read
// as 1; weight multiplies each element's loss and receives no gradient.
struct PointwiseOperands {
  Tensor a, b, c, weight;
  bool c_differentiable = false;
};

template <typename T>
T at_or_one(const T* p, int64_t i) {
  return p != nullptr ? p[i] : T(1);
}

template <typename T>
T* data_or_null(const Tensor& x) {
  return x.defined() ? x.data_ptr<T>() : nullptr;
}

// Runs term.value over every element, reduces, and records the backward,
// which runs term.grad (the partials by a, b and c) in one pass.
template <typename Term>
Tensor pointwise_loss(const char* node_name, const PointwiseOperands& in, const Shape& shape,
                      Reduction reduction, const Term& term) {
  Tensor a = materialize(in.a, shape);
  Tensor b = materialize(in.b, shape);
  Tensor c = materialize(in.c, shape);
  Tensor weight = materialize(in.weight, shape);
  const int64_t n = shape_numel(shape);

  Tensor values = empty(shape, a.dtype());
  detail::count_bytes(a, b, c, weight, values);
  EMBER_DISPATCH_FLOATING(a.dtype(), node_name, [&] {
    const scalar_t* x = a.data_ptr<scalar_t>();
    const scalar_t* t = b.data_ptr<scalar_t>();
    const scalar_t* extra = data_or_null<scalar_t>(c);
    const scalar_t* w = data_or_null<scalar_t>(weight);
    scalar_t* out = values.data_ptr<scalar_t>();
    parallel_for(0, n, kLossGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        scalar_t loss = term.value(x[i], t[i], at_or_one(extra, i));
        out[i] = w != nullptr ? loss * w[i] : loss;
      }
    });
  });
  Tensor result = reduce_values(values, reduction);

  TensorList inputs{in.a, in.b};
  if (in.c_differentiable) inputs.push_back(in.c);
  if (!any_requires_grad(inputs)) return result;

  // The backward keeps what it needs of the inputs, not the inputs themselves.
  std::vector<bool> needs;
  std::vector<Shape> input_shapes;
  for (const Tensor& input : inputs) {
    needs.push_back(input.requires_grad());
    input_shapes.push_back(input.shape());
  }
  SavedTensor saved_a(a), saved_b(b), saved_c(c), saved_w(weight);
  return record_op(node_name, result, inputs, [=](const TensorList& grads) {
    Tensor x_tensor = saved_a.unpack(node_name);
    Tensor t_tensor = saved_b.unpack(node_name);
    Tensor c_tensor = saved_c.defined() ? saved_c.unpack(node_name) : Tensor();
    Tensor w_tensor = saved_w.defined() ? saved_w.unpack(node_name) : Tensor();
    GradScale scale = grad_scale(grads[0], reduction, shape, double(n));

    TensorList partials(needs.size());
    for (size_t k = 0; k < needs.size(); ++k) {
      if (needs[k]) partials[k] = empty(shape, x_tensor.dtype());
    }
    detail::count_bytes(x_tensor, t_tensor, c_tensor, w_tensor, scale.per_element, partials);
    EMBER_DISPATCH_FLOATING(x_tensor.dtype(), node_name, [&] {
      const scalar_t* x = x_tensor.data_ptr<scalar_t>();
      const scalar_t* t = t_tensor.data_ptr<scalar_t>();
      const scalar_t* extra = data_or_null<scalar_t>(c_tensor);
      const scalar_t* w = data_or_null<scalar_t>(w_tensor);
      const scalar_t* g = scale.data<scalar_t>();
      const auto g_scalar = static_cast<scalar_t>(scale.scalar);
      scalar_t* out[3] = {nullptr, nullptr, nullptr};
      for (size_t k = 0; k < partials.size(); ++k) out[k] = data_or_null<scalar_t>(partials[k]);
      parallel_for(0, n, kLossGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          scalar_t s = g != nullptr ? g[i] : g_scalar;
          if (w != nullptr) s *= w[i];
          scalar_t d[3];
          term.grad(x[i], t[i], at_or_one(extra, i), d);
          for (int k = 0; k < 3; ++k) {
            if (out[k] != nullptr) out[k][i] = s * d[k];
          }
        }
      });
    });

    for (size_t k = 0; k < partials.size(); ++k) {
      if (partials[k].defined() && input_shapes[k] != shape) {
        partials[k] = sum_to(partials[k], input_shapes[k]);
      }
    }
    return partials;
  });
}

// Each term: value(x, t, c) and grad(x, t, c, d) writing d[0] = dL/dx,
// d[1] = dL/dt, d[2] = dL/dc. The expressions follow PyTorch's kernels.

struct MseTerm {
  template <typename T>
  T value(T x, T t, T) const {
    T d = x - t;
    return d * d;
  }
  template <typename T>
  void grad(T x, T t, T, T* d) const {
    d[0] = T(2) * (x - t);
    d[1] = -d[0];
    d[2] = T(0);
  }
};

// sign(x - t) with 0 where equal (and for NaN), as PyTorch's sgn.
template <typename T>
T sign_of(T v) {
  return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
}

struct L1Term {
  template <typename T>
  T value(T x, T t, T) const {
    return std::abs(x - t);
  }
  template <typename T>
  void grad(T x, T t, T, T* d) const {
    d[0] = sign_of(x - t);
    d[1] = -d[0];
    d[2] = T(0);
  }
};

struct SmoothL1Term {
  double beta;

  template <typename T>
  T value(T x, T t, T) const {
    const T b = static_cast<T>(beta);
    T z = std::abs(x - t);
    return z < b ? T(0.5) * z * z / b : z - T(0.5) * b;
  }
  template <typename T>
  void grad(T x, T t, T, T* d) const {
    const T b = static_cast<T>(beta);
    T diff = x - t;
    d[0] = diff < -b ? T(-1) : (diff > b ? T(1) : diff / b);
    d[1] = -d[0];
    d[2] = T(0);
  }
};

struct HuberTerm {
  double delta;

  template <typename T>
  T value(T x, T t, T) const {
    const T dl = static_cast<T>(delta);
    T z = std::abs(x - t);
    return z < dl ? T(0.5) * z * z : dl * (z - T(0.5) * dl);
  }
  template <typename T>
  void grad(T x, T t, T, T* d) const {
    const T dl = static_cast<T>(delta);
    T diff = x - t;
    d[0] = diff < -dl ? -dl : (diff > dl ? dl : diff);
    d[1] = -d[0];
    d[2] = T(0);
  }
};

struct BinaryCrossEntropyTerm {
  template <typename T>
  T value(T x, T t, T) const {
    // Each log is clamped at -100, so x = 0 or 1 gives a finite loss.
    T log_x = std::max(std::log(x), T(-100));
    T log_one_minus_x = std::max(std::log1p(-x), T(-100));
    return (t - T(1)) * log_one_minus_x - t * log_x;
  }
  template <typename T>
  void grad(T x, T t, T, T* d) const {
    // PyTorch bounds the denominator so x = 0 or 1 stays finite; its bound is
    // the float 1e-12f in both dtypes, kept here so the gradients agree there.
    d[0] = (x - t) / std::max((T(1) - x) * x, static_cast<T>(1e-12f));
    d[1] = -std::log(x / (T(1) - x));
    d[2] = T(0);
  }
};

// log(1 + exp(v)) without overflow.
template <typename T>
T softplus_of(T v) {
  return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
}

struct BceWithLogitsTerm {
  bool has_pos_weight;

  template <typename T>
  T value(T x, T t, T pos_weight) const {
    // log(1 + exp(-x)) = m + log(exp(-m) + exp(-x - m)) with m = max(-x, 0).
    T m = std::max(-x, T(0));
    T log_term = std::log(std::exp(-m) + std::exp(-x - m));
    if (!has_pos_weight) return (T(1) - t) * x + m + log_term;
    T log_weight = (pos_weight - T(1)) * t + T(1);
    return (T(1) - t) * x + log_weight * (log_term + m);
  }
  template <typename T>
  void grad(T x, T t, T pos_weight, T* d) const {
    T sigmoid = T(1) / (T(1) + std::exp(-x));
    if (has_pos_weight) {
      T weighted_target = pos_weight * t;
      d[0] = (weighted_target + T(1) - t) * sigmoid - weighted_target;
      d[1] = -x + (pos_weight - T(1)) * softplus_of(-x);
    } else {
      d[0] = sigmoid - t;
      d[1] = -x;
    }
    d[2] = T(0);
  }
};

struct KlDivTerm {
  bool log_target;

  template <typename T>
  T value(T x, T t, T) const {
    if (log_target) return std::exp(t) * (t - x);
    return xlogy(t, t) - t * x;
  }
  template <typename T>
  void grad(T x, T t, T, T* d) const {
    if (log_target) {
      T e = std::exp(t);
      d[0] = -e;
      d[1] = e * (t - x) + e;
    } else {
      // PyTorch differentiates xlogy(t, t): log t (0 where t = 0) plus t / t,
      // which makes the target gradient NaN where t = 0.
      d[0] = -t;
      d[1] = xlogy(T(t != T(0)), t) + t / t - x;
    }
    d[2] = T(0);
  }

  // x * log(y), 0 where x = 0 unless y is NaN.
  template <typename T>
  static T xlogy(T x, T y) {
    if (std::isnan(y)) return y;
    if (x == T(0)) return T(0);
    return x * std::log(y);
  }
};

struct MarginRankingTerm {
  double margin;

  // x: input1, t: input2, y: the target.
  template <typename T>
  T value(T x1, T x2, T y) const {
    T unclamped = -y * (x1 - x2) + static_cast<T>(margin);
    return unclamped < T(0) ? T(0) : unclamped;
  }
  template <typename T>
  void grad(T x1, T x2, T y, T* d) const {
    // clamp_min passes the gradient at the bound (unclamped == 0), as PyTorch.
    bool active = -y * (x1 - x2) + static_cast<T>(margin) >= T(0);
    d[0] = active ? -y : T(0);
    d[1] = active ? y : T(0);
    d[2] = active ? -(x1 - x2) : T(0);
  }
};

template <typename Term>
Tensor matching_loss(const char* op, const char* node_name, const Tensor& input,
                     const Tensor& target, Reduction reduction, const Term& term) {
  check_matching_target(input, target, op);
  check_reduction(reduction, op);
  return pointwise_loss(node_name, {input, target, Tensor(), Tensor()}, input.shape(),
                        reduction, term);
}

// ---- class layouts: nll_loss and cross_entropy ----

// input [N, C, d1, ...] viewed as [batch, classes, inner]; [C] as [1, C, 1].
struct ClassLayout {
  int64_t batch = 1;
  int64_t classes = 1;
  int64_t inner = 1;
  int64_t class_dim = 0;
  Shape sample_shape;  // the shape of a per-sample result: input without its class dim

  int64_t positions() const { return batch * inner; }
};

ClassLayout class_layout(const Tensor& input, const char* op) {
  check_floating_input(input, op);
  EMBER_CHECK(input.dim() >= 1, op, ": input must have a class dim ([C], [N, C] or [N, C, "
              "d1, ...]), got a 0-d tensor");
  ClassLayout layout;
  layout.class_dim = input.dim() == 1 ? 0 : 1;
  layout.classes = input.size(layout.class_dim);
  if (input.dim() >= 2) layout.batch = input.size(0);
  for (int64_t d = 0; d < input.dim(); ++d) {
    if (d >= 2) layout.inner *= input.size(d);
    if (d != layout.class_dim) layout.sample_shape.push_back(input.size(d));
  }
  return layout;
}

void check_class_target(const Tensor& input, const Tensor& target, const ClassLayout& layout,
                        const char* op) {
  EMBER_CHECK(target.defined(), op, ": target is undefined");
  EMBER_CHECK(target.dtype() == kInt64, op, ": class-index target must be int64, got ",
              dtype_name(target.dtype()), " (target ", target.shape(), ", input ",
              input.shape(), ")");
  EMBER_CHECK(target.shape() == layout.sample_shape, op, ": target shape ", target.shape(),
              " does not match input shape ", input.shape(), "; expected ",
              layout.sample_shape, " (the input's shape without class dim ", layout.class_dim,
              ")");
}

void check_class_weight(const Tensor& weight, const Tensor& input, const ClassLayout& layout,
                        const char* op) {
  if (!weight.defined()) return;
  EMBER_CHECK(weight.dim() == 1 && weight.size(0) == layout.classes, op, ": weight must hold "
              "one value per class, shape [", layout.classes, "], got ", weight.shape(),
              " (input ", input.shape(), ")");
  check_weight(weight, input, weight.shape(), op, "weight");
}

// Throws naming the first target (in order) that is neither a class index
// nor ignore_index; found in fixed chunks, so the message never varies.
void check_class_range(const int64_t* target, int64_t positions, const ClassLayout& layout,
                       int64_t ignore_index, const Tensor& input, const char* op) {
  const int64_t classes = layout.classes;
  int64_t bad = parallel_reduce<int64_t>(
      0, positions, kTotalChunk, -1,
      [&](int64_t begin, int64_t end) -> int64_t {
        for (int64_t p = begin; p < end; ++p) {
          int64_t t = target[p];
          if (t != ignore_index && (t < 0 || t >= classes)) return p;
        }
        return -1;
      },
      [](int64_t first, int64_t next) { return first >= 0 ? first : next; });
  EMBER_CHECK(bad < 0, op, ": target ", bad < 0 ? 0 : target[bad], " at flat position ", bad,
              " is out of range for ", classes, " classes (input ", input.shape(),
              "); targets must lie in [0, ", classes - 1, "] or equal ignore_index (",
              ignore_index, ")");
}

// Sum over the targets that are not ignored of weight[target] (1 without a
// weight), in double, in fixed chunks.
template <typename T>
double total_class_weight(const int64_t* target, int64_t positions, const T* weight,
                          int64_t ignore_index) {
  return parallel_reduce<double>(
      0, positions, kTotalChunk, 0.0,
      [&](int64_t begin, int64_t end) {
        double total = 0.0;
        for (int64_t p = begin; p < end; ++p) {
          if (target[p] == ignore_index) continue;
          total += weight != nullptr ? double(weight[target[p]]) : 1.0;
        }
        return total;
      },
      [](double x, double y) { return x + y; });
}

// Loss values per position to the reduced result: Mean divides the sum by
// `divisor` (the total class weight, or the number of positions).
Tensor reduce_positions(const Tensor& values, Reduction reduction, double divisor) {
  NoGradGuard no_grad;
  if (reduction == Reduction::None) return values;
  Tensor total = sum(values);
  return reduction == Reduction::Sum ? total : div(total, divisor);
}

// The gradient scale at each position: g[p] (None), g (Sum), g / divisor (Mean).
template <typename T>
struct PositionScale {
  const T* per_position = nullptr;
  T scalar = T(0);

  T at(int64_t p) const { return per_position != nullptr ? per_position[p] : scalar; }
};

// ---- nll_loss ----

Tensor nll_backward(const Tensor& grad, const Tensor& target, const Tensor& weight,
                    const Shape& input_shape, DType dtype, const ClassLayout& layout,
                    int64_t ignore_index, Reduction reduction, double total_weight) {
  Tensor result = zeros(input_shape, dtype);
  GradScale scale = grad_scale(grad, reduction, layout.sample_shape, total_weight);
  detail::count_bytes(target, scale.per_element, result);
  const int64_t* t = target.data_ptr<int64_t>();
  const int64_t classes = layout.classes;
  const int64_t inner = layout.inner;
  EMBER_DISPATCH_FLOATING(dtype, "nll_loss", [&] {
    PositionScale<scalar_t> s{scale.data<scalar_t>(), static_cast<scalar_t>(scale.scalar)};
    const scalar_t* w = data_or_null<scalar_t>(weight);
    scalar_t* out = result.data_ptr<scalar_t>();
    parallel_for(0, layout.positions(), kLossGrain, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        if (t[p] == ignore_index) continue;
        int64_t n = p / inner;
        int64_t k = p % inner;
        scalar_t class_weight = w != nullptr ? w[t[p]] : scalar_t(1);
        out[(n * classes + t[p]) * inner + k] = -class_weight * s.at(p);
      }
    });
  });
  return result;
}

// ---- cross_entropy with class indices ----

template <typename T>
using Vec = xsimd::batch<T>;

// out[j] = exp(lsm[j]) * a - b * w[j] (w[j] = 1 when w is null), j in [0, n).
template <typename T>
void softmax_coefficient_row(const T* lsm, const T* w, T* out, int64_t n, T a, T b) {
  constexpr int64_t lanes = Vec<T>::size;
  const Vec<T> av(a), bv(b);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    Vec<T> wv = w != nullptr ? Vec<T>::load_unaligned(w + j) : Vec<T>(T(1));
    Vec<T> result = xsimd::fms(xsimd::exp(Vec<T>::load_unaligned(lsm + j)), av, bv * wv);
    result.store_unaligned(out + j);
  }
  for (; j < n; ++j) out[j] = std::exp(lsm[j]) * a - b * (w != nullptr ? w[j] : T(1));
}

// out[k] = exp(lsm[k]) * a[k] - b[k] * w, k in [0, n): one class of K positions.
template <typename T>
void softmax_coefficient_columns(const T* lsm, const T* a, const T* b, T w, T* out,
                                 int64_t n) {
  constexpr int64_t lanes = Vec<T>::size;
  const Vec<T> wv(w);
  int64_t k = 0;
  for (; k + lanes <= n; k += lanes) {
    Vec<T> result = xsimd::fms(xsimd::exp(Vec<T>::load_unaligned(lsm + k)),
                               Vec<T>::load_unaligned(a + k), Vec<T>::load_unaligned(b + k) * wv);
    result.store_unaligned(out + k);
  }
  for (; k < n; ++k) out[k] = std::exp(lsm[k]) * a[k] - b[k] * w;
}

struct ClassTargetConfig {
  int64_t ignore_index;
  double smoothing;
};

// Per-position losses: -(1 - eps) w[t] lsm[t] - (eps / C) sum_c w[c] lsm[c].
template <typename T>
void class_target_losses(const T* lsm, const int64_t* target, const T* weight, T* out,
                         const ClassLayout& layout, const ClassTargetConfig& config) {
  const int64_t classes = layout.classes;
  const int64_t inner = layout.inner;
  const T eps = static_cast<T>(config.smoothing);
  parallel_for(0, layout.positions(), std::max<int64_t>(1, kLossGrain / classes),
               [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      int64_t t = target[p];
      if (t == config.ignore_index) {
        out[p] = T(0);
        continue;
      }
      const T* row = lsm + (p / inner) * classes * inner + p % inner;
      T nll = -(weight != nullptr ? weight[t] : T(1)) * row[t * inner];
      if (config.smoothing == 0.0) {
        out[p] = nll;
        continue;
      }
      T smooth = T(0);
      for (int64_t c = 0; c < classes; ++c) {
        smooth -= (weight != nullptr ? weight[c] : T(1)) * row[c * inner];
      }
      out[p] = (T(1) - eps) * nll + smooth * (eps / T(classes));
    }
  });
}

// d loss / d logits = s * (softmax * A - a_j), a_j = (1 - eps) w[t] [j == t] +
// (eps / C) w[j], A = sum_j a_j; zero at ignored positions.
template <typename T>
void class_target_backward(const T* lsm, const int64_t* target, const T* weight,
                           const PositionScale<T>& scale, T* out, const ClassLayout& layout,
                           const ClassTargetConfig& config) {
  const int64_t classes = layout.classes;
  const int64_t inner = layout.inner;
  const T eps = static_cast<T>(config.smoothing);
  const T eps_per_class = eps / T(classes);
  T weight_sum = T(classes);
  if (weight != nullptr) {
    weight_sum = T(0);
    for (int64_t c = 0; c < classes; ++c) weight_sum += weight[c];
  }
  auto target_weight = [&](int64_t t) { return weight != nullptr ? weight[t] : T(1); };
  auto total = [&](int64_t t) {
    return (T(1) - eps) * target_weight(t) + eps_per_class * weight_sum;
  };

  if (inner == 1) {
    parallel_for(0, layout.batch, std::max<int64_t>(1, kLossGrain / classes),
                 [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        T* row = out + n * classes;
        int64_t t = target[n];
        if (t == config.ignore_index) {
          std::fill(row, row + classes, T(0));
          continue;
        }
        T s = scale.at(n);
        softmax_coefficient_row(lsm + n * classes, weight, row, classes, s * total(t),
                                s * eps_per_class);
        row[t] -= s * (T(1) - eps) * target_weight(t);
      }
    });
    return;
  }

  // [N, C, K]: one class at a time along the K positions, with per-position coefficients.
  parallel_for(0, layout.batch, std::max<int64_t>(1, kLossGrain / (classes * inner)),
               [&](int64_t begin, int64_t end) {
    std::vector<T> a(inner), b(inner);
    for (int64_t n = begin; n < end; ++n) {
      const int64_t* t = target + n * inner;
      for (int64_t k = 0; k < inner; ++k) {
        bool ignored = t[k] == config.ignore_index;
        T s = ignored ? T(0) : scale.at(n * inner + k);
        a[k] = ignored ? T(0) : s * total(t[k]);
        b[k] = s * eps_per_class;
      }
      const T* block = lsm + n * classes * inner;
      T* out_block = out + n * classes * inner;
      for (int64_t c = 0; c < classes; ++c) {
        softmax_coefficient_columns(block + c * inner, a.data(), b.data(),
                                    weight != nullptr ? weight[c] : T(1),
                                    out_block + c * inner, inner);
      }
      for (int64_t k = 0; k < inner; ++k) {
        if (t[k] == config.ignore_index) continue;
        out_block[t[k] * inner + k] -=
            scale.at(n * inner + k) * (T(1) - eps) * target_weight(t[k]);
      }
    }
  });
}

Tensor cross_entropy_class_target(const Tensor& input, const Tensor& target,
                                  const CrossEntropyOptions& options,
                                  const ClassLayout& layout) {
  const char* op = "cross_entropy";
  check_class_target(input, target, layout, op);
  check_class_weight(options.weight, input, layout, op);

  Tensor t = contiguous_values(target);
  Tensor weight = options.weight.defined() ? contiguous_values(options.weight) : Tensor();
  check_class_range(t.data_ptr<int64_t>(), layout.positions(), layout, options.ignore_index,
                    input, op);

  Tensor lsm;
  {
    NoGradGuard no_grad;
    lsm = log_softmax(input, layout.class_dim);
  }
  ClassTargetConfig config{options.ignore_index, options.label_smoothing};
  Tensor values = empty(layout.sample_shape, input.dtype());
  double total_weight = 0.0;
  if (config.smoothing > 0.0) {
    detail::count_bytes(lsm, t, values);
  } else {
    detail::count_bytes(t, values, values);  // one log-probability read per position
  }
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    const scalar_t* w = data_or_null<scalar_t>(weight);
    class_target_losses(lsm.data_ptr<scalar_t>(), t.data_ptr<int64_t>(), w,
                        values.data_ptr<scalar_t>(), layout, config);
    total_weight =
        total_class_weight(t.data_ptr<int64_t>(), layout.positions(), w, options.ignore_index);
  });
  Tensor result = reduce_positions(values, options.reduction, total_weight);

  if (!any_requires_grad({&input})) return result;
  SavedTensor saved_lsm(lsm), saved_target(t), saved_weight(weight);
  Reduction reduction = options.reduction;
  return record_op("CrossEntropyBackward", result, {input}, [=](const TensorList& grads) {
    Tensor lsm_values = saved_lsm.unpack(op);
    Tensor targets = saved_target.unpack(op);
    Tensor w_tensor = saved_weight.defined() ? saved_weight.unpack(op) : Tensor();
    GradScale scale = grad_scale(grads[0], reduction, layout.sample_shape, total_weight);
    Tensor grad_input = empty(lsm_values.shape(), lsm_values.dtype());
    detail::count_bytes(lsm_values, targets, scale.per_element, grad_input);
    EMBER_DISPATCH_FLOATING(lsm_values.dtype(), op, [&] {
      PositionScale<scalar_t> s{scale.data<scalar_t>(), static_cast<scalar_t>(scale.scalar)};
      class_target_backward(lsm_values.data_ptr<scalar_t>(), targets.data_ptr<int64_t>(),
                            data_or_null<scalar_t>(w_tensor), s,
                            grad_input.data_ptr<scalar_t>(), layout, config);
    });
    return TensorList{grad_input};
  });
}

// ---- cross_entropy with class probabilities ----

// Smoothed target t' = t (1 - eps) + eps / C, as PyTorch forms it.
template <typename T>
T smoothed(T t, T eps, int64_t classes) {
  return eps > T(0) ? t * (T(1) - eps) + eps / T(classes) : t;
}

template <typename T>
void probability_losses(const T* lsm, const T* target, const T* weight, T* out,
                        const ClassLayout& layout, T eps) {
  const int64_t classes = layout.classes;
  const int64_t inner = layout.inner;
  parallel_for(0, layout.positions(), std::max<int64_t>(1, kLossGrain / classes),
               [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      int64_t base = (p / inner) * classes * inner + p % inner;
      T total = T(0);
      for (int64_t c = 0; c < classes; ++c) {
        int64_t at = base + c * inner;
        T w = weight != nullptr ? weight[c] : T(1);
        total -= lsm[at] * smoothed(target[at], eps, classes) * w;
      }
      out[p] = total;
    }
  });
}

// d/d logits: s * (softmax * sum_c w[c] t'[c] - w[j] t'[j]);
// d/d target: -s * (1 - eps) * w[j] * lsm[j].
template <typename T>
void probability_backward(const T* lsm, const T* target, const T* weight,
                          const PositionScale<T>& scale, T* grad_input, T* grad_target,
                          const ClassLayout& layout, T eps) {
  const int64_t classes = layout.classes;
  const int64_t inner = layout.inner;
  parallel_for(0, layout.positions(), std::max<int64_t>(1, kLossGrain / classes),
               [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      int64_t base = (p / inner) * classes * inner + p % inner;
      T s = scale.at(p);
      T weighted_total = T(0);
      for (int64_t c = 0; c < classes; ++c) {
        int64_t at = base + c * inner;
        T w = weight != nullptr ? weight[c] : T(1);
        weighted_total += w * smoothed(target[at], eps, classes);
      }
      for (int64_t c = 0; c < classes; ++c) {
        int64_t at = base + c * inner;
        T w = weight != nullptr ? weight[c] : T(1);
        if (grad_input != nullptr) {
          grad_input[at] =
              s * (std::exp(lsm[at]) * weighted_total - w * smoothed(target[at], eps, classes));
        }
        if (grad_target != nullptr) grad_target[at] = -s * (T(1) - eps) * w * lsm[at];
      }
    }
  });
}

Tensor cross_entropy_probability_target(const Tensor& input, const Tensor& target,
                                        const CrossEntropyOptions& options,
                                        const ClassLayout& layout) {
  const char* op = "cross_entropy";
  EMBER_CHECK(target.shape() == input.shape(), op, ": probability target shape ",
              target.shape(), " differs from input shape ", input.shape(),
              "; class-index targets are int64 of shape ", layout.sample_shape);
  EMBER_CHECK(target.dtype() == input.dtype(), op, ": probability target dtype ",
              dtype_name(target.dtype()), " differs from input dtype ",
              dtype_name(input.dtype()));
  EMBER_CHECK(options.ignore_index < 0, op, ": ignore_index (", options.ignore_index,
              ") is not supported with probability targets (target ", target.shape(), ")");
  check_class_weight(options.weight, input, layout, op);

  Tensor t = contiguous_values(target);
  Tensor weight = options.weight.defined() ? contiguous_values(options.weight) : Tensor();
  Tensor lsm;
  {
    NoGradGuard no_grad;
    lsm = log_softmax(input, layout.class_dim);
  }
  Tensor values = empty(layout.sample_shape, input.dtype());
  const double eps = options.label_smoothing;
  detail::count_bytes(lsm, t, weight, values);
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    probability_losses(lsm.data_ptr<scalar_t>(), t.data_ptr<scalar_t>(),
                       data_or_null<scalar_t>(weight), values.data_ptr<scalar_t>(), layout,
                       static_cast<scalar_t>(eps));
  });
  const double positions = double(layout.positions());
  Tensor result = reduce_positions(values, options.reduction, positions);

  if (!any_requires_grad({&input, &target})) return result;
  bool need_input = input.requires_grad();
  bool need_target = target.requires_grad();
  SavedTensor saved_lsm(lsm), saved_target(t), saved_weight(weight);
  Reduction reduction = options.reduction;
  return record_op("CrossEntropyBackward", result, {input, target},
                   [=](const TensorList& grads) {
    Tensor lsm_values = saved_lsm.unpack(op);
    Tensor t_values = saved_target.unpack(op);
    Tensor w_tensor = saved_weight.defined() ? saved_weight.unpack(op) : Tensor();
    GradScale scale = grad_scale(grads[0], reduction, layout.sample_shape, positions);
    Tensor grad_input = need_input ? empty(lsm_values.shape(), lsm_values.dtype()) : Tensor();
    Tensor grad_target = need_target ? empty(lsm_values.shape(), lsm_values.dtype()) : Tensor();
    detail::count_bytes(lsm_values, t_values, scale.per_element, grad_input, grad_target);
    EMBER_DISPATCH_FLOATING(lsm_values.dtype(), op, [&] {
      PositionScale<scalar_t> s{scale.data<scalar_t>(), static_cast<scalar_t>(scale.scalar)};
      probability_backward(lsm_values.data_ptr<scalar_t>(), t_values.data_ptr<scalar_t>(),
                           data_or_null<scalar_t>(w_tensor), s,
                           data_or_null<scalar_t>(grad_input),
                           data_or_null<scalar_t>(grad_target), layout,
                           static_cast<scalar_t>(eps));
    });
    return TensorList{grad_input, grad_target};
  });
}

// ---- cosine_embedding_loss ----

// Per row: the dot product, both squared norms (+1e-12) and the cosine.
struct CosineRow {
  double dot, norm1, norm2, cosine;
};

template <typename T>
CosineRow cosine_row(const T* x1, const T* x2, int64_t dim) {
  constexpr double kEpsilon = 1e-12;  // PyTorch's, added to each squared norm
  double dot = 0.0, norm1 = 0.0, norm2 = 0.0;
  for (int64_t i = 0; i < dim; ++i) {
    dot += double(x1[i]) * double(x2[i]);
    norm1 += double(x1[i]) * double(x1[i]);
    norm2 += double(x2[i]) * double(x2[i]);
  }
  norm1 += kEpsilon;
  norm2 += kEpsilon;
  return {dot, norm1, norm2, dot / std::sqrt(norm1 * norm2)};
}

}  // namespace

// ---- public losses ----

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_PROFILE_OP("mse_loss", input, target);
  return matching_loss("mse_loss", "MseLossBackward", input, target, reduction, MseTerm{});
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_PROFILE_OP("l1_loss", input, target);
  return matching_loss("l1_loss", "L1LossBackward", input, target, reduction, L1Term{});
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1Options& options) {
  EMBER_PROFILE_OP("smooth_l1_loss", input, target);
  EMBER_CHECK(options.beta >= 0.0, "smooth_l1_loss: beta must be >= 0, got ", options.beta);
  // beta = 0 is l1_loss; the quadratic branch would divide by zero.
  if (options.beta == 0.0) return l1_loss(input, target, options.reduction);
  return matching_loss("smooth_l1_loss", "SmoothL1LossBackward", input, target,
                       options.reduction, SmoothL1Term{options.beta});
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberOptions& options) {
  EMBER_PROFILE_OP("huber_loss", input, target);
  EMBER_CHECK(options.delta > 0.0, "huber_loss: delta must be > 0, got ", options.delta);
  return matching_loss("huber_loss", "HuberLossBackward", input, target, options.reduction,
                       HuberTerm{options.delta});
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NllLossOptions& options) {
  const char* op = "nll_loss";
  EMBER_PROFILE_OP(op, input, target);
  ClassLayout layout = class_layout(input, op);
  check_class_target(input, target, layout, op);
  check_class_weight(options.weight, input, layout, op);
  check_reduction(options.reduction, op);

  Tensor x = contiguous_values(input);
  Tensor t = contiguous_values(target);
  Tensor weight = options.weight.defined() ? contiguous_values(options.weight) : Tensor();
  const int64_t* targets = t.data_ptr<int64_t>();
  check_class_range(targets, layout.positions(), layout, options.ignore_index, input, op);

  Tensor values = empty(layout.sample_shape, input.dtype());
  double total_weight = 0.0;
  detail::count_bytes(t, values, values);  // one input element read per position
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    const scalar_t* w = data_or_null<scalar_t>(weight);
    scalar_t* out = values.data_ptr<scalar_t>();
    const int64_t classes = layout.classes;
    const int64_t inner = layout.inner;
    parallel_for(0, layout.positions(), kLossGrain, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        int64_t c = targets[p];
        if (c == options.ignore_index) {
          out[p] = scalar_t(0);
          continue;
        }
        scalar_t class_weight = w != nullptr ? w[c] : scalar_t(1);
        out[p] = -class_weight * in[((p / inner) * classes + c) * inner + p % inner];
      }
    });
    total_weight = total_class_weight(targets, layout.positions(), w, options.ignore_index);
  });
  Tensor result = reduce_positions(values, options.reduction, total_weight);

  if (!any_requires_grad({&input})) return result;
  SavedTensor saved_target(t), saved_weight(weight);
  Shape input_shape = input.shape();
  DType dtype = input.dtype();
  int64_t ignore_index = options.ignore_index;
  Reduction reduction = options.reduction;
  return record_op("NllLossBackward", result, {input}, [=](const TensorList& grads) {
    Tensor w_tensor = saved_weight.defined() ? saved_weight.unpack(op) : Tensor();
    return TensorList{nll_backward(grads[0], saved_target.unpack(op), w_tensor, input_shape,
                                   dtype, layout, ignore_index, reduction, total_weight)};
  });
}

Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options) {
  const char* op = "cross_entropy";
  EMBER_PROFILE_OP(op, input, target);
  ClassLayout layout = class_layout(input, op);
  EMBER_CHECK(target.defined(), op, ": target is undefined");
  EMBER_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0, op,
              ": label_smoothing must lie in [0, 1], got ", options.label_smoothing);
  check_reduction(options.reduction, op);
  if (is_floating(target.dtype())) {
    return cross_entropy_probability_target(input, target, options, layout);
  }
  return cross_entropy_class_target(input, target, options, layout);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyOptions& options) {
  const char* op = "binary_cross_entropy";
  EMBER_PROFILE_OP(op, input, target);
  check_matching_target(input, target, op);
  check_reduction(options.reduction, op);
  check_weight(options.weight, input, input.shape(), op, "weight");

  // Out-of-range probabilities (NaN included) are a caller error, as in PyTorch.
  Tensor x = contiguous_values(input);
  bool in_range = EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    const scalar_t* values = x.data_ptr<scalar_t>();
    return parallel_reduce<bool>(
        0, x.numel(), kTotalChunk, true,
        [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) {
            if (!(values[i] >= scalar_t(0) && values[i] <= scalar_t(1))) return false;
          }
          return true;
        },
        [](bool a, bool b) { return a && b; });
  });
  EMBER_CHECK(in_range, op, ": every input element must lie in [0, 1] (input ", input.shape(),
              "); apply sigmoid first, or use binary_cross_entropy_with_logits");

  return pointwise_loss("BinaryCrossEntropyBackward", {input, target, Tensor(), options.weight},
                        input.shape(), options.reduction, BinaryCrossEntropyTerm{});
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options) {
  const char* op = "binary_cross_entropy_with_logits";
  EMBER_PROFILE_OP(op, input, target);
  check_matching_target(input, target, op);
  check_reduction(options.reduction, op);
  check_weight(options.weight, input, input.shape(), op, "weight");
  check_weight(options.pos_weight, input, input.shape(), op, "pos_weight");
  bool has_pos_weight = options.pos_weight.defined();
  return pointwise_loss("BinaryCrossEntropyWithLogitsBackward",
                        {input, target, options.pos_weight, options.weight}, input.shape(),
                        options.reduction, BceWithLogitsTerm{has_pos_weight});
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KlDivOptions& options) {
  EMBER_PROFILE_OP("kl_div", input, target);
  check_matching_target(input, target, "kl_div");
  return pointwise_loss("KlDivBackward", {input, target, Tensor(), Tensor()}, input.shape(),
                        options.reduction, KlDivTerm{options.log_target});
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingOptions& options) {
  const char* op = "cosine_embedding_loss";
  EMBER_PROFILE_OP(op, input1, input2, target);
  check_floating_input(input1, op);
  check_reduction(options.reduction, op);
  EMBER_CHECK(input2.defined() && target.defined(), op, ": input2 or target is undefined");
  EMBER_CHECK(input1.shape() == input2.shape() && input1.dtype() == input2.dtype(), op,
              ": input1 ", input1.shape(), " ", dtype_name(input1.dtype()), " and input2 ",
              input2.shape(), " ", dtype_name(input2.dtype()),
              " must have the same shape and dtype");
  EMBER_CHECK(target.dim() <= 1, op, ": target must be 0-d or 1-d, got ", target.shape());
  EMBER_CHECK(input1.dim() == target.dim() + 1, op, ": a ", target.dim(), "-d target ",
              target.shape(), " expects ", target.dim() + 1, "-d inputs, got ",
              input1.shape());
  EMBER_CHECK(target.dim() == 0 || target.size(0) == input1.size(0), op, ": target ",
              target.shape(), " holds ", target.numel(), " labels for ", input1.size(0),
              " rows of input ", input1.shape());
  EMBER_CHECK(target.dtype() != kBool, op, ": target must hold 1 and -1 (int64 or floating), "
              "got bool");

  Tensor x1 = contiguous_values(input1);
  Tensor x2 = contiguous_values(input2);
  Tensor labels = contiguous_values(detail::converted(target, kFloat64));
  const int64_t rows = target.numel();
  const int64_t dim = input1.dim() == 0 ? 1 : input1.size(input1.dim() - 1);
  const double margin = options.margin;

  Tensor values = empty(target.shape(), input1.dtype());
  detail::count_bytes(x1, x2, labels, values);
  EMBER_DISPATCH_FLOATING(input1.dtype(), op, [&] {
    const scalar_t* a = x1.data_ptr<scalar_t>();
    const scalar_t* b = x2.data_ptr<scalar_t>();
    const double* y = labels.data_ptr<double>();
    scalar_t* out = values.data_ptr<scalar_t>();
    parallel_for(0, rows, std::max<int64_t>(1, kLossGrain / std::max<int64_t>(dim, 1)),
                 [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        CosineRow row = cosine_row(a + r * dim, b + r * dim, dim);
        double loss = 0.0;
        if (y[r] == 1.0) loss = 1.0 - row.cosine;
        if (y[r] == -1.0) loss = std::max(row.cosine - margin, 0.0);
        out[r] = static_cast<scalar_t>(loss);
      }
    });
  });
  Tensor result = reduce_values(values, options.reduction);

  if (!any_requires_grad({&input1, &input2})) return result;
  bool need1 = input1.requires_grad();
  bool need2 = input2.requires_grad();
  SavedTensor saved1(x1), saved2(x2), saved_labels(labels);
  Reduction reduction = options.reduction;
  Shape target_shape = target.shape();
  return record_op("CosineEmbeddingLossBackward", result, {input1, input2},
                   [=](const TensorList& grads) {
    Tensor a_tensor = saved1.unpack(op);
    Tensor b_tensor = saved2.unpack(op);
    Tensor y_tensor = saved_labels.unpack(op);
    GradScale scale = grad_scale(grads[0], reduction, target_shape, double(rows));
    Tensor grad1 = need1 ? empty(a_tensor.shape(), a_tensor.dtype()) : Tensor();
    Tensor grad2 = need2 ? empty(a_tensor.shape(), a_tensor.dtype()) : Tensor();
    detail::count_bytes(a_tensor, b_tensor, y_tensor, scale.per_element, grad1, grad2);
    EMBER_DISPATCH_FLOATING(a_tensor.dtype(), op, [&] {
      const scalar_t* a = a_tensor.data_ptr<scalar_t>();
      const scalar_t* b = b_tensor.data_ptr<scalar_t>();
      const double* y = y_tensor.data_ptr<double>();
      const scalar_t* g = scale.data<scalar_t>();
      scalar_t* ga = data_or_null<scalar_t>(grad1);
      scalar_t* gb = data_or_null<scalar_t>(grad2);
      parallel_for(0, rows, std::max<int64_t>(1, kLossGrain / std::max<int64_t>(dim, 1)),
                   [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const scalar_t* a_row = a + r * dim;
          const scalar_t* b_row = b + r * dim;
          CosineRow row = cosine_row(a_row, b_row, dim);
          // d loss / d cos: -1 for similar pairs; 1 for dissimilar ones while
          // cos >= margin (clamp_min passes the gradient at the bound).
          double slope = 0.0;
          if (y[r] == 1.0) slope = -1.0;
          if (y[r] == -1.0 && row.cosine - margin >= 0.0) slope = 1.0;
          double s = slope * (g != nullptr ? double(g[r]) : scale.scalar);
          double denominator = std::sqrt(row.norm1 * row.norm2);
          for (int64_t i = 0; i < dim; ++i) {
            if (ga != nullptr) {
              ga[i + r * dim] = static_cast<scalar_t>(
                  s * (b_row[i] / denominator - row.cosine * a_row[i] / row.norm1));
            }
            if (gb != nullptr) {
              gb[i + r * dim] = static_cast<scalar_t>(
                  s * (a_row[i] / denominator - row.cosine * b_row[i] / row.norm2));
            }
          }
        }
      });
    });
    return TensorList{grad1, grad2};
  });
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingOptions& options) {
  const char* op = "margin_ranking_loss";
  EMBER_PROFILE_OP(op, input1, input2, target);
  check_floating_input(input1, op);
  check_reduction(options.reduction, op);
  EMBER_CHECK(input2.defined() && target.defined(), op, ": input2 or target is undefined");
  EMBER_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(), op,
              ": input1 ", input1.shape(), ", input2 ", input2.shape(), " and target ",
              target.shape(), " must have the same number of dims");
  EMBER_CHECK(input2.dtype() == input1.dtype(), op, ": input2 dtype ",
              dtype_name(input2.dtype()), " differs from input1 dtype ",
              dtype_name(input1.dtype()));
  EMBER_CHECK(target.dtype() == input1.dtype() || target.dtype() == kInt64, op,
              ": target must be ", dtype_name(input1.dtype()), " or int64, got ",
              dtype_name(target.dtype()));

  Shape shape = broadcast_shapes(broadcast_shapes(input1.shape(), input2.shape(), op),
                                 target.shape(), op);
  Tensor y = target.dtype() == kInt64 ? detail::converted(target, input1.dtype()) : target;
  return pointwise_loss("MarginRankingLossBackward", {input1, input2, y, Tensor(), true}, shape,
                        options.reduction, MarginRankingTerm{options.margin});
}

}  // namespace ember
