// dropout, dropout1d/2d/3d, alpha_dropout and feature_alpha_dropout: kept
// fractions, exact scaling, masks tied to the Philox words and independent of
// the thread count, whole-channel masks, SELU statistics, gradients and
// errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

using ember::Generator;
using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

class ThreadCount {
 public:
  ThreadCount() : saved_(ember::get_num_threads()) {}
  ~ThreadCount() { ember::set_num_threads(saved_); }

 private:
  int saved_;
};

// Values in [1, 2): never zero, so a zero output means a dropped element.
Tensor nonzero_values(const Shape& shape, ember::DType dtype, uint64_t seed) {
  Generator generator(seed);
  return ember::rand(shape, dtype, &generator) + 1.0;
}

// Which of `units` consecutive blocks of `inner` elements of y are kept
// (nonzero); `mixed` counts blocks that are neither all zero nor all nonzero.
struct BlockMask {
  std::vector<bool> kept;
  int64_t mixed = 0;
};

BlockMask block_mask(const Tensor& y, int64_t units, int64_t inner) {
  std::vector<double> values = y.contiguous().to_vector<double>();
  BlockMask mask;
  for (int64_t u = 0; u < units; ++u) {
    const bool kept = values[u * inner] != 0.0;
    mask.kept.push_back(kept);
    for (int64_t i = 1; i < inner; ++i) {
      if ((values[u * inner + i] != 0.0) != kept) {
        ++mask.mixed;
        break;
      }
    }
  }
  return mask;
}

double kept_fraction(const std::vector<bool>& kept) {
  double count = 0;
  for (bool k : kept) count += k ? 1 : 0;
  return count / static_cast<double>(kept.size());
}

}  // namespace

// ---- dropout ----

TEST_CASE("dropout keeps about 1 - p of the elements and scales them by exactly 1 / (1 - p)",
          "[ops]") {
  const double p = GENERATE(0.1, 0.5, 0.9);
  const ember::DType dtype = GENERATE(ember::kFloat32, ember::kFloat64);
  INFO("p " << p << ", " << ember::dtype_name(dtype));
  const int64_t n = int64_t{1} << 16;
  Tensor x = nonzero_values({n}, dtype, 1);
  Generator generator(2);

  Tensor y = ember::dropout(x, p, true, &generator);

  std::vector<double> xs = x.to_vector<double>();
  std::vector<double> ys = y.to_vector<double>();
  int64_t kept = 0;
  bool exact = true;
  for (int64_t i = 0; i < n; ++i) {
    if (ys[i] == 0.0) continue;
    ++kept;
    // The product rounds in the tensor's dtype, as PyTorch's x * (1 / (1 - p)).
    double expected = dtype == ember::kFloat32
                          ? double(float(xs[i]) * (1.0f / static_cast<float>(1.0 - p)))
                          : xs[i] * (1.0 / (1.0 - p));
    exact = exact && ys[i] == expected;
  }
  CHECK(exact);
  // Five standard deviations of a binomial fraction.
  const double tolerance = 5.0 * std::sqrt(p * (1.0 - p) / static_cast<double>(n));
  CHECK(std::abs(static_cast<double>(kept) / n - (1.0 - p)) < tolerance);
}

TEST_CASE("dropout keeps element i when word i % 4 of Philox block first + i / 4 is below "
          "(1 - p) * 2^32", "[ops]") {
  const double p = GENERATE(0.5, 0.3);
  // Mid-stream, and just below 2^32 so the counters carry into the high word.
  const uint64_t offset = GENERATE(uint64_t{5}, uint64_t{0xFFFFFF00});
  INFO("p " << p << ", offset " << offset);
  // 2048 + 37: whole vector blocks, then a tail the scalar path draws.
  const int64_t n = 2085;
  Tensor x = nonzero_values({n}, ember::kFloat32, 3);
  Generator generator(0xC0FFEE);
  generator.set_offset(offset);

  Tensor y = ember::dropout(x, p, true, &generator);

  const auto threshold = static_cast<uint64_t>(std::ldexp(1.0 - p, 32));
  std::vector<double> ys = y.to_vector<double>();
  int64_t mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t word = generator.block(offset + static_cast<uint64_t>(i / 4))[i % 4];
    const bool kept = word < threshold;
    mismatches += kept != (ys[i] != 0.0) ? 1 : 0;
  }
  CHECK(mismatches == 0);
  CHECK(generator.offset() == offset + (n + 3) / 4);
}

TEST_CASE("dropout masks depend on the seed, not on the thread count", "[ops]") {
  ThreadCount restore;
  Tensor x = nonzero_values({1 << 20}, ember::kFloat32, 4);

  auto draw = [&](int threads, uint64_t seed) {
    ember::set_num_threads(threads);
    Generator generator(seed);
    return ember::dropout(x, 0.5, true, &generator);
  };
  Tensor one = draw(1, 5);
  Tensor two = draw(2, 5);
  Tensor other_seed = draw(2, 6);

  CHECK(ember::allclose(one, two, 0, 0));
  CHECK_FALSE(ember::allclose(one, other_seed, 0, 0));
}

TEST_CASE("dropout draws a fresh mask on each call from the same generator", "[ops]") {
  Tensor x = nonzero_values({4096}, ember::kFloat64, 7);
  Generator generator(8);

  Tensor first = ember::dropout(x, 0.5, true, &generator);
  Tensor second = ember::dropout(x, 0.5, true, &generator);

  CHECK_FALSE(ember::allclose(first, second, 0, 0));
}

TEST_CASE("dropout in evaluation, with p = 0 or on an empty tensor returns the input itself",
          "[ops]") {
  Tensor x = randn64({3, 4}, 9);
  Tensor empty = ember::zeros({0, 4});
  Generator generator(10);

  CHECK(ember::dropout(x, 0.5, false, &generator).same(x));
  CHECK(ember::dropout(x, 0.0, true, &generator).same(x));
  CHECK(ember::dropout(empty, 0.5, true, &generator).same(empty));
  CHECK(ember::dropout2d(x.view({1, 3, 2, 2}), 0.5, false, &generator).shape() ==
        Shape{1, 3, 2, 2});
  CHECK(ember::alpha_dropout(x, 0.5).same(x));  // training defaults to false, as PyTorch
  CHECK(generator.offset() == 0);
}

TEST_CASE("dropout with p = 1 gives zeros and a zero gradient, even for infinite inputs",
          "[ops]") {
  Tensor x = ember::tensor({1.0f, INFINITY, -2.0f, 3.0f}).requires_grad_(true);

  Tensor y = ember::dropout(x, 1.0);
  y.backward(ember::ones({4}));

  CHECK_CLOSE(y, ember::zeros({4}), 0, 0);
  CHECK_CLOSE(x.grad(), ember::zeros({4}), 0, 0);
  CHECK_CLOSE(ember::alpha_dropout(x.detach(), 1.0, true), ember::zeros({4}), 0, 0);
}

TEST_CASE("dropout's gradient is the upstream gradient times the mask and scale", "[ops]") {
  Tensor x = nonzero_values({3, 50}, ember::kFloat64, 11).requires_grad_(true);
  Tensor upstream = randn64({3, 50}, 12);
  Generator generator(13);

  Tensor y = ember::dropout(x, 0.25, true, &generator);
  y.backward(upstream);

  Tensor mask = ember::ne(y, 0.0).to(ember::kFloat64);
  CHECK_CLOSE(x.grad(), upstream * mask * (1.0 / 0.75), 1e-15, 0);
}

TEST_CASE("dropout variants pass gradcheck with a fixed generator", "[ops][gradcheck]") {
  using Op = Tensor (*)(const Tensor&, double, bool, Generator*);
  struct Variant {
    const char* name;
    Op op;
    Shape shape;
  };
  const Variant variant = GENERATE(
      Variant{"dropout", ember::dropout, {4, 5}},
      Variant{"dropout1d", ember::dropout1d, {2, 3, 4}},
      Variant{"dropout2d", ember::dropout2d, {2, 3, 2, 2}},
      Variant{"dropout3d", ember::dropout3d, {3, 2, 2, 2}},
      Variant{"alpha_dropout", ember::alpha_dropout, {40}},
      Variant{"feature_alpha_dropout", ember::feature_alpha_dropout, {2, 3, 4}});
  INFO(variant.name);
  TensorList inputs = {randn64(variant.shape, 14).requires_grad_(true)};

  // A fresh generator per call: every evaluation sees the same mask.
  auto function = [&](const TensorList& x) {
    Generator generator(15);
    return variant.op(x[0], 0.4, true, &generator);
  };

  CHECK_GRADCHECK(function, inputs);
}

TEST_CASE("dropout of a non-contiguous input masks elements in logical order", "[ops]") {
  Tensor base = nonzero_values({40, 30}, ember::kFloat32, 16);
  Tensor view = base.t();

  Generator first(17);
  Generator second(17);
  Tensor from_view = ember::dropout(view, 0.5, true, &first);
  Tensor from_copy = ember::dropout(view.contiguous(), 0.5, true, &second);

  CHECK_CLOSE(from_view, from_copy, 0, 0);
}

TEST_CASE("dropout rejects p outside [0, 1] and integer inputs", "[ops]") {
  Tensor x = ember::zeros({4});

  CHECK_THROWS_MATCHES(ember::dropout(x, 1.5), ember::Error,
                       ErrorMentions({"dropout", "between 0 and 1", "1.5"}));
  CHECK_THROWS_MATCHES(ember::dropout(x, -0.1, false), ember::Error,
                       ErrorMentions({"dropout", "between 0 and 1"}));
  CHECK_THROWS_MATCHES(ember::alpha_dropout(x, 2.0, true), ember::Error,
                       ErrorMentions({"alpha_dropout", "between 0 and 1"}));
  CHECK_THROWS_MATCHES(ember::dropout(ember::zeros({4}, ember::kInt64), 0.5), ember::Error,
                       ErrorMentions({"dropout", "int64"}));
  CHECK_THROWS_MATCHES(ember::dropout1d(ember::zeros({2, 3, 4, 5}), 0.5), ember::Error,
                       ErrorMentions({"dropout1d", "Expected 2D or 3D input", "4D"}));
  CHECK_THROWS_MATCHES(ember::dropout2d(ember::zeros({4}), 0.5), ember::Error,
                       ErrorMentions({"dropout2d", "at least 2 dimensions"}));
}

// ---- channel dropout ----

TEST_CASE("dropout1d, dropout2d and dropout3d zero whole channels of batched and unbatched "
          "inputs", "[ops]") {
  using Op = Tensor (*)(const Tensor&, double, bool, Generator*);
  struct Case {
    const char* name;
    Op op;
    Shape shape;
    int64_t units;  // channels with their own mask value
  };
  const Case c = GENERATE(
      Case{"dropout2d [N, C, H, W]", ember::dropout2d, {8, 64, 3, 5}, 8 * 64},
      Case{"dropout2d 3-D as [N, C, L]", ember::dropout2d, {16, 32, 7}, 16 * 32},
      Case{"dropout3d [N, C, D, H, W]", ember::dropout3d, {4, 64, 2, 3, 2}, 4 * 64},
      Case{"dropout3d unbatched [C, D, H, W]", ember::dropout3d, {512, 2, 2, 3}, 512},
      Case{"dropout1d [N, C, L]", ember::dropout1d, {8, 64, 9}, 8 * 64},
      Case{"dropout1d unbatched [C, L]", ember::dropout1d, {512, 9}, 512});
  INFO(c.name);
  Tensor x = nonzero_values(c.shape, ember::kFloat32, 18);
  Generator generator(19);

  Tensor y = c.op(x, 0.3, true, &generator);

  BlockMask mask = block_mask(y, c.units, x.numel() / c.units);
  CHECK(mask.mixed == 0);
  const double tolerance = 5.0 * std::sqrt(0.3 * 0.7 / static_cast<double>(c.units));
  CHECK(std::abs(kept_fraction(mask.kept) - 0.7) < tolerance);
  CHECK(generator.offset() == static_cast<uint64_t>((c.units + 3) / 4));
  Tensor kept_values = ember::where(ember::ne(y, 0.0), x / 0.7, ember::zeros_like(x));
  CHECK_CLOSE(y, kept_values, 1e-6, 0);
}

// ---- alpha dropout ----

TEST_CASE("alpha_dropout keeps the mean and variance of standard normal inputs", "[ops]") {
  const double p = GENERATE(0.2, 0.5);
  Tensor x = randn64({1 << 18}, 20);
  Generator generator(21);

  Tensor y = ember::alpha_dropout(x, p, true, &generator);

  CHECK(std::abs(ember::mean(y).item()) < 0.01);
  CHECK(std::abs(ember::var(y).item() - 1.0) < 0.02);
}

TEST_CASE("alpha_dropout maps kept and dropped values by PyTorch's formulas", "[ops]") {
  const double p = 0.3;
  const double alpha = 1.7580993408473766;
  const double a = 1.0 / std::sqrt((alpha * alpha * p + 1.0) * (1.0 - p));
  Tensor x = randn64({2000}, 22);
  Generator first(23);
  Generator second(23);

  Tensor y = ember::alpha_dropout(x, p, true, &first);
  Tensor kept = ember::ne(ember::dropout(ember::ones({2000}, ember::kFloat64), p, true, &second),
                          0.0);

  Tensor expected = ember::where(kept, x * a + alpha * a * p,
                                 ember::full({2000}, -alpha * a + alpha * a * p, ember::kFloat64));
  CHECK_CLOSE(y, expected, 1e-15, 1e-15);
}

TEST_CASE("feature_alpha_dropout shares one mask value per channel", "[ops]") {
  Tensor x = randn64({16, 32, 5}, 24);
  Generator generator(25);

  Tensor y = ember::feature_alpha_dropout(x, 0.5, true, &generator);

  // A dropped channel is constant (the dropped value); a kept one is a * x + b.
  const double alpha = 1.7580993408473766;
  const double a = 1.0 / std::sqrt((alpha * alpha * 0.5 + 1.0) * 0.5);
  const double dropped = -alpha * a + alpha * a * 0.5;
  std::vector<double> xs = x.to_vector<double>();
  std::vector<double> ys = y.to_vector<double>();
  int64_t bad = 0;
  int64_t dropped_channels = 0;
  for (int64_t unit = 0; unit < 16 * 32; ++unit) {
    const bool is_dropped = std::abs(ys[unit * 5] - dropped) < 1e-12;
    dropped_channels += is_dropped ? 1 : 0;
    for (int64_t i = 0; i < 5; ++i) {
      const double v = xs[unit * 5 + i];
      const double expected = is_dropped ? dropped : v * a + alpha * a * 0.5;
      bad += std::abs(ys[unit * 5 + i] - expected) > 1e-12 ? 1 : 0;
    }
  }
  CHECK(bad == 0);
  CHECK(std::abs(dropped_channels / 512.0 - 0.5) < 5.0 * std::sqrt(0.25 / 512.0));
}
