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

// Rows shorter than this gain nothing from vector lanes: the horizontal add
// would cost more than the row.
template <typename T>
inline constexpr int64_t kShortRow = kAccumulators * static_cast<int64_t>(Batch<T>::size);

// out[a] = x[a, 0] + x[a, 1] + ... in sequence for `rows` rows of length n;
// eight rows go side by side so their dependent adds overlap. Each row's sum
// is the same however the rows are grouped.
template <typename T>
void sum_short_rows(const T* x, T* out, int64_t rows, int64_t n) {
  constexpr int64_t kGroup = 8;
  int64_t a = 0;
  for (; a + kGroup <= rows; a += kGroup) {
    const T* group = x + a * n;
    T acc[kGroup];
    for (int64_t j = 0; j < kGroup; ++j) acc[j] = group[j * n];
    for (int64_t r = 1; r < n; ++r) {
      for (int64_t j = 0; j < kGroup; ++j) acc[j] += group[j * n + r];
    }
    std::copy(acc, acc + kGroup, out + a);
  }
  for (; a < rows; ++a) {
    T acc = x[a * n];
    for (int64_t r = 1; r < n; ++r) acc += x[a * n + r];
    out[a] = acc;
  }
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

  if (K == 1 && R < kShortRow<T>) {
    parallel_for(0, A, std::max<int64_t>(1, kElementwiseGrain / R), [=](int64_t b, int64_t e) {
      sum_short_rows(in + b * R, out + b, e - b, R);
    });
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

// extreme_contiguous over fixed chunks on several threads.
template <typename T, bool kMax>
T extreme_parallel(const T* x, int64_t n) {
  return parallel_reduce(
      0, n, kSumChunk, x[0],
      [x](int64_t b, int64_t e) { return extreme_contiguous<T, kMax>(x + b, e - b); },
      [](T lhs, T rhs) { return more_extreme<T, kMax>(rhs, lhs) ? rhs : lhs; });
}

// The extreme of n >= 1 contiguous elements and the index of its first
// occurrence. With `parallel`, long ranges are split into fixed chunks.
template <typename T, bool kMax>
std::pair<T, int64_t> arg_extreme_contiguous(const T* x, int64_t n, bool parallel) {
  T value = parallel ? extreme_parallel<T, kMax>(x, n) : extreme_contiguous<T, kMax>(x, n);
  int64_t index = find_first(x, n, value);
  return {x[index], index};
}

// Largest row count whose indices a T holds exactly, so the vector path can
// keep row indices in lanes of the value type.
template <typename T>
inline constexpr int64_t kExactIndexLimit =
    std::is_floating_point_v<T> ? int64_t{1} << std::numeric_limits<T>::digits
                                : std::numeric_limits<int64_t>::max();

// Vector form of more_extreme: lanes where v replaces best.
template <typename T, bool kMax>
auto more_extreme_lanes(const Batch<T>& v, const Batch<T>& best) {
  auto strictly = kMax ? v > best : v < best;
  if constexpr (std::is_floating_point_v<T>) {
    return strictly | (xsimd::isnan(v) & !xsimd::isnan(best));
  } else {
    return strictly;
  }
}

// best[k], where[k] = extreme of x[r * stride + k] over r < rows, and its first
// row, for k < width <= kColumnTile<T>.
template <typename T, bool kMax>
void arg_extreme_columns(const T* x, int64_t stride, int64_t rows, int64_t width, T* best,
                         int64_t* where) {
  int64_t k = 0;
  if constexpr (!std::is_same_v<T, bool>) {
    using B = Batch<T>;
    constexpr int64_t S = B::size;
    const int64_t vector_width = rows <= kExactIndexLimit<T> ? width / S * S : 0;
    alignas(64) T position[kColumnTile<T>];
    std::copy(x, x + vector_width, best);
    std::fill(position, position + vector_width, T(0));
    // Blocks of kLeafRows rows (a few KiB) stay in L1 while groups of column
    // vectors walk them, their running extremes in registers.
    auto walk = [&](auto group_size, int64_t c, int64_t first, int64_t last) {
      constexpr int64_t G = decltype(group_size)::value;
      B current[G];
      B where_lanes[G];
      for (int64_t j = 0; j < G; ++j) {
        current[j] = B::load_unaligned(best + c + j * S);
        where_lanes[j] = B::load_aligned(position + c + j * S);
      }
      B row_lane(static_cast<T>(first));
      for (int64_t r = first; r < last; ++r) {
        const T* row = x + r * stride + c;
        for (int64_t j = 0; j < G; ++j) {
          B v = B::load_unaligned(row + j * S);
          auto take = more_extreme_lanes<T, kMax>(v, current[j]);
          current[j] = xsimd::select(take, v, current[j]);
          where_lanes[j] = xsimd::select(take, row_lane, where_lanes[j]);
        }
        row_lane += B(T(1));
      }
      for (int64_t j = 0; j < G; ++j) {
        current[j].store_unaligned(best + c + j * S);
        where_lanes[j].store_aligned(position + c + j * S);
      }
    };
    for (int64_t r0 = 0; r0 < rows; r0 += kLeafRows) {
      const int64_t first = std::max<int64_t>(r0, 1);
      const int64_t last = std::min(rows, r0 + kLeafRows);
      int64_t c = 0;
      for (; c + 4 * S <= vector_width; c += 4 * S) {
        walk(std::integral_constant<int64_t, 4>{}, c, first, last);
      }
      for (; c < vector_width; c += S) walk(std::integral_constant<int64_t, 1>{}, c, first, last);
    }
    for (int64_t c = 0; c < vector_width; ++c) where[c] = static_cast<int64_t>(position[c]);
    k = vector_width;
  }

  for (; k < width; ++k) {
    T value = x[k];
    int64_t index = 0;
    for (int64_t r = 1; r < rows; ++r) {
      if (more_extreme<T, kMax>(x[r * stride + k], value)) {
        value = x[r * stride + k];
        index = r;
      }
    }
    best[k] = value;
    where[k] = index;
  }
}

// Extreme and first index of each of `rows` rows of length n < kShortRow<T>.
// Rows go in groups of 4 vectors' width: a group is transposed into a small
// buffer so that the column kernel compares one row per lane.
template <typename T, bool kMax>
void arg_extreme_short_rows(const T* x, T* values, int64_t* indices, int64_t rows, int64_t n) {
  int64_t a = 0;
  if constexpr (!std::is_same_v<T, bool>) {
    constexpr int64_t G = 4 * static_cast<int64_t>(Batch<T>::size);
    alignas(64) T buffer[G * kShortRow<T>];
    for (; a + G <= rows; a += G) {
      const T* group = x + a * n;
      for (int64_t j = 0; j < G; ++j) {
        for (int64_t r = 0; r < n; ++r) buffer[r * G + j] = group[j * n + r];
      }
      arg_extreme_columns<T, kMax>(buffer, G, n, G, values + a, indices + a);
    }
  }
  for (; a < rows; ++a) {
    arg_extreme_columns<T, kMax>(x + a * n, 1, n, 1, values + a, indices + a);
  }
}

// values[a, k], indices[a, k] = extreme of in[a, :, k] and its first index, R >= 1.
template <typename T, bool kMax>
void arg_extreme_ark(const T* in, T* values, int64_t* indices, int64_t A, int64_t R,
                     int64_t K) {
  if (K == 1 && R < kShortRow<T>) {
    parallel_for(0, A, std::max<int64_t>(1, kElementwiseGrain / R), [=](int64_t b, int64_t e) {
      arg_extreme_short_rows<T, kMax>(in + b * R, values + b, indices + b, e - b, R);
    });
    return;
  }

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
    for (int64_t u = b; u < e; ++u) {
      int64_t a = u / tiles;
      int64_t k0 = u % tiles * tile;
      arg_extreme_columns<T, kMax>(in + a * R * K + k0, K, R, std::min(tile, K - k0),
                                   values + a * K + k0, indices + a * K + k0);
    }
  });
}

}  // namespace ember::detail::reduce
