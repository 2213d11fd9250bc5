#pragma once

#include <cstdint>

#include "framework/profiler.h"
#include "framework/tensor.h"

// The work ops report to the profiler (framework/profiler.h): bytes for
// memory-bound passes, FLOPs for GEMMs. Each call adds to the innermost range
// open on the calling thread, so it must run before a parallel_for splits the
// work, never inside one. While no profile records, each costs one relaxed
// atomic load and a branch; the counts are not computed.
namespace ember::detail {

// Bytes held by t's distinct elements: an expanded (stride 0) dim is stored,
// and read, once. 0 for an undefined tensor.
inline double stored_bytes(const Tensor& t) {
  if (!t.defined()) return 0.0;
  int64_t elements = 1;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) != 0) elements *= t.size(d);
  }
  if (t.numel() == 0) elements = 0;
  return static_cast<double>(elements) * static_cast<double>(element_size(t.dtype()));
}

inline double stored_bytes(const TensorList& tensors) {
  double bytes = 0.0;
  for (const Tensor& t : tensors) bytes += stored_bytes(t);
  return bytes;
}

// Counts one pass over `tensors`: the inputs it reads and the outputs it
// writes, each once.
template <typename... Tensors>
void count_bytes(const Tensors&... tensors) {
  if (!profiler::is_enabled()) return;
  profiler::add_bytes((stored_bytes(tensors) + ... + 0.0));
}

// Counts `batch` products of [m, k] x [k, n] matrices: 2 * m * n * k each.
inline void count_gemm_flops(int64_t batch, int64_t m, int64_t n, int64_t k) {
  if (!profiler::is_enabled()) return;
  profiler::add_flops(2.0 * static_cast<double>(batch) * static_cast<double>(m) *
                      static_cast<double>(n) * static_cast<double>(k));
}

}  // namespace ember::detail
