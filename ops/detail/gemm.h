#pragma once

#include <cstdint>
#include <vector>

// Typed GEMM over raw pointers: OpenBLAS for float and double, a plain loop
// for int64. No autograd, no tensors; ops/linalg.cpp builds on it.
namespace ember::detail {

// Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) [m, k], op(B) [k, n]
// and C [m, n]. trans_a means A is stored as [k, m] (leading dimension lda), so
// op(A) = A^T; likewise trans_b. T: float, double or int64_t (int64 wraps on
// overflow, as PyTorch's does). With beta == 0, C is only written, so NaNs in it
// do not propagate; k == 0 gives beta * C.
//
// Products above ~2M multiply-adds are cut into blocks of rows (of columns when
// m is small) whose sizes depend only on m, n and k. The blocks run in parallel
// through parallel_for, or one after another inside a parallel region, so the
// cblas calls, and the result bits, are the same for every thread count.
// Throws when a size or leading dimension exceeds OpenBLAS's 32-bit interface.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// Where product i of a batch finds its operands: element offsets from the base
// pointers a, b and c. Offsets may repeat (a broadcast operand).
struct GemmBatch {
  std::vector<int64_t> a_offsets;
  std::vector<int64_t> b_offsets;
  std::vector<int64_t> c_offsets;

  int64_t size() const { return static_cast<int64_t>(c_offsets.size()); }
};

// gemm() for every product of `batch`, all of one shape. Each (product, block)
// pair is one serial task, so many small products spread over the threads and a
// few large ones split inside, never both nested. Outputs must not overlap.
template <typename T>
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                  const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc,
                  const GemmBatch& batch);

}  // namespace ember::detail
