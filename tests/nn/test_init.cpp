// nn::init: gains and fans as PyTorch computes them, the spread of each
// random initialiser on large tensors, orthogonality, truncation bounds,
// reproducibility from a generator, and errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::ErrorMentions;

namespace {

double std_of(const Tensor& t) {
  Tensor x = t.to(kFloat64);
  Tensor centered = x - x.mean();
  return std::sqrt((centered * centered).mean().item());
}

double max_abs(const Tensor& t) { return t.abs().max().item(); }

// A parameter-like tensor: a leaf that requires grad, as modules hold them.
Tensor parameter(const Shape& shape, DType dtype = kFloat32) {
  return empty(shape, dtype).requires_grad_(true);
}

}  // namespace

TEST_CASE("calculate_gain returns PyTorch's exact values", "[nn]") {
  using nn::init::calculate_gain;
  for (const char* name : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                           "conv_transpose2d", "conv_transpose3d", "sigmoid"}) {
    CHECK(calculate_gain(name) == 1.0);
  }
  // Values printed by PyTorch 1.13's torch.nn.init.calculate_gain.
  CHECK(calculate_gain("tanh") == 1.6666666666666667);
  CHECK(calculate_gain("relu") == 1.4142135623730951);
  CHECK(calculate_gain("leaky_relu") == 1.4141428569978354);
  CHECK(calculate_gain("leaky_relu", 0.2) == 1.3867504905630728);
  CHECK(calculate_gain("selu") == 0.75);
  CHECK(calculate_gain("relu", 0.5) == 1.4142135623730951);  // the param is ignored

  CHECK_THROWS_MATCHES(calculate_gain("swish"), Error,
                       ErrorMentions({"calculate_gain", "'swish'"}));
}

TEST_CASE("fan in and fan out count the receptive field", "[nn]") {
  using nn::init::calculate_fan_in_and_fan_out;
  CHECK(calculate_fan_in_and_fan_out(zeros({4, 3})) == std::pair<int64_t, int64_t>{3, 4});
  CHECK(calculate_fan_in_and_fan_out(zeros({8, 3, 5, 2})) == std::pair<int64_t, int64_t>{30, 80});
  CHECK(calculate_fan_in_and_fan_out(zeros({8, 3, 2, 2, 2})) ==
        std::pair<int64_t, int64_t>{24, 64});
  CHECK_THROWS_MATCHES(calculate_fan_in_and_fan_out(zeros({5})), Error,
                       ErrorMentions({"fan", "fewer than 2 dims", "[5]"}));
}

TEST_CASE("kaiming and xavier initialisers reach the intended spread", "[nn]") {
  const DType dtype = GENERATE(kFloat32, kFloat64);
  Generator generator(7);
  Tensor w = parameter({400, 100, 3}, dtype);  // fan_in 300, fan_out 1200

  SECTION("kaiming_uniform_, leaky_relu with a = sqrt(5)") {
    nn::init::kaiming_uniform_(w, {.a = std::sqrt(5.0)}, &generator);
    const double bound = 1.0 / std::sqrt(300.0);
    CHECK(max_abs(w) <= bound);
    CHECK(max_abs(w) >= 0.999 * bound);
    CHECK(std_of(w) == Approx(bound / std::sqrt(3.0)).epsilon(0.02));
  }
  SECTION("kaiming_normal_, fan_out, relu") {
    nn::init::kaiming_normal_(w, {.mode = nn::init::FanMode::FanOut, .nonlinearity = "relu"},
                              &generator);
    CHECK(std_of(w) == Approx(std::sqrt(2.0 / 1200.0)).epsilon(0.02));
    CHECK(std::abs(w.mean().item()) < 1e-3);
  }
  SECTION("xavier_uniform_ with a gain") {
    nn::init::xavier_uniform_(w, 2.0, &generator);
    const double std = 2.0 * std::sqrt(2.0 / 1500.0);
    CHECK(max_abs(w) <= std::sqrt(3.0) * std);
    CHECK(std_of(w) == Approx(std).epsilon(0.02));
  }
  SECTION("xavier_normal_") {
    nn::init::xavier_normal_(w, 1.0, &generator);
    CHECK(std_of(w) == Approx(std::sqrt(2.0 / 1500.0)).epsilon(0.02));
  }
  SECTION("uniform_ and normal_") {
    nn::init::uniform_(w, -3.0, 1.0, &generator);
    CHECK(w.min().item() >= -3.0);
    CHECK(w.max().item() < 1.0);
    CHECK(w.mean().item() == Approx(-1.0).epsilon(0.01));
    nn::init::normal_(w, 2.0, 0.5, &generator);
    CHECK(w.mean().item() == Approx(2.0).epsilon(0.01));
    CHECK(std_of(w) == Approx(0.5).epsilon(0.02));
  }

  // Parameters stay leaves that require grad, with no history.
  CHECK(w.is_leaf());
  CHECK(w.requires_grad());
  CHECK(w.grad_fn() == nullptr);
}

TEST_CASE("orthogonal_ gives orthonormal rows or columns", "[nn]") {
  Generator generator(3);
  const Shape shape = GENERATE(Shape{6, 10}, Shape{10, 6}, Shape{8, 2, 3, 3}, Shape{5, 5});
  INFO("shape " << format_shape(shape));
  Tensor w = parameter(shape, kFloat64);

  nn::init::orthogonal_(w, 2.0, &generator);

  // The orthonormal side is the smaller one: Q Q^T (wide) or Q^T Q (tall), times gain^2.
  Tensor q = w.detach().reshape({shape[0], w.numel() / shape[0]});
  const bool wide = q.size(0) <= q.size(1);
  Tensor gram = wide ? matmul(q, q.t()) : matmul(q.t(), q);
  const int64_t n = gram.size(0);
  CHECK_CLOSE(gram, eye(n, kFloat64) * 4.0, 0.0, 1e-12);
}

TEST_CASE("trunc_normal_ stays inside [a, b] with the truncated spread", "[nn]") {
  Generator generator(11);
  Tensor w = parameter({200, 500});

  nn::init::trunc_normal_(w, 0.0, 1.0, -2.0, 2.0, &generator);

  CHECK(w.min().item() >= -2.0);
  CHECK(w.max().item() <= 2.0);
  CHECK(w.max().item() > 1.99);
  // A standard normal cut at +-2 has std sqrt(1 - 4 phi(2) / (Phi(2) - Phi(-2))) = 0.8796.
  CHECK(std_of(w) == Approx(0.87962566).epsilon(0.01));
  CHECK(std::abs(w.mean().item()) < 0.01);

  // A one-sided, narrow window far from the mean still lands inside.
  nn::init::trunc_normal_(w, 1.0, 0.5, 2.0, 2.5, &generator);
  CHECK(w.min().item() >= 2.0);
  CHECK(w.max().item() <= 2.5);
}

TEST_CASE("initialisers repeat their values from the same generator state", "[nn]") {
  Tensor a = parameter({30, 20});
  Tensor b = parameter({30, 20});
  Generator first(5), second(5);

  nn::init::kaiming_uniform_(a, {}, &first);
  nn::init::orthogonal_(a, 1.0, &first);
  nn::init::kaiming_uniform_(b, {}, &second);
  nn::init::orthogonal_(b, 1.0, &second);

  CHECK(a.to_vector<float>() == b.to_vector<float>());
}

TEST_CASE("constant, zeros, ones and eye fill in place", "[nn]") {
  Tensor w = parameter({3, 4});
  const uint64_t version = w.version();

  nn::init::constant_(w, 0.25);
  CHECK(w.to_vector<float>() == std::vector<float>(12, 0.25f));
  CHECK(w.version() > version);
  nn::init::zeros_(w);
  CHECK(w.abs().sum().item() == 0.0);
  nn::init::ones_(w);
  CHECK(w.sum().item() == 12.0);
  nn::init::eye_(w);
  CHECK_CLOSE(w.detach(), eye(3, 4), 0.0, 0.0);
}

TEST_CASE("initialisers reject tensors they cannot fill", "[nn]") {
  Tensor vector = parameter({5});
  CHECK_THROWS_MATCHES(nn::init::kaiming_uniform_(vector), Error,
                       ErrorMentions({"fewer than 2 dims", "[5]"}));
  CHECK_THROWS_MATCHES(nn::init::xavier_normal_(vector), Error,
                       ErrorMentions({"fewer than 2 dims"}));
  CHECK_THROWS_MATCHES(nn::init::orthogonal_(vector), Error,
                       ErrorMentions({"orthogonal_", "[5]"}));
  CHECK_THROWS_MATCHES(nn::init::eye_(parameter({2, 2, 2})), Error,
                       ErrorMentions({"eye_", "[2, 2, 2]"}));
  CHECK_THROWS_MATCHES(nn::init::uniform_(zeros({2, 2}, kInt64)), Error,
                       ErrorMentions({"uniform_", "int64"}));
  CHECK_THROWS_MATCHES(nn::init::trunc_normal_(parameter({2, 2}), 0.0, 1.0, 1.0, -1.0), Error,
                       ErrorMentions({"trunc_normal_", "a must be below b"}));
  CHECK_THROWS_MATCHES(nn::init::kaiming_normal_(parameter({2, 2}), {.nonlinearity = "gelu"}),
                       Error, ErrorMentions({"calculate_gain", "'gelu'"}));

  // Zero-sized tensors are left alone, as PyTorch does.
  Tensor empty_weight = parameter({0, 3});
  CHECK_NOTHROW(nn::init::kaiming_uniform_(empty_weight));
  CHECK_NOTHROW(nn::init::orthogonal_(empty_weight));
}
