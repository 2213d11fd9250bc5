// Pooling: gradcheck over the options of every op, PyTorch's tie, NaN and
// -inf rules (expected values taken from PyTorch 1.13), output sizes under
// ceil_mode, layouts, thread-count independence and every invalid
// configuration. Values on awkward cases are matched against PyTorch in
// tests/parity/test_pooling_parity.cpp.

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/gradcheck.h"
#include "framework/parallel.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/pooling.h"
#include "ops/reduce.h"

using ember::AvgPoolOptions;
using ember::DType;
using ember::MaxPoolOptions;
using ember::PoolSizes;
using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

using PoolOp = std::function<Tensor(const Tensor&)>;

// An op under test with the input shape it runs on; `permuted` stores the
// input with its last two dims swapped in memory (non-contiguous).
struct PoolCase {
  const char* name;
  Shape input;
  PoolOp op;
  bool permuted = false;
};

Tensor make_input(const PoolCase& c, uint64_t seed) {
  if (!c.permuted) return randn64(c.input, seed);
  Shape swapped = c.input;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  return randn64(swapped, seed).transpose(-1, -2);
}

std::vector<PoolCase> gradcheck_cases() {
  using ember::avg_pool1d, ember::avg_pool2d, ember::avg_pool3d;
  using ember::max_pool1d, ember::max_pool2d, ember::max_pool3d;
  return {
      {"max_pool1d k3 s2 p1 ceil", {2, 2, 8},
       [](const Tensor& x) { return max_pool1d(x, {3, 2, 1, 1, true}); }},
      {"max_pool1d dilation 2, unbatched", {3, 9},
       [](const Tensor& x) { return max_pool1d(x, {.kernel_size = 3, .dilation = 2}); }},
      {"max_pool2d k2", {2, 3, 4, 6}, [](const Tensor& x) { return max_pool2d(x, {2}); }},
      {"max_pool2d overlapping k3 s1 p1", {1, 2, 5, 5},
       [](const Tensor& x) { return max_pool2d(x, {3, 1, 1}); }},
      {"max_pool2d stride above kernel, non-contiguous", {1, 2, 7, 8},
       [](const Tensor& x) { return max_pool2d(x, {.kernel_size = {2, 1}, .stride = 3}); },
       true},
      {"max_pool2d dilation per dim, ceil", {1, 1, 8, 9},
       [](const Tensor& x) {
         return max_pool2d(x, {.kernel_size = {3, 2}, .stride = {2, 1}, .padding = {1, 0},
                               .dilation = {2, 3}, .ceil_mode = true});
       }},
      {"max_pool3d mixed options", {1, 2, 4, 5, 6},
       [](const Tensor& x) {
         return max_pool3d(x, {.kernel_size = {2, 3, 2}, .stride = {1, 2, 2},
                               .padding = {1, 1, 0}, .ceil_mode = true});
       }},
      {"max_pool3d unbatched with indices", {2, 3, 4, 4},
       [](const Tensor& x) { return ember::max_pool3d_with_indices(x, {2}).first; }},
      {"avg_pool1d include pad, ceil", {2, 2, 8},
       [](const Tensor& x) { return avg_pool1d(x, {3, 2, 1, true}); }},
      {"avg_pool1d exclude pad, ceil", {2, 2, 8},
       [](const Tensor& x) {
         return avg_pool1d(x, {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true,
                               .count_include_pad = false});
       }},
      {"avg_pool2d k2", {2, 3, 4, 6}, [](const Tensor& x) { return avg_pool2d(x, {2}); }},
      {"avg_pool2d exclude pad, non-contiguous", {1, 2, 6, 7},
       [](const Tensor& x) {
         return avg_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1,
                               .count_include_pad = false});
       },
       true},
      {"avg_pool2d divisor_override", {1, 2, 5, 5},
       [](const Tensor& x) {
         return avg_pool2d(x, {.kernel_size = {3, 2}, .padding = 1, .divisor_override = 4});
       }},
      {"avg_pool3d ceil, exclude pad", {1, 1, 5, 4, 5},
       [](const Tensor& x) {
         return avg_pool3d(x, {.kernel_size = {3, 2, 3}, .stride = 2, .padding = {1, 0, 1},
                               .ceil_mode = true, .count_include_pad = false});
       }},
      {"adaptive_avg_pool1d non-divisible", {2, 2, 10},
       [](const Tensor& x) { return ember::adaptive_avg_pool1d(x, 4); }},
      {"adaptive_avg_pool2d up and down", {1, 2, 5, 9},
       [](const Tensor& x) { return ember::adaptive_avg_pool2d(x, {7, 4}); }},
      {"adaptive_avg_pool3d non-divisible", {1, 1, 5, 6, 7},
       [](const Tensor& x) { return ember::adaptive_avg_pool3d(x, {2, 4, 3}); }},
      {"adaptive_max_pool2d non-divisible, unbatched", {2, 7, 9},
       [](const Tensor& x) { return ember::adaptive_max_pool2d(x, {3, 4}); }},
      {"adaptive_max_pool2d larger than input", {1, 1, 3, 4},
       [](const Tensor& x) { return ember::adaptive_max_pool2d(x, {5, 6}); }},
  };
}

std::vector<double> values_of(const Tensor& t) { return t.to_vector<double>(); }

// Forward and backward of `op` on `x` with `threads` threads: the output and
// the input gradient, widened exactly to double for a bitwise comparison.
std::pair<std::vector<double>, std::vector<double>> run_with_threads(const PoolOp& op,
                                                                     const Tensor& x_in,
                                                                     int threads) {
  int previous = ember::get_num_threads();
  ember::set_num_threads(threads);
  Tensor x = x_in.detach().clone().requires_grad_(true);
  Tensor y = op(x);
  y.backward(ember::ones_like(y) * 0.37);
  ember::set_num_threads(previous);

  return {values_of(y), values_of(x.grad())};
}

}  // namespace

TEST_CASE("pooling gradients match finite differences over the options",
          "[ops][gradcheck]") {
  auto cases = gradcheck_cases();
  auto index = GENERATE_COPY(range<size_t>(0, cases.size()));
  const PoolCase& c = cases[index];
  INFO(c.name << " on " << ember::format_shape(c.input));
  Tensor x = make_input(c, 7 + index).requires_grad_(true);
  PoolOp op = c.op;

  CHECK_GRADCHECK([op](const TensorList& inputs) { return op(inputs[0]); }, TensorList{x});
}

TEST_CASE("max pooling routes a tie's gradient to the first maximum, as PyTorch",
          "[ops]") {
  Tensor x = ember::tensor<double>({2, 2, 3, 3, 0, 3, -1, -1}, {1, 1, 8}).requires_grad_(true);

  auto [y, indices] = ember::max_pool1d_with_indices(x, {3, 1, 1});
  y.backward(ember::arange(1, 9, 1, ember::kFloat64).view({1, 1, 8}));

  // Values, indices and gradient printed by PyTorch 1.13 for the same call.
  CHECK(values_of(y) == std::vector<double>{2, 3, 3, 3, 3, 3, 3, -1});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{0, 2, 2, 2, 3, 5, 5, 6});
  CHECK(values_of(x.grad()) == std::vector<double>{1, 0, 9, 5, 0, 13, 8, 0});
}

TEST_CASE("max pooling scans ties row by row in 2-D, as PyTorch", "[ops]") {
  Tensor x = ember::tensor<double>({1, 1, 0, 1, 1, 0, 0, 0, 2}, {1, 3, 3}).requires_grad_(true);

  auto [y, indices] = ember::max_pool2d_with_indices(x, {2, 1});
  ember::sum(y).backward();

  CHECK(values_of(y) == std::vector<double>{1, 1, 1, 2});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 3, 8});
  CHECK(values_of(x.grad()) == std::vector<double>{1, 1, 0, 1, 0, 0, 0, 0, 1});
}

TEST_CASE("2x2 max pooling at stride 2 keeps the general rules for ties, NaN and -inf",
          "[ops]") {
  // The common case runs its own kernels (vectorized in float32). Window by
  // window: a plain maximum, a tie (the first in row order wins), two NaNs
  // (the last wins), all -inf (the first element), and a 9th column that no
  // window reaches.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x64 = ember::tensor<double>({1, 2,   7, 1,   nan, 0,   -inf, -inf,   9,
                                      3, 4,   2, 7,   1, nan,   -inf, -inf,   9},
                                     {1, 1, 2, 9});
  for (DType dtype : {ember::kFloat64, ember::kFloat32}) {
    CAPTURE(ember::dtype_name(dtype));
    auto [y, indices] = ember::max_pool2d_with_indices(x64.to(dtype), {2});

    std::vector<double> values = values_of(y);
    REQUIRE(values.size() == 4);
    CHECK(values[0] == 4);
    CHECK(values[1] == 7);
    CHECK(std::isnan(values[2]));
    CHECK(values[3] == -inf);
    CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{10, 2, 14, 6});
  }
}

TEST_CASE("2x2 max pooling at stride 2 matches a direct scan on odd-sized planes", "[ops]") {
  // Widths give 3 outputs a row (scalar), 6 (two overlapping 4-wide
  // vectors), 8, 13 and 18 (8-wide vectors, the last overlapping).
  for (int64_t width : {7, 13, 17, 27, 37}) {
    for (DType dtype : {ember::kFloat64, ember::kFloat32}) {
      CAPTURE(width, ember::dtype_name(dtype));
      const int64_t height = 9, out_h = 4, out_w = width / 2, plane = height * width;
      // Values rounded to halves: many ties, where the first maximum must win.
      std::vector<double> halves = values_of(randn64({2, 3, height, width}, 21 + width));
      for (double& value : halves) value = std::round(value * 2.0) / 2.0;
      Tensor x = ember::tensor(halves, {2, 3, height, width}).to(dtype);
      auto [y, indices] = ember::max_pool2d_with_indices(x, {2});
      REQUIRE(y.shape() == Shape{2, 3, out_h, out_w});

      std::vector<double> input = values_of(x);
      std::vector<double> expected_values;
      std::vector<int64_t> expected_indices;
      for (int64_t p = 0; p < 6; ++p) {
        for (int64_t oh = 0; oh < out_h; ++oh) {
          for (int64_t ow = 0; ow < out_w; ++ow) {
            int64_t best = 2 * oh * width + 2 * ow;
            for (int64_t at : {best + 1, best + width, best + width + 1}) {
              if (input[p * plane + at] > input[p * plane + best]) best = at;
            }
            expected_values.push_back(input[p * plane + best]);
            expected_indices.push_back(best);
          }
        }
      }
      CHECK(values_of(y) == expected_values);
      CHECK(indices.to_vector<int64_t>() == expected_indices);
    }
  }
}

TEST_CASE("max pooling lets the last NaN of a window win, as PyTorch", "[ops]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = ember::tensor<double>({1, nan, 3, nan, 0}, {1, 1, 5}).requires_grad_(true);

  auto [y, indices] = ember::max_pool1d_with_indices(x, {5});
  ember::sum(y).backward();

  CHECK(std::isnan(y.item<double>()));
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{3});
  CHECK(values_of(x.grad()) == std::vector<double>{0, 0, 0, 1, 0});
}

TEST_CASE("max pooling over a window of -inf picks its first element", "[ops]") {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = ember::full({1, 1, 4}, -inf, ember::kFloat64).requires_grad_(true);

  auto [y, indices] = ember::max_pool1d_with_indices(x, {2});
  ember::sum(y).backward();

  CHECK(values_of(y) == std::vector<double>{-inf, -inf});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{0, 2});
  CHECK(values_of(x.grad()) == std::vector<double>{1, 0, 1, 0});
}

TEST_CASE("max pooling gives -inf, index -1 and no gradient to a window outside the input",
          "[ops]") {
  // Kernel 2, padding 1, dilation 3 on 2 elements: the one window reads
  // positions -1 and 2, both outside.
  Tensor x = ember::tensor<double>({5, 6}, {1, 1, 2}).requires_grad_(true);

  auto [y, indices] = ember::max_pool1d_with_indices(
      x, {.kernel_size = 2, .stride = 1, .padding = 1, .dilation = 3});
  ember::sum(y).backward();

  CHECK(values_of(y) == std::vector<double>{-std::numeric_limits<double>::infinity()});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{-1});
  CHECK(values_of(x.grad()) == std::vector<double>{0, 0});
}

TEST_CASE("ceil_mode drops a last window that would start in the right padding",
          "[ops]") {
  Tensor x = randn64({1, 1, 5, 5});

  // floor: (5 + 2 - 2) / 2 + 1 = 3; ceil gives 4, but window 3 would start at
  // 3 * 2 - 1 = 5, past the input, so PyTorch keeps 3.
  Tensor ceil_dropped = ember::max_pool2d(x, {2, 2, 1, 1, true});
  // Without padding, ceil adds a window over the last column only.
  Tensor ceil_added = ember::max_pool2d(x, {2, 2, 0, 1, true});
  Tensor floor = ember::max_pool2d(x, {2, 2, 0, 1, false});

  CHECK(ceil_dropped.shape() == Shape{1, 1, 3, 3});
  CHECK(ceil_added.shape() == Shape{1, 1, 3, 3});
  CHECK(floor.shape() == Shape{1, 1, 2, 2});
}

TEST_CASE("avg pooling under ceil_mode divides clipped windows as PyTorch", "[ops]") {
  Tensor x = ember::ones({1, 1, 5, 5}, ember::kFloat64);

  Tensor y = avg_pool2d(x, {3, 2, 1, true});

  // Printed by PyTorch 1.13: corners see 4 of 9, edges 6 of 9.
  std::vector<double> expected = {4. / 9, 6. / 9, 4. / 9, 6. / 9, 1, 6. / 9, 4. / 9, 6. / 9,
                                  4. / 9};
  CHECK_CLOSE(y, ember::tensor<double>(expected, {1, 1, 3, 3}), 1e-15, 1e-15);
}

TEST_CASE("adaptive average pooling to one output is the plane mean", "[ops]") {
  Tensor x = randn64({2, 3, 5, 7});

  Tensor y = ember::adaptive_avg_pool2d(x, 1);

  CHECK_CLOSE(y, ember::mean(x, {2, 3}, true), 1e-14, 1e-14);
}

TEST_CASE("max pooling without indices returns the values of the indexed form", "[ops]") {
  Tensor x = ember::randn({2, 3, 9, 8});
  MaxPoolOptions options{.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true};

  Tensor plain = ember::max_pool2d(x, options);
  auto [values, indices] = ember::max_pool2d_with_indices(x, options);

  CHECK_CLOSE(plain, values, 0, 0);
  CHECK(indices.dtype() == ember::kInt64);
  CHECK(indices.shape() == values.shape());
}

TEST_CASE("pooling accepts unbatched, batch-of-zero and channels-last inputs", "[ops]") {
  Tensor x = randn64({2, 3, 6, 5});

  Tensor batched = ember::max_pool2d(x, {2});
  Tensor unbatched = ember::max_pool2d(x[1], {2});
  Tensor empty = ember::avg_pool2d(ember::zeros({0, 3, 6, 5}), {2});
  Tensor channels_last = x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});

  CHECK_CLOSE(unbatched, batched[1], 0, 0);
  CHECK(empty.shape() == Shape{0, 3, 3, 2});
  CHECK_CLOSE(ember::avg_pool2d(channels_last, {3, 1, 1}), ember::avg_pool2d(x, {3, 1, 1}),
              0, 0);
}

TEST_CASE("pooling float32 agrees with float64", "[ops]") {
  Tensor x32 = randn64({2, 2, 7, 6}).to(ember::kFloat32);
  Tensor x64 = x32.to(ember::kFloat64);

  CHECK_CLOSE(ember::max_pool2d(x32, {3, 2, 1}).to(ember::kFloat64),
              ember::max_pool2d(x64, {3, 2, 1}), 0, 0);
  CHECK_CLOSE(ember::avg_pool2d(x32, {3, 2, 1}).to(ember::kFloat64),
              ember::avg_pool2d(x64, {3, 2, 1}), 1e-6, 1e-6);
  CHECK_CLOSE(ember::adaptive_avg_pool2d(x32, {4, 5}).to(ember::kFloat64),
              ember::adaptive_avg_pool2d(x64, {4, 5}), 1e-6, 1e-6);
}

TEST_CASE("pooling results are bitwise the same for every thread count", "[ops]") {
  // Overlapping windows, so several outputs scatter into one input gradient.
  Tensor x = ember::randn({8, 16, 20, 20});
  std::vector<std::pair<const char*, PoolOp>> ops = {
      {"max_pool2d", [](const Tensor& t) { return ember::max_pool2d(t, {3, 1, 1}); }},
      {"avg_pool2d", [](const Tensor& t) { return ember::avg_pool2d(t, {3, 1, 1}); }},
      {"adaptive_max_pool2d", [](const Tensor& t) { return ember::adaptive_max_pool2d(t, 7); }},
      {"adaptive_avg_pool2d", [](const Tensor& t) { return ember::adaptive_avg_pool2d(t, 7); }},
  };

  for (const auto& [name, op] : ops) {
    INFO(name);
    auto serial = run_with_threads(op, x, 1);
    for (int threads : {2, 3}) {
      auto parallel = run_with_threads(op, x, threads);
      CHECK(parallel.first == serial.first);
      CHECK(parallel.second == serial.second);
    }
  }
}

TEST_CASE("max pooling refuses a backward after its indices were changed in place",
          "[ops]") {
  Tensor x = randn64({1, 1, 4, 4}).requires_grad_(true);
  auto [y, indices] = ember::max_pool2d_with_indices(x, {2});

  indices.fill_(0);

  CHECK_THROWS_AS(ember::sum(y).backward(), ember::Error);
}

TEST_CASE("pooling rejects invalid configurations naming the op and the shapes", "[ops]") {
  Tensor x = randn64({1, 2, 5, 5});

  CHECK_THROWS_MATCHES(ember::max_pool2d(randn64({5, 5}), {2}), ember::Error,
                       ErrorMentions({"max_pool2d", "3-D", "4-D", "[5, 5]"}));
  CHECK_THROWS_MATCHES(ember::avg_pool1d(x, {2}), ember::Error,
                       ErrorMentions({"avg_pool1d", "[1, 2, 5, 5]"}));
  CHECK_THROWS_MATCHES(ember::max_pool3d(randn64({2, 5, 5}), {2}), ember::Error,
                       ErrorMentions({"max_pool3d", "4-D", "5-D", "[2, 5, 5]"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {}), ember::Error,
                       ErrorMentions({"max_pool2d", "kernel_size is required"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = {0, 2}}), ember::Error,
                       ErrorMentions({"max_pool2d", "kernel_size", "[0, 2]"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = 2, .stride = -1}), ember::Error,
                       ErrorMentions({"max_pool2d", "stride", "[-1, -1]"}));
  CHECK_THROWS_MATCHES(ember::avg_pool2d(x, {.kernel_size = 2, .stride = 0}), ember::Error,
                       ErrorMentions({"avg_pool2d", "stride", "[0, 0]"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = 2, .dilation = 0}), ember::Error,
                       ErrorMentions({"max_pool2d", "dilation"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = {1, 2, 3}}), ember::Error,
                       ErrorMentions({"max_pool2d", "kernel_size", "1 or 2 values", "[1, 2, 3]"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = 3, .padding = 2}), ember::Error,
                       ErrorMentions({"max_pool2d", "padding [2, 2]", "half",
                                      "kernel_size [3, 3]", "[1, 2, 5, 5]"}));
  CHECK_THROWS_MATCHES(ember::avg_pool2d(x, {.kernel_size = {2, 4}, .padding = {1, 3}}),
                       ember::Error, ErrorMentions({"avg_pool2d", "padding [1, 3]", "half"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = 2, .padding = -1}), ember::Error,
                       ErrorMentions({"max_pool2d", "padding"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = {6, 2}}), ember::Error,
                       ErrorMentions({"max_pool2d", "output size [0, 2]", "[5, 5]"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(x, {.kernel_size = 3, .dilation = 3}), ember::Error,
                       ErrorMentions({"max_pool2d", "output size", "dilation [3, 3]"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(randn64({1, 0, 5, 5}), {2}), ember::Error,
                       ErrorMentions({"max_pool2d", "[1, 0, 5, 5]", "empty"}));
  CHECK_THROWS_MATCHES(ember::max_pool2d(ember::zeros({1, 1, 4, 4}, ember::kInt64), {2}),
                       ember::Error, ErrorMentions({"max_pool2d", "int64"}));
  CHECK_THROWS_MATCHES(ember::avg_pool1d(randn64({1, 2, 5}), {.kernel_size = 2,
                                                              .divisor_override = 2}),
                       ember::Error, ErrorMentions({"avg_pool1d", "divisor_override"}));
  CHECK_THROWS_MATCHES(ember::avg_pool2d(x, {.kernel_size = 2, .divisor_override = 0}),
                       ember::Error, ErrorMentions({"avg_pool2d", "divisor_override", "zero"}));
  CHECK_THROWS_MATCHES(ember::adaptive_avg_pool2d(x, {3, 0}), ember::Error,
                       ErrorMentions({"adaptive_avg_pool2d", "output_size", "[3, 0]"}));
  CHECK_THROWS_MATCHES(ember::adaptive_max_pool2d(randn64({5}), 2), ember::Error,
                       ErrorMentions({"adaptive_max_pool2d", "[5]"}));
  CHECK_THROWS_MATCHES(ember::adaptive_avg_pool3d(x, {2, 2}), ember::Error,
                       ErrorMentions({"adaptive_avg_pool3d", "[1, 2, 5, 5]"}));
}
