// Gradient clipping against PyTorch 1.13: tests/fixtures/clip_grad.txt (written
// by tools/make_scheduler_fixtures.py) holds gradients before and after
// clip_grad_norm_ / clip_grad_value_ and the total norm PyTorch returned, for
// norm types 1, 2, 3, 0.5, 0, +inf and -inf, in float32 and float64.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "framework/parallel.h"
#include "helpers.h"
#include "nn/clip_grad.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Error;
using ember::Tensor;
using ember_test::ErrorMentions;
using ember_test::Fixture;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Parameters in0, in1, ... with their fixture gradients; those listed under
// no_grad get none.
std::vector<Tensor> parameters(const Fixture& f) {
  std::vector<int64_t> missing = f.has("no_grad") ? f.integers("no_grad") : ember::Shape{};
  std::vector<Tensor> params;
  for (int64_t i = 0;; ++i) {
    bool without_grad = std::find(missing.begin(), missing.end(), i) != missing.end();
    std::string key = "in" + std::to_string(i);
    if (without_grad) {
      params.push_back(ember::zeros({2}, ember::kFloat64).requires_grad_());
      continue;
    }
    if (!f.has_tensor(key)) break;
    Tensor grad = ember_test::make_tensor(f.tensors.at(key));
    Tensor param = ember::zeros(grad.shape(), grad.dtype()).requires_grad_();
    param.set_grad(grad);
    params.push_back(param);
  }
  return params;
}

bool same_number(double actual, double expected, double rtol) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (std::isinf(expected)) return actual == expected;
  return std::abs(actual - expected) <= rtol * std::abs(expected);
}

}  // namespace

TEST_CASE("clip_grad_norm_ and clip_grad_value_ match PyTorch", "[nn][parity]") {
  auto fixtures = ember_test::read_fixtures(std::string(EMBER_FIXTURES_DIR) + "/clip_grad.txt");
  REQUIRE(fixtures.size() >= 30);
  for (const Fixture& f : fixtures) {
    std::vector<Tensor> params = parameters(f);
    const bool is_float32 = f.tensors.at("in0").dtype == ember::kFloat32;
    // float32: PyTorch sums in float, ember in double before rounding.
    const double rtol = is_float32 ? 1e-6 : 1e-12;

    if (f.op == "clip_grad_norm") {
      double total = ember::nn::clip_grad_norm_(params, f.real("max_norm"), f.real("norm_type"));
      INFO(f.name << ": total norm " << total << " vs PyTorch " << f.real("total_norm"));
      CHECK(same_number(total, f.real("total_norm"), rtol));
    } else {
      REQUIRE(f.op == "clip_grad_value");
      ember::nn::clip_grad_value_(params, f.real("clip_value"));
    }

    for (size_t i = 0; i < params.size(); ++i) {
      std::string key = "out" + std::to_string(i);
      if (!f.has_tensor(key)) {
        CHECK_FALSE(params[i].grad().defined());
        continue;
      }
      INFO(f.name << " gradient " << i);
      CHECK_CLOSE(params[i].grad(), ember_test::make_tensor(f.tensors.at(key)), rtol, 0.0);
    }
  }
}

TEST_CASE("clip_grad_norm_ returns 0 when no parameter has a gradient", "[nn]") {
  std::vector<Tensor> params = {ember::ones({3}, ember::kFloat64).requires_grad_()};

  CHECK(ember::nn::clip_grad_norm_(params, 1.0) == 0.0);
  CHECK(ember::nn::clip_grad_norm_({}, 1.0) == 0.0);
  CHECK_FALSE(params[0].grad().defined());
}

TEST_CASE("clip_grad_norm_ scales a non-contiguous gradient in place", "[nn]") {
  Tensor param = ember::zeros({3, 4}, ember::kFloat64).requires_grad_();
  Tensor dense = ember_test::randn64({3, 4}, 7);
  param.set_grad(dense.t().contiguous().t());
  REQUIRE_FALSE(param.grad().is_contiguous());
  Tensor reference_param = ember::zeros({3, 4}, ember::kFloat64).requires_grad_();
  reference_param.set_grad(dense.clone());

  double total = ember::nn::clip_grad_norm_({param}, 0.5);
  double reference = ember::nn::clip_grad_norm_({reference_param}, 0.5);

  CHECK(total == reference);
  CHECK_CLOSE(param.grad(), reference_param.grad(), 1e-15, 0.0);
  CHECK(std::sqrt(param.grad().pow(2.0).sum().item()) == Approx(0.5).epsilon(1e-5));
}

TEST_CASE("clip_grad_norm_ gives the same norm for every thread count", "[nn]") {
  const int threads = ember::get_num_threads();
  Tensor grad = ember_test::randn64({300001}, 3);
  auto norm_with = [&](int count) {
    ember::set_num_threads(count);
    Tensor param = ember::zeros({300001}, ember::kFloat64).requires_grad_();
    param.set_grad(grad.clone());
    return ember::nn::clip_grad_norm_({param}, 1e9, 3.0);
  };

  double one = norm_with(1);
  double two = norm_with(2);
  ember::set_num_threads(threads);

  CHECK(one == two);
}

TEST_CASE("clip_grad_norm_ can refuse a non-finite total norm", "[nn]") {
  Tensor param = ember::zeros({3}, ember::kFloat64).requires_grad_();
  param.set_grad(ember::tensor(std::vector<double>{1.0, kInfinity, 2.0}));

  CHECK_THROWS_MATCHES(ember::nn::clip_grad_norm_({param}, 1.0, 2.0, true), Error,
                       ErrorMentions({"clip_grad_norm_", "inf", "error_if_nonfinite"}));
  CHECK(param.grad().to_vector<double>() == std::vector<double>{1.0, kInfinity, 2.0});
}

TEST_CASE("clipping rejects negative bounds and NaN norm types", "[nn]") {
  Tensor param = ember::zeros({2}, ember::kFloat64).requires_grad_();
  param.set_grad(ember::ones({2}, ember::kFloat64));

  CHECK_THROWS_MATCHES(ember::nn::clip_grad_norm_({param}, -1.0), Error,
                       ErrorMentions({"clip_grad_norm_", "max_norm", "-1"}));
  CHECK_THROWS_MATCHES(ember::nn::clip_grad_norm_({param}, 1.0, std::nan("")), Error,
                       ErrorMentions({"clip_grad_norm_", "norm_type"}));
  CHECK_THROWS_MATCHES(ember::nn::clip_grad_value_({param}, -0.5), Error,
                       ErrorMentions({"clip_grad_value_", "clip_value", "-0.5"}));
  CHECK_THROWS_MATCHES(ember::nn::clip_grad_norm_({Tensor()}, 1.0), Error,
                       ErrorMentions({"clip_grad_norm_", "parameter 0", "undefined"}));
}
