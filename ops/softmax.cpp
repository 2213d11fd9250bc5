// softmax and log_softmax: fused forward and backward kernels.
//
// Layout legend: the (contiguous) input is viewed as [outer, size, inner]
// with the softmax dim in the middle. inner == 1 (the last dim, the common
// case) gives contiguous rows, vectorized along the row. inner > 1 walks
// `size` elements `inner` apart; there the kernels run several columns at
// once, vectorized across k, so each pass still reads whole vectors.
//
// Vectorized with xsimd's default architecture (the AVX2+FMA baseline).
// Limitation: no AVX-512 variant; these kernels live outside the per-ISA SIMD
// table, whose kernel signatures have no room for a row reduction.
// Limitation: a strided input (or incoming gradient) is copied to contiguous
// first, one extra pass over memory, as PyTorch's CPU kernels do.
// Limitation: rows are the unit of parallel work, so one very long row (a
// single [1, n] softmax) runs on one thread.

#include "ops/softmax.h"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/pointwise.h"
#include "ops/detail/profile_counts.h"

namespace ember {
namespace {

// Elements per task: exp costs several times a plain load and store, so a
// quarter of the elementwise grain keeps a task near the same few us.
constexpr int64_t kSoftmaxGrain = kElementwiseGrain / 4;

struct Geometry {
  int64_t outer = 1;
  int64_t size = 1;
  int64_t inner = 1;
};

Geometry geometry(const Shape& shape, int64_t dim) {
  Geometry g;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < dim) g.outer *= shape[d];
    if (d == dim) g.size = shape[d];
    if (d > dim) g.inner *= shape[d];
  }
  return g;
}

// ---- packs: one code path for a vector of columns and for one column ----

template <typename T>
using Vec = xsimd::batch<T>;

template <typename P, typename T>
P load_pack(const T* p) {
  if constexpr (std::is_same_v<P, T>) {
    return *p;
  } else {
    return P::load_unaligned(p);
  }
}

template <typename P, typename T>
void store_pack(T* p, const P& value) {
  if constexpr (std::is_same_v<P, T>) {
    *p = value;
  } else {
    value.store_unaligned(p);
  }
}

template <typename P>
P pack_exp(const P& v) {
  if constexpr (std::is_floating_point_v<P>) {
    return std::exp(v);
  } else {
    return xsimd::exp(v);
  }
}

template <typename P>
P pack_log(const P& v) {
  if constexpr (std::is_floating_point_v<P>) {
    return std::log(v);
  } else {
    return xsimd::log(v);
  }
}

template <typename P>
P pack_max(const P& a, const P& b) {
  if constexpr (std::is_floating_point_v<P>) {
    return std::max(a, b);
  } else {
    return xsimd::max(a, b);
  }
}

// ---- contiguous rows (inner == 1) ----

template <typename T>
T lane_max(const Vec<T>& v) {
  alignas(64) T lanes[Vec<T>::size];
  v.store_aligned(lanes);
  T result = lanes[0];
  for (T lane : lanes) result = std::max(result, lane);
  return result;
}

// Sums lanes and the scalar tail; four accumulators hide the add latency.
template <typename T, typename VecOp, typename ScalarOp>
T row_reduce_sum(int64_t n, const VecOp& vec_term, const ScalarOp& scalar_term) {
  constexpr int64_t lanes = Vec<T>::size;
  Vec<T> acc0(T(0)), acc1(T(0)), acc2(T(0)), acc3(T(0));
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    acc0 += vec_term(i);
    acc1 += vec_term(i + lanes);
    acc2 += vec_term(i + 2 * lanes);
    acc3 += vec_term(i + 3 * lanes);
  }
  for (; i + lanes <= n; i += lanes) acc0 += vec_term(i);
  T total = xsimd::hadd((acc0 + acc1) + (acc2 + acc3));
  for (; i < n; ++i) total += scalar_term(i);
  return total;
}

// Four running maxima hide the latency of max. A NaN may be dropped here; it
// still reaches the sum of exponentials and makes the whole row NaN, as in
// PyTorch.
template <typename T>
T row_max(const T* x, int64_t n) {
  constexpr int64_t lanes = Vec<T>::size;
  T result = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  if (n >= lanes) {
    Vec<T> m0 = Vec<T>::load_unaligned(x);
    Vec<T> m1 = m0, m2 = m0, m3 = m0;
    for (i = lanes; i + 4 * lanes <= n; i += 4 * lanes) {
      m0 = xsimd::max(m0, Vec<T>::load_unaligned(x + i));
      m1 = xsimd::max(m1, Vec<T>::load_unaligned(x + i + lanes));
      m2 = xsimd::max(m2, Vec<T>::load_unaligned(x + i + 2 * lanes));
      m3 = xsimd::max(m3, Vec<T>::load_unaligned(x + i + 3 * lanes));
    }
    for (; i + lanes <= n; i += lanes) m0 = xsimd::max(m0, Vec<T>::load_unaligned(x + i));
    result = lane_max(xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3)));
  }
  for (; i < n; ++i) result = std::max(result, x[i]);
  return result;
}

// y[i] = exp(x[i] - max) / sum, or (x[i] - max) - log(sum) for log_softmax.
// Subtracting the max before the log keeps x - max exact: folding it into one
// constant (max + log(sum)) would round at the scale of the max.
template <typename T, bool kLog>
void forward_row(const T* x, T* y, int64_t n) {
  const T m = row_max(x, n);
  const Vec<T> mv(m);
  T sum;
  if constexpr (kLog) {
    sum = row_reduce_sum<T>(
        n, [&](int64_t i) { return xsimd::exp(Vec<T>::load_unaligned(x + i) - mv); },
        [&](int64_t i) { return std::exp(x[i] - m); });
  } else {
    sum = row_reduce_sum<T>(
        n,
        [&](int64_t i) {
          Vec<T> e = xsimd::exp(Vec<T>::load_unaligned(x + i) - mv);
          e.store_unaligned(y + i);
          return e;
        },
        [&](int64_t i) { return y[i] = std::exp(x[i] - m); });
  }

  constexpr int64_t lanes = Vec<T>::size;
  int64_t i = 0;
  if constexpr (kLog) {
    const T log_sum = std::log(sum);
    const Vec<T> lv(log_sum);
    for (; i + lanes <= n; i += lanes) {
      ((Vec<T>::load_unaligned(x + i) - mv) - lv).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = (x[i] - m) - log_sum;
  } else {
    const T inverse = T(1) / sum;
    const Vec<T> iv(inverse);
    for (; i + lanes <= n; i += lanes) (Vec<T>::load_unaligned(y + i) * iv).store_unaligned(y + i);
    for (; i < n; ++i) y[i] *= inverse;
  }
}

// softmax: gx = y * (g - sum(g * y)).  log_softmax: gx = g - exp(y) * sum(g).
template <typename T, bool kLog>
void backward_row(const T* g, const T* y, T* gx, int64_t n) {
  T total;
  if constexpr (kLog) {
    total = row_reduce_sum<T>(
        n, [&](int64_t i) { return Vec<T>::load_unaligned(g + i); },
        [&](int64_t i) { return g[i]; });
  } else {
    total = row_reduce_sum<T>(
        n, [&](int64_t i) { return Vec<T>::load_unaligned(g + i) * Vec<T>::load_unaligned(y + i); },
        [&](int64_t i) { return g[i] * y[i]; });
  }

  constexpr int64_t lanes = Vec<T>::size;
  const Vec<T> tv(total);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    Vec<T> gv = Vec<T>::load_unaligned(g + i);
    Vec<T> yv = Vec<T>::load_unaligned(y + i);
    Vec<T> result = kLog ? gv - xsimd::exp(yv) * tv : yv * (gv - tv);
    result.store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] = kLog ? g[i] - std::exp(y[i]) * total : y[i] * (g[i] - total);
}

// ---- strided columns (inner > 1): P is a vector of columns or one column ----

// x, y point at column k of row 0; element r sits at r * stride.
template <typename T, typename P, bool kLog>
void forward_columns(const T* x, T* y, int64_t size, int64_t stride) {
  P m = load_pack<P>(x);
  for (int64_t r = 1; r < size; ++r) m = pack_max(m, load_pack<P>(x + r * stride));

  P sum(T(0));
  for (int64_t r = 0; r < size; ++r) {
    P e = pack_exp(load_pack<P>(x + r * stride) - m);
    if constexpr (!kLog) store_pack(y + r * stride, e);
    sum += e;
  }

  if constexpr (kLog) {
    P log_sum = pack_log(sum);
    for (int64_t r = 0; r < size; ++r) {
      store_pack(y + r * stride, (load_pack<P>(x + r * stride) - m) - log_sum);
    }
  } else {
    P inverse = P(T(1)) / sum;
    for (int64_t r = 0; r < size; ++r) {
      store_pack(y + r * stride, load_pack<P>(y + r * stride) * inverse);
    }
  }
}

template <typename T, typename P, bool kLog>
void backward_columns(const T* g, const T* y, T* gx, int64_t size, int64_t stride) {
  P total(T(0));
  for (int64_t r = 0; r < size; ++r) {
    P gv = load_pack<P>(g + r * stride);
    total += kLog ? gv : gv * load_pack<P>(y + r * stride);
  }
  for (int64_t r = 0; r < size; ++r) {
    P gv = load_pack<P>(g + r * stride);
    P yv = load_pack<P>(y + r * stride);
    store_pack(gx + r * stride, kLog ? gv - pack_exp(yv) * total : yv * (gv - total));
  }
}

// ---- drivers: split rows (or blocks of columns) over threads ----

// Columns per task unit: two vectors, one 64-byte line of floats.
template <typename T>
constexpr int64_t kColumnBlock = 2 * Vec<T>::size;

// Calls column_fn<P>(offset) for every column of [outer, size, inner], with
// P a vector where a whole vector of columns remains and T for the rest.
template <typename T, typename ColumnFn>
void for_each_column_block(const Geometry& g, const ColumnFn& column_fn) {
  constexpr int64_t lanes = Vec<T>::size;
  const int64_t blocks_per_outer = (g.inner + kColumnBlock<T> - 1) / kColumnBlock<T>;
  const int64_t grain = std::max<int64_t>(1, kSoftmaxGrain / (g.size * kColumnBlock<T>));
  parallel_for(0, g.outer * blocks_per_outer, grain, [&](int64_t begin, int64_t end) {
    for (int64_t unit = begin; unit < end; ++unit) {
      int64_t o = unit / blocks_per_outer;
      int64_t k = (unit % blocks_per_outer) * kColumnBlock<T>;
      int64_t k_end = std::min(g.inner, k + kColumnBlock<T>);
      int64_t base = o * g.size * g.inner;
      for (; k + lanes <= k_end; k += lanes) column_fn.template operator()<Vec<T>>(base + k);
      for (; k < k_end; ++k) column_fn.template operator()<T>(base + k);
    }
  });
}

template <typename T, bool kLog>
void forward_kernel(const T* x, T* y, const Geometry& g) {
  if (g.inner == 1) {
    const int64_t grain = std::max<int64_t>(1, kSoftmaxGrain / std::max<int64_t>(g.size, 1));
    parallel_for(0, g.outer, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        forward_row<T, kLog>(x + o * g.size, y + o * g.size, g.size);
      }
    });
    return;
  }
  for_each_column_block<T>(g, [&]<typename P>(int64_t offset) {
    forward_columns<T, P, kLog>(x + offset, y + offset, g.size, g.inner);
  });
}

template <typename T, bool kLog>
void backward_kernel(const T* grad, const T* y, T* gx, const Geometry& g) {
  if (g.inner == 1) {
    const int64_t grain = std::max<int64_t>(1, kSoftmaxGrain / std::max<int64_t>(g.size, 1));
    parallel_for(0, g.outer, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        int64_t at = o * g.size;
        backward_row<T, kLog>(grad + at, y + at, gx + at, g.size);
      }
    });
    return;
  }
  for_each_column_block<T>(g, [&]<typename P>(int64_t offset) {
    backward_columns<T, P, kLog>(grad + offset, y + offset, gx + offset, g.size, g.inner);
  });
}

// ---- ops ----

// The values of x, contiguous and floating, without recording a graph.
Tensor contiguous_floating(const Tensor& x) {
  NoGradGuard no_grad;
  Tensor floating = is_floating(x.dtype()) ? x : detail::converted(x, kFloat32);
  return floating.contiguous();
}

template <bool kLog>
Tensor softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim) {
  Tensor g = contiguous_floating(grad);
  Tensor result = empty(out.shape(), out.dtype());
  if (out.numel() == 0) return result;
  detail::count_bytes(g, out, result);
  Geometry geo = geometry(out.shape(), dim);
  EMBER_DISPATCH_FLOATING(out.dtype(), kLog ? "log_softmax" : "softmax", [&] {
    backward_kernel<scalar_t, kLog>(g.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                                    result.data_ptr<scalar_t>(), geo);
  });
  return result;
}

template <bool kLog>
Tensor softmax_op(const Tensor& x, int64_t dim, const char* name, const char* node_name) {
  EMBER_PROFILE_OP(name, x);
  // wrap_dim lets a 0-d tensor name dim 0 or -1, as PyTorch does.
  int64_t wrapped = wrap_dim(dim, x.dim(), name);
  Tensor input = contiguous_floating(x);
  Tensor out = empty(input.shape(), input.dtype());
  detail::count_bytes(input, out);
  if (out.numel() != 0) {
    Geometry geo = geometry(input.shape(), wrapped);
    EMBER_DISPATCH_FLOATING(input.dtype(), name, [&] {
      forward_kernel<scalar_t, kLog>(input.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), geo);
    });
  }

  if (!any_requires_grad({&x})) return out;
  SavedTensor saved(out);
  return record_op(node_name, out, {x}, [saved, wrapped, node_name](const TensorList& grads) {
    return TensorList{softmax_backward<kLog>(grads[0], saved.unpack(node_name), wrapped)};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_op<false>(x, dim, "softmax", "SoftmaxBackward");
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_op<true>(x, dim, "log_softmax", "LogSoftmaxBackward");
}

}  // namespace ember
