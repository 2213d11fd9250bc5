// Matrix products: matmul in every rank combination against a naive loop,
// strided and transposed operands, the GEMM kernel's blocking and thread-count
// independence, empty dims, errors, and gradients through gradcheck.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "framework/gradcheck.h"
#include "framework/parallel.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/detail/gemm.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/reduce.h"

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

// matmul by its definition, in float64: 1-D operands promoted to a row (lhs)
// or a column (rhs), batch dims broadcast, the added dims dropped again.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  Shape as = a.dim() == 1 ? Shape{1, a.size(0)} : a.shape();
  Shape bs = b.dim() == 1 ? Shape{b.size(0), 1} : b.shape();
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  size_t dims = std::max(a_batch.size(), b_batch.size());
  a_batch.insert(a_batch.begin(), dims - a_batch.size(), 1);
  b_batch.insert(b_batch.begin(), dims - b_batch.size(), 1);
  Shape batch(dims);
  for (size_t d = 0; d < dims; ++d) batch[d] = std::max(a_batch[d], b_batch[d]);

  std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> out;
  for (int64_t i = 0; i < ember::shape_numel(batch); ++i) {
    // Flat index of this batch entry in a and in b, broadcasting size-1 dims.
    int64_t rest = i, a_index = 0, b_index = 0, a_scale = 1, b_scale = 1;
    for (size_t d = dims; d-- > 0;) {
      int64_t index = rest % batch[d];
      rest /= batch[d];
      a_index += (a_batch[d] == 1 ? 0 : index) * a_scale;
      b_index += (b_batch[d] == 1 ? 0 : index) * b_scale;
      a_scale *= a_batch[d];
      b_scale *= b_batch[d];
    }
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          sum += av[(a_index * m + r) * k + p] * bv[(b_index * k + p) * n + c];
        }
        out.push_back(sum);
      }
    }
  }

  Shape shape = batch;
  if (a.dim() > 1) shape.push_back(m);
  if (b.dim() > 1) shape.push_back(n);
  return ember::tensor<double>(out, {static_cast<int64_t>(out.size())}).reshape(shape);
}

Tensor leaf(const Shape& shape, uint64_t seed) {
  Tensor t = randn64(shape, seed);
  t.requires_grad_(true);
  return t;
}

// A float64 leaf of `shape` stored as the transpose of a contiguous tensor.
Tensor transposed_leaf(const Shape& shape, uint64_t seed) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  Tensor t = randn64(swapped, seed).transpose(-1, -2);
  t.requires_grad_(true);
  return t;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.contiguous().raw_data(), b.contiguous().raw_data(),
                     a.numel() * ember::element_size(a.dtype())) == 0;
}

// Restores the thread count a test changed, even when a check fails.
struct ThreadCountGuard {
  int saved = ember::get_num_threads();
  ~ThreadCountGuard() { ember::set_num_threads(saved); }
};

struct ShapePair {
  Shape lhs, rhs;
};

// Every rank combination PyTorch's matmul accepts, batch broadcasting included.
const std::vector<ShapePair> kRankCases = {
    {{4}, {4}},                    // dot
    {{3, 4}, {4}},                 // matrix @ vector
    {{4}, {4, 5}},                 // vector @ matrix
    {{3, 4}, {4, 5}},              // matrix @ matrix
    {{2, 3, 4}, {4}},              // batch @ vector
    {{4}, {2, 4, 5}},              // vector @ batch
    {{2, 3, 4}, {4, 5}},           // batch @ matrix (folds into one GEMM)
    {{3, 4}, {2, 4, 5}},           // matrix @ batch
    {{2, 3, 4}, {2, 4, 5}},        // batch @ batch
    {{2, 1, 3, 4}, {5, 4, 2}},     // batch dims broadcast both ways
    {{1, 3, 4}, {6, 4, 5}},        // size-1 batch broadcast
    {{2, 3, 1, 3, 4}, {1, 4, 5}},  // more batch dims on one side
};

}  // namespace

// ---- values ----

TEST_CASE("matmul matches a naive loop for every rank combination", "[ops]") {
  auto dtype = GENERATE(ember::kFloat32, ember::kFloat64);
  auto index = GENERATE(range(size_t{0}, kRankCases.size()));
  const ShapePair& shapes = kRankCases[index];
  INFO("lhs " << ember::format_shape(shapes.lhs) << " rhs " << ember::format_shape(shapes.rhs)
              << " " << ember::dtype_name(dtype));
  Tensor a = randn64(shapes.lhs, 10 + index).to(dtype);
  Tensor b = randn64(shapes.rhs, 40 + index).to(dtype);

  Tensor out = ember::matmul(a, b);

  Tensor expected = naive_matmul(a, b).to(dtype);
  CHECK_CLOSE(out, expected, dtype == ember::kFloat32 ? 1e-5 : 1e-12, 1e-5);
}

TEST_CASE("matmul reads transposed, strided and offset operands in place", "[ops]") {
  Tensor base_a = randn64({6, 8}, 1), base_b = randn64({8, 10}, 2);
  Tensor batch = randn64({3, 5, 4}, 3), rhs = randn64({3, 4, 6}, 4);

  SECTION("a transposed lhs and a transposed rhs") {
    Tensor a = base_a.t(), b = base_b.t();  // strides [1, 8] and [1, 10]
    CHECK_CLOSE(ember::matmul(b, a), naive_matmul(b, a), 1e-12, 1e-12);
    CHECK_CLOSE(ember::matmul(a.t(), b.t()), naive_matmul(a.t(), b.t()), 1e-12, 1e-12);
  }
  SECTION("rows and columns taken with a step, at an offset") {
    Tensor a = base_a.slice(0, 1, 6, 2).slice(1, 0, 8, 2);  // [3, 4], column stride 2
    Tensor b = base_b.slice(0, 1, 5).slice(1, 3, 10);       // [4, 7], ld 10, offset 13
    CHECK_CLOSE(ember::matmul(a, b), naive_matmul(a, b), 1e-12, 1e-12);
  }
  SECTION("a vector with a stride") {
    Tensor v = base_b.select(1, 3).slice(0, 0, 8);  // stride 10
    CHECK_CLOSE(ember::matmul(base_a, v), naive_matmul(base_a, v), 1e-12, 1e-12);
    CHECK_CLOSE(ember::matmul(v, base_b), naive_matmul(v, base_b), 1e-12, 1e-12);
    CHECK_CLOSE(ember::dot(v, v), naive_matmul(v, v), 1e-12, 1e-12);
  }
  SECTION("batches with a permuted batch dim, transposed or scattered matrices") {
    Tensor outer = randn64({5, 3, 4}, 8).permute({1, 0, 2});     // [3, 5, 4], ld 12
    Tensor trans = randn64({3, 6, 4}, 9).transpose(-1, -2);      // [3, 4, 6], read transposed
    Tensor scattered = randn64({4, 5, 3}, 10).permute({2, 1, 0});  // no unit stride: copied
    CHECK_CLOSE(ember::matmul(outer, rhs), naive_matmul(outer, rhs), 1e-12, 1e-12);
    CHECK_CLOSE(ember::matmul(batch, trans), naive_matmul(batch, trans), 1e-12, 1e-12);
    CHECK_CLOSE(ember::matmul(scattered, trans), naive_matmul(scattered, trans), 1e-12, 1e-12);
    CHECK_CLOSE(ember::matmul(outer, base_b.slice(0, 0, 4)),
                naive_matmul(outer, base_b.slice(0, 0, 4)), 1e-12, 1e-12);
  }
  SECTION("an expanded (stride 0) operand") {
    Tensor row = randn64({1, 4}, 5).expand({5, 4});
    Tensor b = randn64({4, 1}, 6).expand({4, 3});
    CHECK_CLOSE(ember::matmul(row, b), naive_matmul(row, b), 1e-12, 1e-12);
    Tensor shared = randn64({4, 6}, 7).unsqueeze(0).expand({3, 4, 6});
    CHECK_CLOSE(ember::matmul(batch, shared), naive_matmul(batch, shared), 1e-12, 1e-12);
  }
}

TEST_CASE("matmul leaves its operands untouched and returns a fresh contiguous tensor",
          "[ops]") {
  Tensor a = randn64({3, 4}, 1), b = randn64({4, 2}, 2);
  Tensor a_copy = a.clone(), b_copy = b.clone();

  Tensor out = ember::matmul(a.t().t(), b);

  CHECK(out.is_contiguous());
  CHECK(out.storage() != a.storage());
  CHECK(bitwise_equal(a, a_copy));
  CHECK(bitwise_equal(b, b_copy));
}

TEST_CASE("matmul of int64 tensors is exact and wraps on overflow like PyTorch", "[ops]") {
  Tensor a = ember::randint(-50, 50, {2, 5, 7});
  Tensor b = ember::randint(-50, 50, {7, 3});

  Tensor out = ember::matmul(a, b);
  Tensor out_t = ember::matmul(a, b.t().contiguous().t());  // rhs read transposed
  Tensor big = ember::full({1, 1}, std::pow(2.0, 62), ember::kInt64);
  Tensor four = ember::full({1, 1}, 4.0, ember::kInt64);

  CHECK(out.dtype() == ember::kInt64);
  CHECK(out.to_vector<int64_t>() == naive_matmul(a, b).to(ember::kInt64).to_vector<int64_t>());
  CHECK(out_t.to_vector<int64_t>() == out.to_vector<int64_t>());
  CHECK(ember::matmul(big, four).item<int64_t>() == 0);  // 2^64 wraps to 0
}

TEST_CASE("mm, bmm and dot agree with matmul on their own ranks", "[ops]") {
  Tensor a = randn64({3, 4}, 1), b = randn64({4, 5}, 2);
  Tensor ba = randn64({2, 3, 4}, 3), bb = randn64({2, 4, 5}, 4);
  Tensor u = randn64({4}, 5), v = randn64({4}, 6);

  CHECK(bitwise_equal(ember::mm(a, b), ember::matmul(a, b)));
  CHECK(bitwise_equal(ember::bmm(ba, bb), ember::matmul(ba, bb)));
  CHECK(ember::dot(u, v).dim() == 0);
  CHECK_CLOSE(ember::dot(u, v), naive_matmul(u, v), 1e-12, 1e-12);
  CHECK(bitwise_equal(a.matmul(b), ember::matmul(a, b)));
}

TEST_CASE("linear computes x W^T + b over any leading dims", "[ops]") {
  Shape x_shape = GENERATE(Shape{5}, Shape{3, 5}, Shape{2, 3, 5}, Shape{0, 5});
  INFO("x " << ember::format_shape(x_shape));
  Tensor x = randn64(x_shape, 1), weight = randn64({4, 5}, 2), bias = randn64({4}, 3);

  Tensor with_bias = ember::linear(x, weight, bias);
  Tensor without = ember::linear(x, weight);

  Tensor product = naive_matmul(x, weight.t());
  CHECK_CLOSE(without, product, 1e-12, 1e-12);
  CHECK_CLOSE(with_bias, product + bias, 1e-12, 1e-12);
}

TEST_CASE("linear takes a broadcast bias, a 1-D weight, int64 and transposed inputs", "[ops]") {
  Tensor x = randn64({3, 5}, 1), weight = randn64({4, 5}, 2);

  SECTION("a bias of one element or of the whole output") {
    Tensor one = randn64({1}, 3), full = randn64({3, 4}, 4);
    CHECK_CLOSE(ember::linear(x, weight, one), naive_matmul(x, weight.t()) + one, 1e-12, 1e-12);
    CHECK_CLOSE(ember::linear(x, weight, full), naive_matmul(x, weight.t()) + full, 1e-12,
                1e-12);
  }
  SECTION("a 1-D weight gives one value per row") {
    Tensor w = randn64({5}, 5);
    CHECK_CLOSE(ember::linear(x, w), naive_matmul(x, w), 1e-12, 1e-12);
  }
  SECTION("int64") {
    Tensor xi = ember::randint(-9, 9, {3, 5}), wi = ember::randint(-9, 9, {4, 5});
    Tensor bi = ember::randint(-9, 9, {4});
    Tensor expected = naive_matmul(xi, wi.t()).to(ember::kInt64) + bi;
    CHECK(ember::linear(xi, wi, bi).to_vector<int64_t>() == expected.to_vector<int64_t>());
  }
  SECTION("a transposed input and weight") {
    Tensor xt = randn64({5, 3}, 6).t(), wt = randn64({5, 4}, 7).t();
    CHECK_CLOSE(ember::linear(xt, wt), naive_matmul(xt, wt.t()), 1e-12, 1e-12);
  }
}

// ---- empty dims ----

TEST_CASE("matmul with an empty inner dim gives zeros, with empty rows an empty result",
          "[ops]") {
  auto dtype = GENERATE(ember::kFloat32, ember::kFloat64, ember::kInt64);
  auto make = [&](const Shape& shape) { return ember::ones(shape, dtype); };

  Tensor zero_k = ember::matmul(make({2, 0}), make({0, 4}));
  Tensor zero_m = ember::matmul(make({0, 3}), make({3, 4}));
  Tensor zero_n = ember::matmul(make({2, 3}), make({3, 0}));
  Tensor zero_batch = ember::matmul(make({0, 2, 3}), make({3, 4}));
  Tensor empty_dot = ember::matmul(make({0}), make({0}));
  Tensor zero_k_batch = ember::matmul(make({3, 2, 0}), make({3, 0, 4}));

  CHECK(zero_k.shape() == Shape{2, 4});
  CHECK(zero_k.to_vector<double>() == std::vector<double>(8, 0.0));
  CHECK(zero_m.shape() == Shape{0, 4});
  CHECK(zero_n.shape() == Shape{2, 0});
  CHECK(zero_batch.shape() == Shape{0, 2, 4});
  CHECK(empty_dot.dim() == 0);
  CHECK(empty_dot.item<double>() == 0.0);
  CHECK(zero_k_batch.to_vector<double>() == std::vector<double>(24, 0.0));
  CHECK(ember::linear(make({2, 0}), make({3, 0}), make({3})).to_vector<double>() ==
        std::vector<double>(6, 1.0));
}

// ---- the GEMM kernel ----

TEST_CASE("gemm honours alpha, beta, transposes and padded leading dims in every split",
          "[ops]") {
  // Sizes that run as one call, split into row blocks, into column blocks, and
  // matrix-vector products (one output row or column; gemv), whole or split.
  auto dims = GENERATE(std::vector<int64_t>{5, 7, 3}, std::vector<int64_t>{300, 40, 200},
                       std::vector<int64_t>{10, 600, 400}, std::vector<int64_t>{1, 30, 50},
                       std::vector<int64_t>{40, 1, 30}, std::vector<int64_t>{1, 1, 7},
                       std::vector<int64_t>{3000, 1, 1000}, std::vector<int64_t>{1, 3000, 1000});
  auto trans_a = GENERATE(false, true);
  auto trans_b = GENERATE(false, true);
  const int64_t m = dims[0], n = dims[1], k = dims[2];
  INFO("m " << m << " n " << n << " k " << k << " trans_a " << trans_a << " trans_b "
            << trans_b);
  const int64_t lda = (trans_a ? m : k) + 3, ldb = (trans_b ? k : n) + 1, ldc = n + 2;
  std::vector<double> a = randn64({(trans_a ? k : m) * lda}, 1).to_vector<double>();
  std::vector<double> b = randn64({(trans_b ? n : k) * ldb}, 2).to_vector<double>();
  std::vector<double> c = randn64({m * ldc}, 3).to_vector<double>();
  std::vector<double> c0 = c;

  ember::detail::gemm<double>(trans_a, trans_b, m, n, k, 0.5, a.data(), lda, b.data(), ldb,
                              2.0, c.data(), ldc);

  double worst = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        double x = trans_a ? a[p * lda + i] : a[i * lda + p];
        double y = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += x * y;
      }
      worst = std::max(worst, std::abs(c[i * ldc + j] - (0.5 * sum + 2.0 * c0[i * ldc + j])));
    }
    // The padding between rows of C stays untouched.
    for (int64_t j = n; j < ldc; ++j) CHECK(c[i * ldc + j] == c0[i * ldc + j]);
  }
  CHECK(worst < 1e-10);
}

TEST_CASE("gemm with beta 0 overwrites C without reading it", "[ops]") {
  // Split into blocks, a matrix-vector product, and a vector-matrix product.
  auto dims = GENERATE(std::vector<int64_t>{300, 40, 200}, std::vector<int64_t>{30, 1, 200},
                       std::vector<int64_t>{1, 30, 200});
  const int64_t m = dims[0], n = dims[1], k = dims[2];
  std::vector<float> a(m * k, 1.0f), b(k * n, 0.5f);
  std::vector<float> c(m * n, std::numeric_limits<float>::quiet_NaN());

  ember::detail::gemm<float>(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f,
                             c.data(), n);

  CHECK(std::all_of(c.begin(), c.end(), [](float x) { return x == 100.0f; }));
}

TEST_CASE("matmul gives bitwise identical results with 1 and 2 threads", "[ops]") {
  ThreadCountGuard guard;
  Tensor a = randn64({512, 512}, 1).to(ember::kFloat32);
  Tensor b = randn64({512, 512}, 2).to(ember::kFloat32);
  Tensor batch = randn64({6, 300, 64}, 3).to(ember::kFloat32);
  Tensor wide = randn64({64, 1024}, 4).to(ember::kFloat32);

  ember::set_num_threads(1);
  Tensor one = ember::matmul(a, b);
  Tensor one_t = ember::matmul(a.t(), b);
  Tensor one_batch = ember::matmul(batch, wide);
  Tensor one_small_m = ember::matmul(a.slice(0, 0, 100), b);
  ember::set_num_threads(2);
  Tensor two = ember::matmul(a, b);
  Tensor two_t = ember::matmul(a.t(), b);
  Tensor two_batch = ember::matmul(batch, wide);
  Tensor two_small_m = ember::matmul(a.slice(0, 0, 100), b);

  CHECK(bitwise_equal(one, two));
  CHECK(bitwise_equal(one_t, two_t));
  CHECK(bitwise_equal(one_batch, two_batch));
  CHECK(bitwise_equal(one_small_m, two_small_m));
}

TEST_CASE("bmm gives each matrix the same bits as mm of that matrix alone", "[ops]") {
  ThreadCountGuard guard;
  ember::set_num_threads(2);
  Tensor a = randn64({3, 300, 128}, 1).to(ember::kFloat32);  // large enough to split
  Tensor b = randn64({3, 128, 200}, 2).to(ember::kFloat32);

  Tensor batched = ember::bmm(a, b);

  for (int64_t i = 0; i < 3; ++i) CHECK(bitwise_equal(batched[i], ember::mm(a[i], b[i])));
}

TEST_CASE("matmul inside a parallel task gives the same bits as outside", "[ops]") {
  ThreadCountGuard guard;
  ember::set_num_threads(2);
  Tensor a = randn64({512, 256}, 1).to(ember::kFloat32);
  Tensor b = randn64({256, 384}, 2).to(ember::kFloat32);
  Tensor outside = ember::matmul(a, b);
  std::vector<Tensor> inside(4);

  ember::parallel_for(0, 4, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) inside[i] = ember::matmul(a, b);
  });

  for (const Tensor& result : inside) CHECK(bitwise_equal(result, outside));
}

// ---- errors ----

TEST_CASE("matmul names both shapes when the inner dimensions differ", "[ops]") {
  Tensor a = ember::zeros({2, 3}), b = ember::zeros({4, 5});

  CHECK_THROWS_WITH(ember::matmul(a, b), "matmul: inner dimensions differ: lhs [2, 3] vs rhs "
                                         "[4, 5]; lhs.shape[-1] must equal rhs.shape[-2]");
  CHECK_THROWS_WITH(a.matmul(ember::zeros({4})), "matmul: inner dimensions differ: lhs [2, 3] "
                                                 "vs rhs [4]; lhs.shape[-1] must equal "
                                                 "rhs.shape[0]");
  CHECK_THROWS_MATCHES(ember::mm(a, b), ember::Error, ErrorMentions({"mm:", "[2, 3]", "[4, 5]"}));
  CHECK_THROWS_MATCHES(ember::linear(a, b), ember::Error,
                       ErrorMentions({"linear:", "[2, 3]", "[4, 5]"}));
}

TEST_CASE("matmul and its relatives reject bad ranks, dtypes and batches", "[ops]") {
  Tensor matrix = ember::zeros({2, 3}), scalar = ember::scalar_tensor(1.0);

  CHECK_THROWS_MATCHES(ember::matmul(scalar, ember::zeros({3})), ember::Error,
                       ErrorMentions({"matmul:", "at least 1 dim", "0-d"}));
  CHECK_THROWS_MATCHES(ember::matmul(matrix, ember::zeros({3, 2}, ember::kFloat64)),
                       ember::Error, ErrorMentions({"matmul:", "float32", "float64"}));
  CHECK_THROWS_MATCHES(ember::matmul(ember::zeros({2, 3}, ember::kBool),
                                     ember::zeros({3, 2}, ember::kBool)),
                       ember::Error, ErrorMentions({"matmul:", "bool"}));
  CHECK_THROWS_MATCHES(ember::matmul(ember::zeros({2, 2, 3}), ember::zeros({5, 3, 4})),
                       ember::Error, ErrorMentions({"matmul:", "batch", "[2, 2, 3]", "[5, 3, 4]"}));
  CHECK_THROWS_MATCHES(ember::mm(ember::zeros({3}), ember::zeros({3, 5})), ember::Error,
                       ErrorMentions({"mm:", "2-D", "[3]"}));
  CHECK_THROWS_MATCHES(ember::bmm(ember::zeros({2, 3, 4}), ember::zeros({3, 4, 5})),
                       ember::Error, ErrorMentions({"bmm:", "batch", "[2, 3, 4]", "[3, 4, 5]"}));
  CHECK_THROWS_MATCHES(ember::bmm(matrix, matrix), ember::Error, ErrorMentions({"bmm:", "3-D"}));
  CHECK_THROWS_MATCHES(ember::dot(ember::zeros({3}), ember::zeros({4})), ember::Error,
                       ErrorMentions({"dot:", "[3]", "[4]"}));
  CHECK_THROWS_MATCHES(ember::dot(matrix, ember::zeros({3})), ember::Error,
                       ErrorMentions({"dot:", "1-D", "[2, 3]"}));
  CHECK_THROWS_MATCHES(ember::linear(matrix, ember::zeros({4, 3}), ember::zeros({5})),
                       ember::Error, ErrorMentions({"linear:", "bias", "[5]", "[2, 4]"}));
  CHECK_THROWS_MATCHES(ember::linear(matrix, ember::zeros({4, 3}, ember::kFloat64)),
                       ember::Error, ErrorMentions({"linear:", "float32", "float64"}));
  CHECK_THROWS_MATCHES(ember::linear(scalar, ember::zeros({4, 3})), ember::Error,
                       ErrorMentions({"linear:", "0-d"}));
}

// ---- gradients ----

TEST_CASE("matmul gradients match finite differences in every rank combination",
          "[ops][gradcheck]") {
  auto index = GENERATE(range(size_t{0}, kRankCases.size()));
  const ShapePair& shapes = kRankCases[index];
  INFO("lhs " << ember::format_shape(shapes.lhs) << " rhs " << ember::format_shape(shapes.rhs));
  Tensor a = leaf(shapes.lhs, 10 + index), b = leaf(shapes.rhs, 40 + index);

  CHECK_GRADCHECK([](const TensorList& in) { return ember::matmul(in[0], in[1]); },
                  TensorList{a, b});
}

TEST_CASE("matmul gradients hold for transposed, size-1 and empty operands",
          "[ops][gradcheck]") {
  auto function = [](const TensorList& in) { return ember::matmul(in[0], in[1]); };

  SECTION("both operands transposed") {
    CHECK_GRADCHECK(function, TensorList{transposed_leaf({3, 4}, 1), transposed_leaf({4, 2}, 2)});
  }
  SECTION("batched and transposed, with a broadcast batch") {
    CHECK_GRADCHECK(function,
                    TensorList{transposed_leaf({2, 1, 3, 4}, 3), transposed_leaf({3, 4, 2}, 4)});
  }
  SECTION("size-1 dims everywhere") {
    CHECK_GRADCHECK(function, TensorList{leaf({1, 1, 4}, 5), leaf({1, 4, 1}, 6)});
  }
  SECTION("an empty inner dim: zero gradients") {
    Tensor a = leaf({2, 0}, 7), b = leaf({0, 3}, 8);
    CHECK_GRADCHECK(function, TensorList{a, b});
    ember::matmul(a, b).sum().backward();
    CHECK(a.grad().shape() == Shape{2, 0});
  }
  SECTION("empty rows: b's gradient is zero") {
    Tensor a = leaf({0, 3}, 9), b = leaf({3, 2}, 10);
    ember::matmul(a, b).sum().backward();
    CHECK(b.grad().to_vector<double>() == std::vector<double>(6, 0.0));
  }
  SECTION("only one operand requires grad") {
    Tensor a = leaf({3, 4}, 11), b = randn64({2, 4, 5}, 12);
    CHECK_GRADCHECK(function, TensorList{a, b});
    CHECK_GRADCHECK(function, TensorList{b.transpose(-1, -2).detach(), a.t().detach()
                                                                            .requires_grad_()});
  }
}

TEST_CASE("mm, bmm and dot gradients match finite differences", "[ops][gradcheck]") {
  CHECK_GRADCHECK([](const TensorList& in) { return ember::mm(in[0], in[1]); },
                  TensorList{leaf({3, 4}, 1), transposed_leaf({4, 2}, 2)});
  CHECK_GRADCHECK([](const TensorList& in) { return ember::bmm(in[0], in[1]); },
                  TensorList{leaf({2, 3, 4}, 3), leaf({2, 4, 2}, 4)});
  CHECK_GRADCHECK([](const TensorList& in) { return ember::dot(in[0], in[1]); },
                  TensorList{leaf({5}, 5), leaf({5}, 6)});
}

TEST_CASE("linear gradients match finite differences with and without bias",
          "[ops][gradcheck]") {
  Shape x_shape = GENERATE(Shape{4}, Shape{3, 4}, Shape{2, 3, 4}, Shape{0, 4});
  INFO("x " << ember::format_shape(x_shape));
  Tensor x = leaf(x_shape, 1), weight = leaf({5, 4}, 2), bias = leaf({5}, 3);

  CHECK_GRADCHECK([](const TensorList& in) { return ember::linear(in[0], in[1], in[2]); },
                  TensorList{x, weight, bias});
  CHECK_GRADCHECK([](const TensorList& in) { return ember::linear(in[0], in[1]); },
                  TensorList{x, weight});
}

TEST_CASE("linear gradients hold for a transposed input, a broadcast bias and a 1-D weight",
          "[ops][gradcheck]") {
  auto function = [](const TensorList& in) { return ember::linear(in[0], in[1], in[2]); };

  CHECK_GRADCHECK(function,
                  TensorList{transposed_leaf({3, 4}, 1), transposed_leaf({5, 4}, 2), leaf({1}, 3)});
  CHECK_GRADCHECK(function, TensorList{leaf({3, 4}, 4), leaf({5, 4}, 5), leaf({3, 5}, 6)});
  CHECK_GRADCHECK(function, TensorList{leaf({3, 4}, 7), leaf({4}, 8), leaf({}, 9)});
}

TEST_CASE("linear's bias gradient sums the output gradient over the leading dims", "[ops]") {
  Tensor x = randn64({2, 3, 4}, 1), weight = randn64({5, 4}, 2), bias = leaf({5}, 3);

  ember::linear(x, weight, bias).sum().backward();

  CHECK(bias.grad().to_vector<double>() == std::vector<double>(5, 6.0));
}

TEST_CASE("matmul backward refuses an operand changed in place after the product", "[ops]") {
  Tensor a = leaf({3, 4}, 1), b = randn64({4, 2}, 2);
  Tensor out = ember::matmul(a, b);

  b.add_(1.0);

  CHECK_THROWS_AS(out.sum().backward(), ember::Error);
}
