#pragma once

// Typed reduction kernels for ops/reduce.cpp. Every kernel reduces the middle
// dim of a contiguous block viewed as [A, R, K]:
//   in: [A, R, K]   out: [A, K]   (A outer positions, R reduced, K inner)
// K == 1 reduces contiguous rows; K > 1 adds whole rows, vectorized along k.
//
// Determinism: each output is computed by one fixed sequence of operations
// that depends only on the sizes. Where the reduced dim is split across
// threads, the split points depend only on R and the partials are combined in
// chunk order, so results are bitwise identical for every thread count.
//
// Included only from ops/reduce.cpp: it pulls in xsimd.

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "framework/parallel.h"

namespace ember::detail::reduce {

template <typename T>
using Batch = xsimd::batch<T>;

// Sums accumulate in the element type (float lanes for float32) with blocked,
// pairwise summation; the few partials of a split reduction combine in double.
// int64 sums run on uint64 so overflow wraps (as PyTorch) instead of being UB.
template <typename T>
using CombineType = std::conditional_t<std::is_integral_v<T>, T, double>;

constexpr int kAccumulators = 8;                 // hides the 4-cycle add latency
constexpr int64_t kLeafRows = 16;                // rows added in sequence (K > 1)
constexpr int64_t kFewOutputs = 16;              // below this, split the reduced dim
constexpr int64_t kSumChunk = int64_t{1} << 16;  // elements per partial of a split row
constexpr int64_t kMaxRowChunks = 64;            // partials per output when K > 1

// Elements added in sequence per lane before pairwise summation takes over:
// 32 per lane keeps the float32 error of a leaf near 32 ulp in the worst case.
template <typename T>
inline constexpr int64_t kLeaf = 32 * kAccumulators * static_cast<int64_t>(Batch<T>::size);

// Columns handled together when K > 1: 1 KiB, so the accumulators and a leaf
// of kLeafRows rows stay in L1.
template <typename T>
inline constexpr int64_t kColumnTile = 1024 / static_cast<int64_t>(sizeof(T));

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- sums ----

// Adds the lanes of b in a fixed pairwise order.
template <typename T>
T lane_sum(const Batch<T>& b) {
  constexpr size_t S = Batch<T>::size;
  alignas(64) std::array<T, S> lanes;
  b.store_aligned(lanes.data());
  for (size_t width = S / 2; width > 0; width /= 2) {
    for (size_t i = 0; i < width; ++i) lanes[i] += lanes[i + width];
  }
  return lanes[0];
}

// Sum of n <= kLeaf<T> contiguous elements with kAccumulators vector sums.
template <typename T>
T sum_leaf(const T* x, int64_t n) {
  using B = Batch<T>;
  constexpr int64_t S = B::size;
  constexpr int64_t kStep = kAccumulators * S;
  int64_t i = 0;
  B total(T(0));

  if (n >= kStep) {
    std::array<B, kAccumulators> acc;
    for (int j = 0; j < kAccumulators; ++j) acc[j] = B::load_unaligned(x + j * S);
    for (i = kStep; i + kStep <= n; i += kStep) {
      for (int j = 0; j < kAccumulators; ++j) acc[j] += B::load_unaligned(x + i + j * S);
    }
    for (int width = kAccumulators / 2; width > 0; width /= 2) {
      for (int j = 0; j < width; ++j) acc[j] += acc[j + width];
    }
    total = acc[0];
  }

  for (; i + S <= n; i += S) total += B::load_unaligned(x + i);
  T tail = 0;
  for (; i < n; ++i) tail += x[i];
  return lane_sum(total) + tail;
}

// Pairwise sum of n contiguous elements: the error grows with log(n / kLeaf)
// rather than n. The split points depend only on n.
template <typename T>
T sum_contiguous(const T* x, int64_t n) {
  if (n <= kLeaf<T>) return sum_leaf(x, n);
  int64_t half = std::max(kLeaf<T>, n / 2 / kLeaf<T> * kLeaf<T>);
  return sum_contiguous(x, half) + sum_contiguous(x + half, n - half);
}

// acc[k] = sum of x[r * stride + k] over 1 <= rows <= kLeafRows, k < width.
template <typename T>
void sum_rows_leaf(const T* x, int64_t stride, int64_t rows, int64_t width, T* acc) {
  using B = Batch<T>;
  constexpr int64_t S = B::size;
  int64_t k = 0;

  // Four vectors of columns per pass stay in registers across the rows.
  for (; k + 4 * S <= width; k += 4 * S) {
    B a0 = B::load_unaligned(x + k);
    B a1 = B::load_unaligned(x + k + S);
    B a2 = B::load_unaligned(x + k + 2 * S);
    B a3 = B::load_unaligned(x + k + 3 * S);
    for (int64_t r = 1; r < rows; ++r) {
      const T* row = x + r * stride + k;
      a0 += B::load_unaligned(row);
      a1 += B::load_unaligned(row + S);
      a2 += B::load_unaligned(row + 2 * S);
      a3 += B::load_unaligned(row + 3 * S);
    }
    a0.store_unaligned(acc + k);
    a1.store_unaligned(acc + k + S);
    a2.store_unaligned(acc + k + 2 * S);
    a3.store_unaligned(acc + k + 3 * S);
  }

  for (; k + S <= width; k += S) {
    B a = B::load_unaligned(x + k);
    for (int64_t r = 1; r < rows; ++r) a += B::load_unaligned(x + r * stride + k);
    a.store_unaligned(acc + k);
  }

  for (; k < width; ++k) {
    T a = x[k];
    for (int64_t r = 1; r < rows; ++r) a += x[r * stride + k];
    acc[k] = a;
  }
}

// acc[k] = sum over rows of x[r * stride + k] for k < width <= kColumnTile<T>,
// pairwise over blocks of kLeafRows rows.
template <typename T>
void sum_rows(const T* x, int64_t stride, int64_t rows, int64_t width, T* acc) {
  if (rows <= kLeafRows) {
    sum_rows_leaf(x, stride, rows, width, acc);
    return;
  }
  int64_t half = std::max(kLeafRows, rows / 2 / kLeafRows * kLeafRows);
  sum_rows(x, stride, half, width, acc);

  alignas(64) T other[kColumnTile<T>];
  sum_rows(x + half * stride, stride, rows - half, width, other);
  for (int64_t k = 0; k < width; ++k) acc[k] += other[k];
}

// out[a, k] = sum_r in[a, r, k] for a contiguous [A, R, K] block, R >= 1.
template <typename T>
void sum_ark(const T* in, T* out, int64_t A, int64_t R, int64_t K) {
  using Combine = CombineType<T>;

  // Few long rows: split each row into fixed chunks (the all-elements sum).
  if (K == 1 && A < kFewOutputs && R > kSumChunk) {
    for (int64_t a = 0; a < A; ++a) {
      const T* row = in + a * R;
      Combine total = parallel_reduce(
          0, R, kSumChunk, Combine(0),
          [row](int64_t b, int64_t e) { return Combine(sum_contiguous(row + b, e - b)); },
          [](Combine lhs, Combine rhs) { return lhs + rhs; });
      out[a] = static_cast<T>(total);
    }
    return;
  }

  if (K == 1) {
    parallel_for(0, A, std::max<int64_t>(1, kElementwiseGrain / R), [=](int64_t b, int64_t e) {
      for (int64_t a = b; a < e; ++a) out[a] = sum_contiguous(in + a * R, R);
    });
    return;
  }

  const int64_t tile = kColumnTile<T>;
  const int64_t tiles = ceil_div(K, tile);
  const int64_t units = A * tiles;  // one unit: one a, one tile of columns
  auto run_unit = [=](int64_t unit, int64_t r0, int64_t rows, T* dst) {
    int64_t a = unit / tiles;
    int64_t k0 = unit % tiles * tile;
    int64_t width = std::min(tile, K - k0);
    sum_rows(in + (a * R + r0) * K + k0, K, rows, width, dst + a * K + k0);
  };

  // Few outputs over many rows: partial sums over fixed row chunks, in parallel.
  if (units < kFewOutputs && A * R * K > kSumChunk && R > 2 * kLeafRows) {
    const int64_t chunk_rows = std::max(kLeafRows, ceil_div(R, kMaxRowChunks));
    const int64_t chunks = ceil_div(R, chunk_rows);
    const int64_t outputs = A * K;
    std::vector<T> partials(chunks * outputs);
    parallel_for(0, chunks * units, 1, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        int64_t c = j / units;
        int64_t r0 = c * chunk_rows;
        run_unit(j % units, r0, std::min(chunk_rows, R - r0), partials.data() + c * outputs);
      }
    });
    parallel_for(0, outputs, kElementwiseGrain / chunks, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        Combine total = 0;
        for (int64_t c = 0; c < chunks; ++c) total += Combine(partials[c * outputs + o]);
        out[o] = static_cast<T>(total);
      }
    });
    return;
  }

  int64_t unit_work = R * std::min(K, tile);
  parallel_for(0, units, std::max<int64_t>(1, kElementwiseGrain / unit_work),
               [&](int64_t b, int64_t e) {
                 for (int64_t u = b; u < e; ++u) run_unit(u, 0, R, out);
               });
}

// ---- max / min ----

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// True when v should replace best: strictly larger (smaller), or the first NaN,
// which counts as the extreme and then stays.
template <typename T, bool kMax>
bool more_extreme(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (v != v) return best == best;
  }
  if constexpr (kMax) {
    return v > best;
  } else {
    return v < best;
  }
}

// The largest (smallest) of n >= 1 contiguous elements; NaN if any is NaN.
template <typename T, bool kMax>
T extreme_contiguous(const T* x, int64_t n) {
  int64_t i = 0;
  T best = x[0];

  if constexpr (std::is_floating_point_v<T>) {
    using B = Batch<T>;
    constexpr int64_t S = B::size;
    auto pick = [](const B& a, const B& b) { return kMax ? xsimd::max(a, b) : xsimd::min(a, b); };
    if (n >= 4 * S) {
      // NaNs are tracked apart, so the lanes' max/min need no NaN rule.
      B m0 = B::load_unaligned(x), m1 = B::load_unaligned(x + S);
      B m2 = B::load_unaligned(x + 2 * S), m3 = B::load_unaligned(x + 3 * S);
      auto nan = xsimd::isnan(m0) | xsimd::isnan(m1) | xsimd::isnan(m2) | xsimd::isnan(m3);
      for (i = 4 * S; i + 4 * S <= n; i += 4 * S) {
        B v0 = B::load_unaligned(x + i), v1 = B::load_unaligned(x + i + S);
        B v2 = B::load_unaligned(x + i + 2 * S), v3 = B::load_unaligned(x + i + 3 * S);
        nan = nan | xsimd::isnan(v0) | xsimd::isnan(v1) | xsimd::isnan(v2) | xsimd::isnan(v3);
        m0 = pick(m0, v0);
        m1 = pick(m1, v1);
        m2 = pick(m2, v2);
        m3 = pick(m3, v3);
      }
      if (xsimd::any(nan)) return std::numeric_limits<T>::quiet_NaN();
      alignas(64) std::array<T, S> lanes;
      pick(pick(m0, m1), pick(m2, m3)).store_aligned(lanes.data());
      for (T lane : lanes) best = more_extreme<T, kMax>(lane, best) ? lane : best;
    }
  }

  for (; i < n; ++i) {
    if (is_nan(x[i])) return x[i];
    best = more_extreme<T, kMax>(x[i], best) ? x[i] : best;
  }
  return best;
}

// Index of the first element equal to value (the first NaN when value is NaN),
// or n when there is none.
template <typename T>
int64_t find_first(const T* x, int64_t n, T value) {
  const bool want_nan = is_nan(value);
  int64_t i = 0;
  if constexpr (!std::is_same_v<T, bool>) {
    using B = Batch<T>;
    constexpr int64_t S = B::size;
    const B target(value);
    for (; i + S <= n; i += S) {
      B v = B::load_unaligned(x + i);
      bool hit;
      if constexpr (std::is_floating_point_v<T>) {
        hit = xsimd::any(want_nan ? xsimd::isnan(v) : v == target);
      } else {
        hit = xsimd::any(v == target);
      }
      if (hit) break;
    }
  }
  for (; i < n; ++i) {
    if (want_nan ? is_nan(x[i]) : x[i] == value) return i;
  }
  return n;
}

// The extreme of n >= 1 contiguous elements and the index of its first
// occurrence. With `parallel`, long ranges are split into fixed chunks.
template <typename T, bool kMax>
std::pair<T, int64_t> arg_extreme_contiguous(const T* x, int64_t n, bool parallel) {
  T value;
  if (parallel && n > kSumChunk) {
    value = parallel_reduce(
        0, n, kSumChunk, x[0],
        [x](int64_t b, int64_t e) { return extreme_contiguous<T, kMax>(x + b, e - b); },
        [](T lhs, T rhs) { return more_extreme<T, kMax>(rhs, lhs) ? rhs : lhs; });
  } else {
    value = extreme_contiguous<T, kMax>(x, n);
  }
  int64_t index = find_first(x, n, value);
  return {x[index], index};
}

// values[a, k], indices[a, k] = extreme of in[a, :, k] and its first index, R >= 1.
template <typename T, bool kMax>
void arg_extreme_ark(const T* in, T* values, int64_t* indices, int64_t A, int64_t R,
                     int64_t K) {
  if (K == 1) {
    bool split = A < kFewOutputs && R > kSumChunk;
    auto run_row = [=](int64_t a, bool parallel) {
      auto [value, index] = arg_extreme_contiguous<T, kMax>(in + a * R, R, parallel);
      values[a] = value;
      indices[a] = index;
    };
    if (split) {
      for (int64_t a = 0; a < A; ++a) run_row(a, true);
    } else {
      parallel_for(0, A, std::max<int64_t>(1, kElementwiseGrain / R), [&](int64_t b, int64_t e) {
        for (int64_t a = b; a < e; ++a) run_row(a, false);
      });
    }
    return;
  }

  // Walk the rows once, keeping the running extreme of a tile of columns.
  const int64_t tile = kColumnTile<T>;
  const int64_t tiles = ceil_div(K, tile);
  const int64_t unit_work = R * std::min(K, tile);
  parallel_for(0, A * tiles, std::max<int64_t>(1, kElementwiseGrain / unit_work),
               [&](int64_t b, int64_t e) {
    T best[kColumnTile<T>];
    int64_t where[kColumnTile<T>];
    for (int64_t u = b; u < e; ++u) {
      int64_t a = u / tiles;
      int64_t k0 = u % tiles * tile;
      int64_t width = std::min(tile, K - k0);
      const T* base = in + a * R * K + k0;
      for (int64_t k = 0; k < width; ++k) {
        best[k] = base[k];
        where[k] = 0;
      }
      for (int64_t r = 1; r < R; ++r) {
        const T* row = base + r * K;
        for (int64_t k = 0; k < width; ++k) {
          bool take = more_extreme<T, kMax>(row[k], best[k]);
          best[k] = take ? row[k] : best[k];
          where[k] = take ? r : where[k];
        }
      }
      std::copy(best, best + width, values + a * K + k0);
      std::copy(where, where + width, indices + a * K + k0);
    }
  });
}

}  // namespace ember::detail::reduce
