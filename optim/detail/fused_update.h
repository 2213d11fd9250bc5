#pragma once

// The one loop every optimizer update runs through: a single pass over a
// parameter's elements that reads the gradient, and reads and writes the
// parameter and its state buffers, a SIMD batch at a time. Included by the
// algorithm .cpp files only (xsimd stays out of public headers).

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/tensor.h"
#include "ops/detail/strided_loop.h"

namespace ember::optim::detail {

// A batch of T for the baseline instruction set (AVX2 + FMA). Updates are
// memory-bound, so wider registers would buy little.
template <class T>
using Batch = xsimd::batch<T>;

// An update touches 3-7 arrays per element, so a task of this many elements
// does at least ~0.1 ms of work: far more than the cost of waking a worker.
inline constexpr int64_t kUpdateGrain = kElementwiseGrain;

// Runs kernel(g, p, s...) on `count` full batches starting at the pointers:
// g the gradient (read only), p the parameter and s the state (written back).
// Kept out of line so the body and the padded tail run the very same code,
// and an element's result never depends on where a chunk boundary fell.
template <class T, size_t K, class Kernel>
[[gnu::noinline]] void update_batches(const T* g, T* p, std::array<T*, K> s, int64_t count,
                                      const Kernel& kernel) {
  constexpr int64_t lanes = Batch<T>::size;
  for (int64_t b = 0; b < count; ++b) {
    const int64_t i = b * lanes;
    [&]<size_t... I>(std::index_sequence<I...>) {
      Batch<T> g_batch = Batch<T>::load_unaligned(g + i);
      Batch<T> p_batch = Batch<T>::load_unaligned(p + i);
      std::array<Batch<T>, K> s_batch{Batch<T>::load_unaligned(s[I] + i)...};
      kernel(g_batch, p_batch, s_batch[I]...);
      p_batch.store_unaligned(p + i);
      (s_batch[I].store_unaligned(s[I] + i), ...);
    }(std::make_index_sequence<K>{});
  }
}

// Elements [begin, end): the full batches in place, the rest through
// zero-padded buffers (the padding lanes are computed and dropped).
template <class T, size_t K, class Kernel>
void update_range(const T* g, T* p, const std::array<T*, K>& s, int64_t begin, int64_t end,
                  const Kernel& kernel) {
  constexpr int64_t lanes = Batch<T>::size;
  const int64_t full = (end - begin) / lanes;
  std::array<T*, K> s_begin;
  for (size_t k = 0; k < K; ++k) s_begin[k] = s[k] + begin;
  update_batches<T, K>(g + begin, p + begin, s_begin, full, kernel);

  const int64_t tail_begin = begin + full * lanes;
  const size_t tail_bytes = static_cast<size_t>(end - tail_begin) * sizeof(T);
  if (tail_bytes == 0) return;
  alignas(64) T g_tail[lanes] = {};
  alignas(64) T p_tail[lanes] = {};
  alignas(64) T s_tail[K + 1][lanes] = {};
  std::array<T*, K> s_tail_pointers;
  std::memcpy(g_tail, g + tail_begin, tail_bytes);
  std::memcpy(p_tail, p + tail_begin, tail_bytes);
  for (size_t k = 0; k < K; ++k) {
    s_tail_pointers[k] = s_tail[k];
    std::memcpy(s_tail[k], s[k] + tail_begin, tail_bytes);
  }
  update_batches<T, K>(g_tail, p_tail, s_tail_pointers, 1, kernel);
  std::memcpy(p + tail_begin, p_tail, tail_bytes);
  for (size_t k = 0; k < K; ++k) std::memcpy(s[k] + tail_begin, s_tail[k], tail_bytes);
}

// One fused update of `param` (any layout) from `grad` (any layout, same
// shape and dtype T) and contiguous state tensors of the parameter's shape:
//   kernel(Batch<T> g, Batch<T>& p, Batch<T>&... s)
// sees the elements in the same row-major order in every array. Large
// parameters are split over threads; results do not depend on the split.
// Limitation: a non-contiguous parameter or gradient is first copied to a
// contiguous buffer (and the parameter copied back): one extra pass each.
template <class T, class Kernel, class... StateTensors>
void fused_update(const Tensor& param, const Tensor& grad, const Kernel& kernel,
                  const StateTensors&... state) {
  constexpr size_t K = sizeof...(StateTensors);
  EMBER_ASSERT(((state.is_contiguous() && state.shape() == param.shape() &&
                 state.dtype() == param.dtype()) && ...));
  const Tensor work = param.is_contiguous() ? param : param.clone();
  const Tensor g = grad.is_contiguous() ? grad : grad.clone();
  const T* g_data = g.data_ptr<T>();
  T* p_data = work.data_ptr<T>();
  const std::array<T*, K> s_data{state.template data_ptr<T>()...};

  parallel_for(0, param.numel(), kUpdateGrain, [&](int64_t begin, int64_t end) {
    update_range<T, K>(g_data, p_data, s_data, begin, end, kernel);
  });
  if (!work.same(param)) ember::detail::copy_into(param, work);
}

}  // namespace ember::optim::detail
