#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

using namespace ember;
using ember_test::ErrorMentions;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor uniform(const Shape& shape, DType dtype = kFloat32, uint64_t seed = 1) {
  Generator generator(seed);
  return rand(shape, dtype, &generator);
}

// Sum of x along one dim, accumulated in long double from the elements: the
// reference every kernel path is compared with.
Tensor reference_sum(const Tensor& x, int64_t dim) {
  std::vector<double> values = x.to_vector<double>();
  const Shape& shape = x.shape();
  int64_t outer = 1;
  int64_t inner = 1;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < dim) outer *= shape[d];
    if (d > dim) inner *= shape[d];
  }
  const int64_t size = shape[dim];
  std::vector<double> result(outer * inner);
  for (int64_t a = 0; a < outer; ++a) {
    for (int64_t k = 0; k < inner; ++k) {
      long double total = 0;
      for (int64_t r = 0; r < size; ++r) total += values[(a * size + r) * inner + k];
      result[a * inner + k] = static_cast<double>(total);
    }
  }
  Shape out_shape = shape;
  out_shape.erase(out_shape.begin() + dim);
  return tensor(result, out_shape.empty() ? Shape{1} : out_shape).reshape(out_shape);
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor ca = a.contiguous();
  Tensor cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * element_size(a.dtype())) == 0;
}

// Restores the thread count a test changed, even when a check throws.
struct ThreadCountGuard {
  int saved = get_num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

}  // namespace

// ---- sum and mean: values ----

TEST_CASE("sum over all elements adds every value", "[ops]") {
  Tensor x = tensor({1.f, 2.f, 3.5f, -0.5f});

  Tensor total = sum(x);

  CHECK(total.dim() == 0);
  CHECK(total.dtype() == kFloat32);
  CHECK(total.item() == 6.0);
  CHECK(x.sum().item() == 6.0);
}

TEST_CASE("sum over dims drops them or keeps them as size 1", "[ops]") {
  Tensor x = arange(24, kFloat64).reshape({2, 3, 4});

  Tensor dropped = sum(x, {0, 2});
  Tensor kept = x.sum({-1, 0}, true);

  CHECK_CLOSE(dropped, tensor(std::vector<double>{60, 92, 124}), 0, 0);
  CHECK(kept.shape() == Shape{1, 3, 1});
  CHECK_CLOSE(kept.reshape({3}), tensor(std::vector<double>{60, 92, 124}), 0, 0);
}

TEST_CASE("sum with an empty dim list reduces every dim, as PyTorch 1.13", "[ops]") {
  Tensor x = arange(6, kFloat32).reshape({2, 3});

  CHECK(sum(x, {}).item() == 15.0);
  CHECK(sum(x, {}, true).shape() == Shape{1, 1});
  CHECK(mean(x, {}).item() == 2.5);
}

TEST_CASE("sum of int64 stays int64 and sum of bool counts trues as int64", "[ops]") {
  Tensor ints = tensor(std::vector<int64_t>{3, -7, 10, 1}, {2, 2});
  Tensor flags = tensor({1.f, 0.f, 1.f, 1.f, 0.f, 1.f}).reshape({2, 3}) > 0.5;

  Tensor int_total = sum(ints);
  Tensor flag_rows = sum(flags, {1});

  CHECK(int_total.dtype() == kInt64);
  CHECK(int_total.item<int64_t>() == 7);
  CHECK(sum(ints, {0}).to_vector<int64_t>() == std::vector<int64_t>{13, -6});
  CHECK(flag_rows.dtype() == kInt64);
  CHECK(flag_rows.to_vector<int64_t>() == std::vector<int64_t>{2, 2});
  CHECK(sum(flags).item<int64_t>() == 4);
}

TEST_CASE("sum of int64 wraps around on overflow like PyTorch", "[ops]") {
  int64_t big = std::numeric_limits<int64_t>::max();
  Tensor x = tensor(std::vector<int64_t>{big, 1});

  CHECK(sum(x).item<int64_t>() == std::numeric_limits<int64_t>::min());
}

TEST_CASE("sum and mean of empty tensors give 0 and NaN", "[ops]") {
  Tensor x = zeros({0, 3});

  CHECK(sum(x).item() == 0.0);
  CHECK_CLOSE(sum(x, {0}), zeros({3}), 0, 0);
  CHECK(sum(x, {1}).shape() == Shape{0});
  CHECK(std::isnan(mean(x).item()));
  CHECK_CLOSE(mean(x, {0}), full({3}, kNaN), 0, 0);
}

TEST_CASE("mean divides the sum by the number of reduced elements", "[ops]") {
  Tensor x = arange(24, kFloat32).reshape({2, 3, 4});

  Tensor rows = mean(x, {1});
  Tensor all = x.mean();

  CHECK_CLOSE(rows, tensor({4, 5, 6, 7, 16, 17, 18, 19}).reshape({2, 4}), 0, 0);
  CHECK(all.item() == 11.5);
  CHECK(x.mean({0, 1, 2}, true).shape() == Shape{1, 1, 1});
}

TEST_CASE("reductions of a 0-d tensor accept dim 0 and return it unchanged", "[ops]") {
  Tensor x = scalar_tensor(5.0);

  CHECK(sum(x, {0}).item() == 5.0);
  CHECK(sum(x, {-1}, true).dim() == 0);
  CHECK(max(x, 0).first.item() == 5.0);
  CHECK(argmax(x, 0).item<int64_t>() == 0);
}

// ---- sum: every kernel path against a long double reference ----

TEST_CASE("sum along one dim matches a long double reference for every layout", "[ops]") {
  // Shapes pick each kernel path: contiguous rows (K == 1), column tiles with
  // a ragged last tile (K > 1), split rows for few outputs, size-1 dims.
  Shape shape = GENERATE(Shape{7, 1001}, Shape{3, 70, 300}, Shape{70000, 3}, Shape{2, 200000},
                         Shape{5, 1, 33}, Shape{1, 40, 1});
  DType dtype = GENERATE(kFloat32, kFloat64);
  Tensor x = uniform(shape, dtype, 7);

  for (int64_t dim = 0; dim < x.dim(); ++dim) {
    INFO("shape " << format_shape(shape) << " dim " << dim << " " << dtype_name(dtype));
    Tensor expected = reference_sum(x, dim).to(dtype);
    double rtol = dtype == kFloat32 ? 2e-6 : 1e-13;
    CHECK_CLOSE(sum(x, {dim}), expected, rtol, 0);
  }
}

TEST_CASE("sum of a transposed input equals the sum of its contiguous copy", "[ops]") {
  Tensor base = uniform({300, 129}, kFloat64, 3);
  Tensor x = base.t();
  REQUIRE_FALSE(x.is_contiguous());

  CHECK_CLOSE(sum(x, {0}), sum(x.contiguous(), {0}), 1e-14, 0);
  CHECK_CLOSE(sum(x, {1}, true), sum(x.contiguous(), {1}, true), 1e-14, 0);
  CHECK_CLOSE(sum(x), reference_sum(base.reshape({-1}), 0), 1e-13, 0);
}

TEST_CASE("sum over several dims at once matches summing them one by one", "[ops]") {
  Tensor x = uniform({6, 5, 40, 3}, kFloat64, 11).permute({2, 0, 3, 1});

  Tensor together = sum(x, {0, 2, 3});
  Tensor one_by_one = reference_sum(reference_sum(reference_sum(x, 3), 2), 0);

  CHECK_CLOSE(together, one_by_one, 1e-13, 0);
}

TEST_CASE("float32 sum of 16M uniform values is accurate to 1e-6 relative", "[ops]") {
  Tensor x = uniform({1 << 24}, kFloat32, 42);
  std::vector<float> values = x.to_vector<float>();
  long double exact = 0;
  for (float v : values) exact += v;

  double total = sum(x).item();
  double mean_value = mean(x).item();

  CHECK(std::abs(total - static_cast<double>(exact)) <= 1e-6 * static_cast<double>(exact));
  double exact_mean = static_cast<double>(exact / values.size());
  CHECK(std::abs(mean_value - exact_mean) <= 1e-6 * exact_mean);
}

TEST_CASE("reductions are bitwise identical on 1 and 2 threads", "[ops]") {
  ThreadCountGuard guard;
  Tensor flat = uniform({3000000}, kFloat32, 5);
  Tensor tall = uniform({300000, 5}, kFloat32, 6);
  Tensor wide = uniform({4, 300000}, kFloat32, 8);
  Tensor square = uniform({1000, 1000}, kFloat32, 9);
  auto run = [&] {
    return TensorList{sum(flat),          sum(tall, {0}),     sum(wide, {1}),
                      sum(square, {0}),   sum(square, {1}),   mean(square.t(), {1}),
                      max(flat),          argmax(flat),       max(wide, 1).second,
                      min(square, 0).first, var(tall, Shape{0})};
  };

  set_num_threads(1);
  TensorList one = run();
  set_num_threads(2);
  TensorList two = run();

  for (size_t i = 0; i < one.size(); ++i) {
    INFO("result " << i);
    CHECK(bitwise_equal(one[i], two[i]));
  }
}

// ---- max / min / argmax / argmin ----

TEST_CASE("max and min over all elements return 0-d values", "[ops]") {
  Tensor x = tensor({3, 7, 7, 1, 2, 2, -1, -1, 0, 5, 9, 9}).reshape({3, 4});

  CHECK(max(x).item() == 9.0);
  CHECK(min(x).item() == -1.0);
  CHECK(x.max().dim() == 0);
  CHECK(max(tensor(std::vector<int64_t>{4, -2, 8})).item<int64_t>() == 8);
  CHECK(max(uniform({100000}, kFloat64)).item() < 1.0);
}

TEST_CASE("max along a dim returns values and the first index of the extreme", "[ops]") {
  Tensor x = tensor({3, 7, 7, 1, 2, 2, -1, -1, 0, 5, 9, 9}).reshape({3, 4});

  auto [values, indices] = max(x, 0);
  auto [row_min, row_argmin] = min(x, -1, true);

  CHECK_CLOSE(values, tensor({3, 7, 9, 9}), 0, 0);
  CHECK(indices.dtype() == kInt64);
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 2, 2});
  CHECK(row_min.shape() == Shape{3, 1});
  CHECK_CLOSE(row_min, tensor({1, -1, 0}).reshape({3, 1}), 0, 0);
  CHECK(row_argmin.to_vector<int64_t>() == std::vector<int64_t>{3, 2, 0});
}

TEST_CASE("argmax and argmin pick the first occurrence", "[ops]") {
  Tensor x = tensor({3, 7, 7, 1, 2, 2, -1, -1, 0, 5, 9, 9}).reshape({3, 4});

  CHECK(argmax(x).item<int64_t>() == 10);
  CHECK(argmin(x).item<int64_t>() == 6);
  CHECK(x.argmax(0).to_vector<int64_t>() == std::vector<int64_t>{0, 0, 2, 2});
  CHECK(argmin(x, 1, true).shape() == Shape{3, 1});
  CHECK(argmin(x, 1, true).to_vector<int64_t>() == std::vector<int64_t>{3, 2, 0});
}

TEST_CASE("max and argmax along a dim agree with a scan on large strided inputs", "[ops]") {
  Shape shape = GENERATE(Shape{50, 333}, Shape{3, 300000}, Shape{4000, 70});
  Tensor x = uniform(shape, kFloat32, 13).t();
  std::vector<float> values = x.contiguous().to_vector<float>();
  const int64_t rows = x.size(0);
  const int64_t cols = x.size(1);

  auto [best, where] = max(x, 1);

  std::vector<int64_t> indices = where.to_vector<int64_t>();
  std::vector<float> maxima = best.to_vector<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = values.data() + r * cols;
    int64_t expected = std::max_element(row, row + cols) - row;
    REQUIRE(indices[r] == expected);
    REQUIRE(maxima[r] == row[expected]);
  }
  CHECK(argmax(x).item<int64_t>() == argmax(x.contiguous()).item<int64_t>());
}

TEST_CASE("max and min along either dim match a scalar scan with ties and NaN", "[ops]") {
  // Few distinct values make ties common; short rows, long rows, ragged column
  // tiles and leftover rows each take their own kernel path.
  Shape shape = GENERATE(Shape{37, 10}, Shape{100, 3}, Shape{5, 700}, Shape{300, 37});
  DType dtype = GENERATE(kFloat32, kFloat64, kInt64);
  Generator generator(31);
  Tensor x = randint(0, 6, shape, dtype, &generator);
  if (dtype != kInt64) {
    x.narrow(0, 1, 1).narrow(1, 2, 1).fill_(kNaN);
    x.narrow(0, 3, 1).narrow(1, 0, 1).fill_(kNaN);
    x.narrow(0, 3, 1).narrow(1, 1, 1).fill_(kNaN);
  }
  std::vector<double> v = x.to_vector<double>();
  const int64_t rows = shape[0];
  const int64_t cols = shape[1];

  for (int64_t dim = 0; dim < 2; ++dim) {
    for (bool largest : {true, false}) {
      INFO(format_shape(shape) << " " << dtype_name(dtype) << " dim " << dim
                               << (largest ? " max" : " min"));
      auto [values, indices] = largest ? max(x, dim) : min(x, dim);
      std::vector<double> got_values = values.to_vector<double>();
      std::vector<int64_t> got_indices = indices.to_vector<int64_t>();
      const int64_t outputs = dim == 0 ? cols : rows;
      const int64_t length = dim == 0 ? rows : cols;
      for (int64_t o = 0; o < outputs; ++o) {
        auto at = [&](int64_t r) { return dim == 0 ? v[r * cols + o] : v[o * cols + r]; };
        int64_t best = 0;
        for (int64_t r = 1; r < length; ++r) {
          if (std::isnan(at(best))) break;
          if (std::isnan(at(r)) || (largest ? at(r) > at(best) : at(r) < at(best))) best = r;
        }
        REQUIRE(got_indices[o] == best);
        REQUIRE((got_values[o] == at(best) || (std::isnan(at(best)) && std::isnan(got_values[o]))));
      }
    }
  }
}

TEST_CASE("NaN propagates through max and min and counts as the extreme", "[ops]") {
  Tensor x = tensor({1.f, NAN, 3.f, NAN, 2.f, 5.f, 5.f, 1.f}).reshape({2, 4});
  Tensor long_row = uniform({100000}, kFloat32);
  long_row.narrow(0, 77777, 1).fill_(kNaN);

  CHECK(std::isnan(max(x).item()));
  CHECK(std::isnan(min(x).item()));
  CHECK(argmax(x).item<int64_t>() == 1);
  CHECK(argmin(x).item<int64_t>() == 1);
  CHECK(max(x, 1).second.to_vector<int64_t>() == std::vector<int64_t>{1, 1});
  CHECK(min(x, 1).second.to_vector<int64_t>() == std::vector<int64_t>{1, 3});
  CHECK(max(x, 0).second.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1, 0});
  CHECK(std::isnan(max(long_row).item()));
  CHECK(argmax(long_row).item<int64_t>() == 77777);
  CHECK(argmin(long_row, 0).item<int64_t>() == 77777);
}

TEST_CASE("max and min of bool tensors work like any", "[ops]") {
  Tensor flags = tensor({0.f, 1.f, 0.f, 0.f, 0.f, 0.f}).reshape({2, 3}) > 0.5;

  CHECK(max(flags).item<bool>());
  CHECK_FALSE(min(flags).item<bool>());
  CHECK(max(flags, 1).first.to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(max(flags, 1).second.to_vector<int64_t>() == std::vector<int64_t>{1, 0});
}

TEST_CASE("max along a dim of an empty outer shape gives empty results", "[ops]") {
  auto [values, indices] = max(zeros({0, 3}), 1);

  CHECK(values.shape() == Shape{0});
  CHECK(indices.shape() == Shape{0});
}

// ---- var and std ----

TEST_CASE("var and std apply the correction over all or some dims", "[ops]") {
  Tensor x = tensor(std::vector<double>{1, 2, 4, 3, 5, 9}, {2, 3});

  CHECK(var(x).item() == Approx(8.0).epsilon(1e-14));
  CHECK_CLOSE(var(x, Shape{1}), tensor(std::vector<double>{7.0 / 3, 28.0 / 3}), 1e-14, 0);
  CHECK_CLOSE(var(x, {0}, 0, true), tensor(std::vector<double>{1, 2.25, 6.25}, {1, 3}), 1e-14,
              0);
  CHECK(ember::std(x, {0, 1}).item() == Approx(std::sqrt(8.0)).epsilon(1e-14));
  CHECK_CLOSE(ember::std(x, {1}, 2),
              tensor(std::vector<double>{2.1602468995, 4.3204937989}), 1e-10, 0);
}

TEST_CASE("var with correction at or above the count gives inf or NaN like PyTorch", "[ops]") {
  Tensor spread = tensor(std::vector<double>{1, 2, 4});
  Tensor flat = tensor(std::vector<double>{2, 2, 2});

  CHECK(var(spread, {}, 3).item() == kInf);
  CHECK(var(spread, {}, 5).item() == kInf);
  CHECK(std::isnan(var(flat, {}, 3).item()));
  CHECK(std::isnan(var(scalar_tensor(1.0)).item()));
  CHECK(std::isnan(var(zeros({0})).item()));
  CHECK(ember::std(spread, {}, 3).item() == kInf);
}

// ---- sum_to ----

TEST_CASE("sum_to returns the same tensor when the shape already matches", "[ops]") {
  Tensor x = uniform({4, 3});

  CHECK(sum_to(x, {4, 3}).same(x));
}

TEST_CASE("sum_to reduces leading dims and dims that are 1 in the target", "[ops]") {
  Tensor x = arange(24, kFloat64).reshape({2, 3, 4});

  Tensor bias = sum_to(x, {4});
  Tensor column = sum_to(x, {3, 1});
  Tensor unit = sum_to(ones({1, 5}), {5});

  CHECK_CLOSE(bias, tensor(std::vector<double>{60, 66, 72, 78}), 0, 0);
  CHECK(column.shape() == Shape{3, 1});
  CHECK_CLOSE(column, tensor(std::vector<double>{60, 92, 124}, {3, 1}), 0, 0);
  CHECK_CLOSE(unit, ones({5}), 0, 0);
}

// ---- errors ----

TEST_CASE("reductions reject repeated and out-of-range dims", "[ops]") {
  Tensor x = zeros({2, 3});

  CHECK_THROWS_MATCHES(sum(x, {0, -2}), Error, ErrorMentions({"sum", "dim 0", "[0, -2]"}));
  CHECK_THROWS_MATCHES(mean(x, {2}), Error, ErrorMentions({"mean", "dim 2"}));
  CHECK_THROWS_MATCHES(max(x, 5), Error, ErrorMentions({"max", "dim 5"}));
  CHECK_THROWS_MATCHES(var(x, {1, 1}), Error, ErrorMentions({"var", "dim 1"}));
}

TEST_CASE("max, min and argmax of an empty tensor throw naming the op", "[ops]") {
  Tensor empty_x = zeros({0});

  CHECK_THROWS_MATCHES(max(empty_x), Error, ErrorMentions({"max", "[0]"}));
  CHECK_THROWS_MATCHES(min(empty_x), Error, ErrorMentions({"min", "[0]"}));
  CHECK_THROWS_MATCHES(argmax(empty_x), Error, ErrorMentions({"argmax", "[0]"}));
  CHECK_THROWS_MATCHES(max(zeros({0, 3}), 0), Error, ErrorMentions({"max", "dim 0", "[0, 3]"}));
  CHECK_THROWS_MATCHES(argmin(zeros({2, 0}), 1), Error, ErrorMentions({"argmin", "size 0"}));
}

TEST_CASE("mean, var and std refuse integer inputs", "[ops]") {
  Tensor ints = arange(4);

  CHECK_THROWS_MATCHES(mean(ints), Error, ErrorMentions({"mean", "int64"}));
  CHECK_THROWS_MATCHES(var(ints), Error, ErrorMentions({"var", "int64"}));
  CHECK_THROWS_MATCHES(ember::std(ints, Shape{0}), Error, ErrorMentions({"std", "int64"}));
}

TEST_CASE("sum_to refuses a shape the input does not broadcast from", "[ops]") {
  Tensor x = zeros({2, 3});

  CHECK_THROWS_MATCHES(sum_to(x, {4}), Error, ErrorMentions({"sum_to", "[2, 3]", "[4]"}));
  CHECK_THROWS_MATCHES(sum_to(x, {1, 2, 3}), Error, ErrorMentions({"sum_to", "[1, 2, 3]"}));
}

// ---- gradients ----

TEST_CASE("sum backward spreads the gradient over the reduced dims", "[ops][autograd]") {
  Tensor x = arange(6, kFloat64).reshape({2, 3}).requires_grad_();

  sum(x, {1}).backward(tensor(std::vector<double>{1, 10}));

  CHECK_CLOSE(x.grad(), tensor(std::vector<double>{1, 1, 1, 10, 10, 10}, {2, 3}), 0, 0);
}

TEST_CASE("max backward shares the gradient evenly among ties", "[ops][autograd]") {
  Tensor x = tensor(std::vector<double>{1, 3, 3, 2}).requires_grad_();
  Tensor with_nan = tensor(std::vector<double>{1, kNaN, 3, kNaN}).requires_grad_();

  max(x).backward();
  max(with_nan).backward();

  CHECK_CLOSE(x.grad(), tensor(std::vector<double>{0, 0.5, 0.5, 0}), 0, 0);
  CHECK_CLOSE(with_nan.grad(), tensor(std::vector<double>{0, 0.5, 0, 0.5}), 0, 0);
}

TEST_CASE("max along a dim routes the gradient to the returned index", "[ops][autograd]") {
  Tensor x = tensor(std::vector<double>{1, 5, 5, 7, 2, 7}, {2, 3}).requires_grad_();

  auto [values, indices] = max(x, 0);
  sum(mul(values, tensor(std::vector<double>{1, 2, 3}))).backward();

  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1});
  CHECK_CLOSE(x.grad(), tensor(std::vector<double>{0, 2, 0, 1, 0, 3}, {2, 3}), 0, 0);
}

TEST_CASE("reductions pass gradcheck in float64", "[ops][gradcheck]") {
  Shape shape = GENERATE(Shape{3, 4, 5}, Shape{1, 6, 1}, Shape{4, 1});
  bool transposed = GENERATE(false, true);
  Tensor base = ember_test::randn64(shape, 17);
  Tensor x = transposed ? base.transpose(0, -1) : base;
  x.requires_grad_();
  INFO("shape " << format_shape(x.shape()) << (transposed ? " transposed" : ""));
  const int64_t last = x.dim() - 1;

  auto fn = [](auto body) { return std::function<Tensor(const TensorList&)>(body); };
  CHECK_GRADCHECK(fn([](const TensorList& in) { return sum(in[0]); }), {x});
  CHECK_GRADCHECK(fn([=](const TensorList& in) { return sum(in[0], {0, last}); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return sum(in[0], {-1}, true); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return mean(in[0]); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return mean(in[0], {0}, true); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return max(in[0]); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return min(in[0]); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return max(in[0], 0).first; }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return min(in[0], -1, true).first; }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return var(in[0]); }), {x});
  CHECK_GRADCHECK(fn([=](const TensorList& in) { return var(in[0], {0, last}, 0, true); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return ember::std(in[0]); }), {x});
  CHECK_GRADCHECK(fn([](const TensorList& in) { return ember::std(in[0], {0, 1}, 1, true); }),
                  {x});
}

TEST_CASE("sum_to passes gradcheck from a broadcast shape", "[ops][gradcheck]") {
  Tensor x = ember_test::randn64({2, 3, 4}, 23).requires_grad_();

  CHECK_GRADCHECK(std::function<Tensor(const TensorList&)>(
                      [](const TensorList& in) { return sum_to(in[0], {3, 1}); }),
                  {x});
  CHECK_GRADCHECK(std::function<Tensor(const TensorList&)>(
                      [](const TensorList& in) { return sum_to(in[0], {4}); }),
                  {x});
}

TEST_CASE("reductions of an empty tensor pass gradcheck", "[ops][gradcheck]") {
  Tensor x = ember_test::randn64({0, 3}, 29).requires_grad_();

  CHECK_GRADCHECK(std::function<Tensor(const TensorList&)>(
                      [](const TensorList& in) { return sum(in[0], {0}); }),
                  {x});
  CHECK_GRADCHECK(std::function<Tensor(const TensorList&)>(
                      [](const TensorList& in) { return mean(in[0], {1}); }),
                  {x});
}
