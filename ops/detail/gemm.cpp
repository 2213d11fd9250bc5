#include "ops/detail/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <limits>

#include "framework/error.h"
#include "framework/parallel.h"

namespace ember::detail {
namespace {

// Below this many multiply-adds (~50 us on one core) one call beats waking
// threads, so smaller products are never split.
constexpr double kSplitWork = double(int64_t{1} << 21);

// Every block repacks the whole other operand, about 1/(2 * rows) of its
// work; at 128 rows that cost was lost in the noise of a 1024^3 sgemm here.
constexpr int64_t kMinBlock = 128;

// Each block also carries this much work at least, so a task is worth a thread.
constexpr double kMinBlockWork = double(int64_t{1} << 20);

// Block extents are whole multiples of this, so only the last block ends in a
// partial micro-kernel tile.
constexpr int64_t kBlockAlign = 16;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// How a product is cut: `count` blocks of `size` rows (or columns), the last
// one possibly shorter. A function of the shape alone, never of the threads.
struct Split {
  bool by_rows = true;
  int64_t size = 0;
  int64_t count = 1;
};

// Limitation: k is never split (that would change the summation order), so a
// product with few rows and columns but a long k runs on one thread.
Split plan_split(int64_t m, int64_t n, int64_t k) {
  double work = double(m) * double(n) * double(k);
  bool by_rows = m >= 2 * kMinBlock;
  int64_t extent = by_rows ? m : n;
  if (work <= kSplitWork || extent < 2 * kMinBlock) return {true, m, 1};

  double most_blocks = std::min(double(extent / kMinBlock), work / kMinBlockWork);
  int64_t blocks = std::max<int64_t>(2, static_cast<int64_t>(most_blocks));
  int64_t size = ceil_div(ceil_div(extent, blocks), kBlockAlign) * kBlockAlign;
  return {by_rows, size, ceil_div(extent, size)};
}

// All arguments of one row-major GEMM.
template <typename T>
struct GemmArgs {
  bool trans_a, trans_b;
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T beta;
  T* c;
  int64_t ldc;
};

// int64 has no BLAS: the i-p-j loop keeps the inner loop contiguous in B and C
// (a dot product per element when B is transposed). Arithmetic runs unsigned,
// so overflow wraps like PyTorch's instead of being undefined behaviour.
void gemm_loop(const GemmArgs<int64_t>& g) {
  using U = uint64_t;
  const auto* a = reinterpret_cast<const U*>(g.a);
  const auto* b = reinterpret_cast<const U*>(g.b);
  auto a_at = [&](int64_t i, int64_t p) {
    return g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p];
  };
  const U alpha = static_cast<U>(g.alpha);
  const U beta = static_cast<U>(g.beta);

  for (int64_t i = 0; i < g.m; ++i) {
    U* row = reinterpret_cast<U*>(g.c + i * g.ldc);
    if (g.trans_b) {
      for (int64_t j = 0; j < g.n; ++j) {
        U acc = 0;
        for (int64_t p = 0; p < g.k; ++p) acc += a_at(i, p) * b[j * g.ldb + p];
        row[j] = (beta == 0 ? 0 : beta * row[j]) + alpha * acc;
      }
      continue;
    }
    for (int64_t j = 0; j < g.n; ++j) row[j] = beta == 0 ? 0 : beta * row[j];
    for (int64_t p = 0; p < g.k; ++p) {
      const U scale = alpha * a_at(i, p);
      const U* b_row = b + p * g.ldb;
      for (int64_t j = 0; j < g.n; ++j) row[j] += scale * b_row[j];
    }
  }
}

CBLAS_TRANSPOSE blas_trans(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

// Row-major y = alpha * op(M) x + beta * y; M stored [rows, cols]. Sizes were
// checked against the 32-bit interface by check_args.
template <typename T>
void blas_gemv(bool trans, int64_t rows, int64_t cols, T alpha, const T* matrix, int64_t ld,
               const T* x, int64_t incx, T beta, T* y, int64_t incy) {
  auto r = static_cast<int>(rows), c = static_cast<int>(cols), l = static_cast<int>(ld);
  auto ix = static_cast<int>(incx), iy = static_cast<int>(incy);
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemv(CblasRowMajor, blas_trans(trans), r, c, alpha, matrix, l, x, ix, beta, y, iy);
  } else {
    cblas_dgemv(CblasRowMajor, blas_trans(trans), r, c, alpha, matrix, l, x, ix, beta, y, iy);
  }
}

// A product with one output column or row is a matrix-vector product, which
// OpenBLAS 0.3.21 runs 2-5x faster through gemv than through gemm.
template <typename T>
void gemv_serial(const GemmArgs<T>& g) {
  // With beta == 0, y is zeroed here, so no NaN in it can survive the call.
  int64_t length = g.n == 1 ? g.m : g.n, step = g.n == 1 ? g.ldc : 1;
  if (g.beta == T(0)) {
    for (int64_t i = 0; i < length; ++i) g.c[i * step] = T(0);
  }
  if (g.n == 1) {
    // C[:, 0] = op(A) op(B)[:, 0]; A is stored [m, k], or [k, m] when transposed.
    int64_t incx = g.trans_b ? 1 : g.ldb;
    int64_t rows = g.trans_a ? g.k : g.m, cols = g.trans_a ? g.m : g.k;
    blas_gemv(g.trans_a, rows, cols, g.alpha, g.a, g.lda, g.b, incx, g.beta, g.c, g.ldc);
  } else {
    // C[0, :] = op(B)^T op(A)[0, :]; B is stored [k, n], or [n, k] when transposed.
    int64_t incx = g.trans_a ? g.lda : 1;
    int64_t rows = g.trans_b ? g.n : g.k, cols = g.trans_b ? g.k : g.n;
    blas_gemv(!g.trans_b, rows, cols, g.alpha, g.b, g.ldb, g.a, incx, g.beta, g.c, 1);
  }
}

// One call on the calling thread.
template <typename T>
void gemm_serial(const GemmArgs<T>& g) {
  if constexpr (std::is_same_v<T, int64_t>) {
    gemm_loop(g);
  } else {
    if (g.m == 1 || g.n == 1) return gemv_serial(g);
    auto m = static_cast<int>(g.m), n = static_cast<int>(g.n), k = static_cast<int>(g.k);
    auto lda = static_cast<int>(g.lda), ldb = static_cast<int>(g.ldb);
    auto ldc = static_cast<int>(g.ldc);
    auto ta = blas_trans(g.trans_a), tb = blas_trans(g.trans_b);
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, g.alpha, g.a, lda, g.b, ldb, g.beta, g.c, ldc);
    } else {
      cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, g.alpha, g.a, lda, g.b, ldb, g.beta, g.c, ldc);
    }
  }
}

// Block `index` of `split`: the same product restricted to some rows of A and
// C, or to some columns of B and C.
template <typename T>
void run_block(GemmArgs<T> g, const Split& split, int64_t index) {
  int64_t begin = index * split.size;
  if (split.by_rows) {
    g.m = std::min(split.size, g.m - begin);
    g.a += g.trans_a ? begin : begin * g.lda;
    g.c += begin * g.ldc;
  } else {
    g.n = std::min(split.size, g.n - begin);
    g.b += g.trans_b ? begin * g.ldb : begin;
    g.c += begin;
  }
  gemm_serial(g);
}

// C = beta * C, for k == 0 where BLAS would have nothing to multiply.
template <typename T>
void scale_output(const GemmArgs<T>& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    T* row = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) {
      if constexpr (std::is_same_v<T, int64_t>) {
        row[j] = static_cast<T>(static_cast<uint64_t>(g.beta) * static_cast<uint64_t>(row[j]));
      } else {
        row[j] = g.beta == T(0) ? T(0) : g.beta * row[j];
      }
    }
  }
}

template <typename T>
void check_args(const GemmArgs<T>& g) {
  EMBER_ASSERT(g.m >= 0 && g.n >= 0 && g.k >= 0);
  EMBER_ASSERT(g.lda >= std::max<int64_t>(1, g.trans_a ? g.m : g.k));
  EMBER_ASSERT(g.ldb >= std::max<int64_t>(1, g.trans_b ? g.k : g.n));
  EMBER_ASSERT(g.ldc >= std::max<int64_t>(1, g.n));
  if constexpr (!std::is_same_v<T, int64_t>) {
    // Debian's OpenBLAS takes 32-bit sizes (blasint is int).
    constexpr int64_t limit = std::numeric_limits<int>::max();
    int64_t largest = std::max({g.m, g.n, g.k, g.lda, g.ldb, g.ldc});
    EMBER_CHECK(largest <= limit, "matmul: a size or row stride of ", largest,
                " exceeds the 32-bit BLAS interface (at most ", limit, "); m ", g.m, ", n ",
                g.n, ", k ", g.k);
  }
}

// Starting ember's thread pool also makes OpenBLAS serial. A small product may
// be the first thing a program runs, and parallel_for does not start the pool
// for a single block, so make sure OpenBLAS's own threads never wake.
void ensure_serial_blas() { (void)get_num_threads(); }

// What one BLAS call costs before any arithmetic (argument checks, packing
// set-up), in multiply-adds: ~0.2 us, which dominates for tiny matrices.
constexpr double kCallWork = 4096;

// Grain (in blocks) that gives each parallel chunk ~kMinBlockWork at least.
int64_t block_grain(int64_t m, int64_t n, int64_t k, const Split& split) {
  double block_work = double(m) * double(n) * double(k) / double(split.count) + kCallWork;
  return std::max<int64_t>(1, static_cast<int64_t>(kMinBlockWork / block_work));
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  GemmArgs<T> g{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  if (m == 0 || n == 0) return;
  if (k == 0) return scale_output(g);
  check_args(g);
  ensure_serial_blas();

  Split split = plan_split(m, n, k);
  parallel_for(0, split.count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t index = begin; index < end; ++index) run_block(g, split, index);
  });
}

template <typename T>
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                  const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc,
                  const GemmBatch& batch) {
  EMBER_ASSERT(batch.a_offsets.size() == batch.c_offsets.size() &&
               batch.b_offsets.size() == batch.c_offsets.size());
  GemmArgs<T> g{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  if (m == 0 || n == 0 || batch.size() == 0) return;
  if (k != 0) check_args(g);
  ensure_serial_blas();

  // The same split as gemm() uses, so a batch of one gives the same bits.
  Split split = k == 0 ? Split{true, m, 1} : plan_split(m, n, k);
  int64_t tasks = batch.size() * split.count;
  parallel_for(0, tasks, block_grain(m, n, k, split),
               [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t item = task / split.count;
      GemmArgs<T> one = g;
      one.c += batch.c_offsets[item];
      if (k == 0) {
        scale_output(one);  // A and B are empty (maybe null): never offset them
        continue;
      }
      one.a += batch.a_offsets[item];
      one.b += batch.b_offsets[item];
      run_block(one, split, task % split.count);
    }
  });
}

#define EMBER_INSTANTIATE_GEMM(T)                                                       \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,      \
                        const T*, int64_t, T, T*, int64_t);                               \
  template void gemm_batched<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*,       \
                                int64_t, const T*, int64_t, T, T*, int64_t, const GemmBatch&);

EMBER_INSTANTIATE_GEMM(float)
EMBER_INSTANTIATE_GEMM(double)
EMBER_INSTANTIATE_GEMM(int64_t)

#undef EMBER_INSTANTIATE_GEMM

}  // namespace ember::detail
