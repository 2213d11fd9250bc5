// Activations (ops/activation.h) and softmax / log_softmax (ops/softmax.h):
// values against scalar reference formulas, PyTorch's gradient conventions at
// kinks and non-finite inputs, layouts, numerical stability, and gradients
// against finite differences.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "framework/parallel.h"
#include "helpers.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/softmax.h"

using namespace ember;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An activation under test: the ember call and an independent scalar formula.
struct Activation {
  std::string name;
  std::function<Tensor(const Tensor&)> apply;
  std::function<double(double)> reference;
};

const std::vector<Activation>& activations() {
  static const std::vector<Activation> list = {
      {"relu6", [](const Tensor& x) { return relu6(x); },
       [](double v) { return std::min(std::max(v, 0.0), 6.0); }},
      {"elu", [](const Tensor& x) { return elu(x); },
       [](double v) { return v > 0 ? v : std::expm1(v); }},
      {"elu_alpha_0.5", [](const Tensor& x) { return elu(x, 0.5); },
       [](double v) { return v > 0 ? v : 0.5 * std::expm1(v); }},
      {"selu", [](const Tensor& x) { return selu(x); },
       [](double v) {
         return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * std::expm1(v));
       }},
      {"silu", [](const Tensor& x) { return silu(x); },
       [](double v) { return v / (1 + std::exp(-v)); }},
      {"mish", [](const Tensor& x) { return mish(x); },
       [](double v) { return v * std::tanh(std::log1p(std::exp(v))); }},
      {"softplus", [](const Tensor& x) { return softplus(x); },
       [](double v) { return v > 20 ? v : std::log1p(std::exp(v)); }},
      {"softplus_beta_2_threshold_3", [](const Tensor& x) { return softplus(x, 2.0, 3.0); },
       [](double v) { return 2 * v > 3 ? v : std::log1p(std::exp(2 * v)) / 2; }},
      {"hardtanh", [](const Tensor& x) { return hardtanh(x); },
       [](double v) { return std::min(std::max(v, -1.0), 1.0); }},
      {"hardtanh_-2_3", [](const Tensor& x) { return hardtanh(x, -2.0, 3.0); },
       [](double v) { return std::min(std::max(v, -2.0), 3.0); }},
      {"hardsigmoid", [](const Tensor& x) { return hardsigmoid(x); },
       [](double v) { return std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
      {"hardswish", [](const Tensor& x) { return hardswish(x); },
       [](double v) { return v * std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
  };
  return list;
}

// The reference applied elementwise, in float64, as a tensor of x's shape.
Tensor reference_of(const Activation& activation, const Tensor& x) {
  std::vector<double> values = x.to_vector<double>();
  for (double& v : values) v = activation.reference(v);
  return tensor(values, {static_cast<int64_t>(values.size())}).reshape(x.shape());
}

// The gradient of sum(f(x)) at each element of `points`.
std::vector<double> gradient_at(const std::function<Tensor(const Tensor&)>& f,
                                const std::vector<double>& points) {
  Tensor x = tensor(points, {static_cast<int64_t>(points.size())});
  x.requires_grad_(true);
  sum(f(x)).backward();
  return x.grad().to_vector<double>();
}

// Equal element by element, NaN matching NaN.
void check_values(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i << ": " << actual[i] << " vs expected " << expected[i]);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(actual[i]));
    } else {
      CHECK(actual[i] == Approx(expected[i]).margin(1e-12));
    }
  }
}

// Values over [-8, 8] (and a stretch past softplus's threshold) in a length
// that leaves a vector tail for float32 and float64.
Tensor grid(DType dtype) {
  return linspace(-8.0, 12.0, 203, dtype);
}

// Softmax along dim in long double, from the definition.
Tensor reference_softmax(const Tensor& x, int64_t dim, bool log) {
  std::vector<double> values = x.contiguous().to_vector<double>();
  const Shape& shape = x.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < dim) outer *= shape[d];
    if (d > dim) inner *= shape[d];
  }
  const int64_t size = shape[dim];
  std::vector<double> result(values.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < inner; ++k) {
      auto at = [&](int64_t r) { return (o * size + r) * inner + k; };
      long double m = -INFINITY;
      for (int64_t r = 0; r < size; ++r) m = std::max<long double>(m, values[at(r)]);
      long double total = 0;
      for (int64_t r = 0; r < size; ++r) total += std::exp(values[at(r)] - m);
      for (int64_t r = 0; r < size; ++r) {
        long double shifted = values[at(r)] - m;
        result[at(r)] = static_cast<double>(log ? shifted - std::log(total)
                                                : std::exp(shifted) / total);
      }
    }
  }
  return tensor(result, {static_cast<int64_t>(result.size())}).reshape(shape).to(x.dtype());
}

struct ThreadCountGuard {
  int saved = get_num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

}  // namespace

// ---- pointwise activations ----

TEST_CASE("activations match their formulas in float32 and float64", "[ops][activation]") {
  auto index = GENERATE(range(size_t{0}, activations().size()));
  auto dtype = GENERATE(kFloat32, kFloat64);
  const Activation& activation = activations()[index];
  INFO(activation.name << " in " << dtype_name(dtype));
  Tensor x = grid(dtype);

  Tensor y = activation.apply(x);

  CHECK(y.dtype() == dtype);
  CHECK(y.shape() == x.shape());
  CHECK_CLOSE(y.to(kFloat64), reference_of(activation, x), dtype == kFloat32 ? 1e-5 : 1e-12,
              dtype == kFloat32 ? 1e-6 : 1e-12);
}

TEST_CASE("activations give the same values for strided and contiguous inputs",
          "[ops][activation]") {
  auto index = GENERATE(range(size_t{0}, activations().size()));
  const Activation& activation = activations()[index];
  INFO(activation.name);
  Tensor x = randn64({7, 9}, 3).mul_(3.0).t();  // [9, 7], not contiguous

  Tensor y = activation.apply(x);

  CHECK_CLOSE(y, activation.apply(x.contiguous()), 0.0, 0.0);
  CHECK_CLOSE(y, reference_of(activation, x), 1e-12, 1e-12);
}

TEST_CASE("activations compute integer inputs in float32", "[ops][activation]") {
  auto index = GENERATE(range(size_t{0}, activations().size()));
  const Activation& activation = activations()[index];
  INFO(activation.name);
  Tensor x = arange(-4.0, 5.0);  // int64

  Tensor y = activation.apply(x);

  CHECK(y.dtype() == kFloat32);
  CHECK_CLOSE(y.to(kFloat64), reference_of(activation, x), 1e-5, 1e-6);
}

TEST_CASE("activation gradients match finite differences in float64",
          "[ops][activation][gradcheck]") {
  auto index = GENERATE(range(size_t{0}, activations().size()));
  const Activation& activation = activations()[index];
  INFO(activation.name);
  // Spread over the kinks of every function, none within reach of eps.
  Tensor x = randn64({4, 13}, 11).mul_(3.0);
  x.requires_grad_(true);
  Tensor strided = randn64({5, 4}, 12).mul_(3.0).t();
  strided.requires_grad_(true);

  auto f = [&](const TensorList& inputs) { return activation.apply(inputs[0]); };

  CHECK_GRADCHECK(f, TensorList{x});
  CHECK_GRADCHECK(f, TensorList{strided});
}

TEST_CASE("hardtanh and relu6 pass no gradient on their bounds, unlike clamp",
          "[ops][activation]") {
  std::vector<double> points{-6, -1, -0.5, 0, 3, 6, 7};

  check_values(gradient_at([](const Tensor& x) { return relu6(x); }, points),
               {0, 0, 0, 0, 1, 0, 0});
  check_values(gradient_at([](const Tensor& x) { return hardtanh(x, -1.0, 3.0); }, points),
               {0, 0, 1, 1, 0, 0, 0});
  check_values(gradient_at([](const Tensor& x) { return clamp(x, -1.0, 3.0); }, points),
               {0, 1, 1, 1, 1, 0, 0});
}

TEST_CASE("hardsigmoid and hardswish use PyTorch's gradients at -3 and 3",
          "[ops][activation]") {
  std::vector<double> points{-6, -3, -1, 0, 3, 6};

  check_values(gradient_at([](const Tensor& x) { return hardsigmoid(x); }, points),
               {0, 0, 1.0 / 6, 1.0 / 6, 0, 0});
  check_values(gradient_at([](const Tensor& x) { return hardswish(x); }, points),
               {0, -0.5, 1.0 / 6, 0.5, 1.5, 1});
}

TEST_CASE("elu and selu take the exponential branch's slope at zero", "[ops][activation]") {
  std::vector<double> points{-1, 0, 1};

  check_values(gradient_at([](const Tensor& x) { return elu(x, 0.5); }, points),
               {0.5 * std::exp(-1.0), 0.5, 1});
  check_values(gradient_at([](const Tensor& x) { return elu(x, -0.5); }, points),
               {-0.5 * std::exp(-1.0), -0.5, 1});
  check_values(gradient_at([](const Tensor& x) { return selu(x); }, {0.0}),
               {1.0507009873554805 * 1.6732632423543772});
}

TEST_CASE("softplus switches to the identity above beta * x > threshold",
          "[ops][activation]") {
  Tensor x = tensor(std::vector<double>{-1, 0, 1.49, 1.5, 1.51, 1e4});

  Tensor y = softplus(x, 2.0, 3.0);
  std::vector<double> grad = gradient_at([](const Tensor& v) { return softplus(v, 2.0, 3.0); },
                                         x.to_vector<double>());

  std::vector<double> values = y.to_vector<double>();
  CHECK(values[2] == Approx(std::log1p(std::exp(2.98)) / 2));
  CHECK(values[3] == Approx(std::log1p(std::exp(3.0)) / 2));  // 3 is not above 3
  CHECK(values[4] == 1.51);
  CHECK(values[5] == 1e4);
  CHECK(grad[3] == Approx(std::exp(3.0) / (std::exp(3.0) + 1)));
  CHECK(grad[4] == 1.0);
  CHECK(grad[5] == 1.0);
}

TEST_CASE("activations treat NaN and infinities as PyTorch does", "[ops][activation]") {
  std::vector<double> points{kNaN, kInf, -kInf};
  auto run = [&](const std::function<Tensor(const Tensor&)>& f) {
    return f(tensor(points)).to_vector<double>();
  };

  check_values(run([](const Tensor& x) { return silu(x); }), {kNaN, kInf, kNaN});
  check_values(run([](const Tensor& x) { return mish(x); }), {kNaN, kInf, kNaN});
  check_values(run([](const Tensor& x) { return elu(x); }), {kNaN, kInf, -1});
  check_values(run([](const Tensor& x) { return hardswish(x); }), {kNaN, kInf, kNaN});
  check_values(run([](const Tensor& x) { return hardsigmoid(x); }), {kNaN, 1, 0});
  check_values(run([](const Tensor& x) { return relu6(x); }), {kNaN, 6, 0});
  check_values(run([](const Tensor& x) { return softplus(x); }), {kNaN, kInf, 0});

  // NaN takes the branch whose test it fails: elu's x <= 0 and hardtanh's
  // bounds are false, so the gradient passes; hardsigmoid's interior is false.
  check_values(gradient_at([](const Tensor& x) { return elu(x); }, {kNaN}), {1});
  check_values(gradient_at([](const Tensor& x) { return relu6(x); }, {kNaN}), {1});
  check_values(gradient_at([](const Tensor& x) { return hardswish(x); }, {kNaN}), {1});
  check_values(gradient_at([](const Tensor& x) { return hardsigmoid(x); }, {kNaN}), {0});
  check_values(gradient_at([](const Tensor& x) { return silu(x); }, {1e4, -1e4}), {1, 0});
  check_values(gradient_at([](const Tensor& x) { return mish(x); }, {1e4}), {1});
}

TEST_CASE("hardtanh with min above max gives max everywhere", "[ops][activation]") {
  Tensor y = hardtanh(tensor({-5.f, 0.f, 5.f}), 2.0, 1.0);

  CHECK(y.to_vector<double>() == std::vector<double>{1, 1, 1});
}

// ---- softmax and log_softmax ----

TEST_CASE("softmax and log_softmax match the definition along every dim",
          "[ops][activation][softmax]") {
  auto dtype = GENERATE(kFloat32, kFloat64);
  auto log = GENERATE(false, true);
  // [3, 37, 5]: rows of 37 (a vector body and tail) and columns of 5 and 185.
  Tensor x = randn64({3, 37, 5}, 4).mul_(4.0).to(dtype);
  double rtol = dtype == kFloat32 ? 2e-6 : 1e-13;
  double atol = dtype == kFloat32 ? 1e-6 : 1e-14;

  for (int64_t dim = -3; dim < 3; ++dim) {
    INFO((log ? "log_softmax" : "softmax") << " dim " << dim << " " << dtype_name(dtype));
    Tensor y = log ? log_softmax(x, dim) : softmax(x, dim);
    CHECK(y.dtype() == dtype);
    CHECK_CLOSE(y, reference_softmax(x, (dim + 3) % 3, log), rtol, atol);
  }
}

TEST_CASE("softmax column kernels cover tails narrower than a vector",
          "[ops][activation][softmax]") {
  auto dtype = GENERATE(kFloat32, kFloat64);
  auto inner = GENERATE(1, 3, 8, 17, 40);
  Tensor x = randn64({2, 6, inner}, 5).mul_(3.0).to(dtype);
  double rtol = dtype == kFloat32 ? 2e-6 : 1e-13;

  CHECK_CLOSE(softmax(x, 1), reference_softmax(x, 1, false), rtol, 1e-7);
  CHECK_CLOSE(log_softmax(x, 1), reference_softmax(x, 1, true), rtol, 1e-6);
}

TEST_CASE("softmax reads strided inputs as their logical values", "[ops][activation][softmax]") {
  Tensor x = randn64({6, 4, 3}, 6).permute({2, 0, 1});  // [3, 6, 4], not contiguous

  for (int64_t dim = 0; dim < 3; ++dim) {
    INFO("dim " << dim);
    CHECK_CLOSE(softmax(x, dim), softmax(x.contiguous(), dim), 0.0, 0.0);
    CHECK_CLOSE(log_softmax(x, dim), reference_softmax(x, dim, true), 1e-13, 1e-14);
  }
}

TEST_CASE("softmax stays exact for logits of +-1e4", "[ops][activation][softmax]") {
  auto dtype = GENERATE(kFloat32, kFloat64);
  Tensor x = tensor(std::vector<double>{1e4, -1e4, 0, 1e4 - 1, 1e4, 1e4}, {2, 3}).to(dtype);

  std::vector<double> p = softmax(x, 1).to_vector<double>();
  std::vector<double> logp = log_softmax(x, 1).to_vector<double>();

  CHECK(p[0] == 1.0);
  CHECK(p[1] == 0.0);
  CHECK(p[2] == 0.0);
  CHECK(logp[0] == 0.0);
  CHECK(logp[1] == -2e4);
  CHECK(logp[2] == -1e4);
  // Row 2 is [1e4 - 1, 1e4, 1e4]: x - max stays exact, so small results keep
  // their precision despite the large logits.
  double tol = dtype == kFloat32 ? 1e-6 : 1e-14;
  double log_sum = std::log(2 + std::exp(-1.0));
  CHECK(logp[3] == Approx(-1 - log_sum).epsilon(tol));
  CHECK(logp[4] == Approx(-log_sum).epsilon(tol));
  CHECK(p[3] == Approx(std::exp(-1.0) / (2 + std::exp(-1.0))).epsilon(tol));
}

TEST_CASE("softmax stays finite along strided columns with logits of +-1e4",
          "[ops][activation][softmax]") {
  Tensor x = tensor(std::vector<double>{1e4, -1e4, -1e4, 1e4, 0, 0}, {3, 2}).to(kFloat32);

  Tensor p = softmax(x, 0);
  Tensor logp = log_softmax(x, 0);

  CHECK(p.to_vector<double>() == std::vector<double>{1, 0, 0, 1, 0, 0});
  CHECK(logp.to_vector<double>() == std::vector<double>{0, -2e4, -2e4, 0, -1e4, -1e4});
}

TEST_CASE("softmax over a size-1 dim is 1 and log_softmax 0, whatever the logit",
          "[ops][activation][softmax]") {
  Tensor x = tensor(std::vector<double>{1e4, -1e4, 3.5, 0}, {4, 1});
  x.requires_grad_(true);

  Tensor p = softmax(x, 1);
  Tensor logp = log_softmax(x, 1);
  sum(mul(logp, 3.0)).backward();

  CHECK(p.to_vector<double>() == std::vector<double>{1, 1, 1, 1});
  CHECK(logp.to_vector<double>() == std::vector<double>{0, 0, 0, 0});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 0, 0});
}

TEST_CASE("softmax accepts 0-d and empty tensors", "[ops][activation][softmax]") {
  Tensor scalar = scalar_tensor(2.5);

  CHECK(softmax(scalar, 0).item() == 1.0);
  CHECK(log_softmax(scalar, -1).item() == 0.0);
  CHECK(softmax(scalar, 0).dim() == 0);
  CHECK(softmax(zeros({0, 3}), 1).shape() == Shape{0, 3});
  CHECK(log_softmax(zeros({3, 0}), 1).shape() == Shape{3, 0});
}

TEST_CASE("softmax of a row holding +inf or only -inf is NaN, as in PyTorch",
          "[ops][activation][softmax]") {
  Tensor x = tensor(std::vector<double>{kInf, 0, -kInf, -kInf, -kInf, 0, kNaN, 0}, {4, 2});

  std::vector<double> p = softmax(x, 1).to_vector<double>();
  std::vector<double> logp = log_softmax(x, 1).to_vector<double>();

  check_values(p, {kNaN, kNaN, kNaN, kNaN, 0, 1, kNaN, kNaN});
  check_values(logp, {kNaN, kNaN, kNaN, kNaN, -kInf, 0, kNaN, kNaN});
}

TEST_CASE("softmax gradients match finite differences along every dim",
          "[ops][activation][softmax][gradcheck]") {
  auto log = GENERATE(false, true);
  auto dim = GENERATE(0, 1, 2, -1);
  INFO((log ? "log_softmax" : "softmax") << " dim " << dim);
  Tensor x = randn64({3, 4, 5}, 7);
  x.requires_grad_(true);
  Tensor strided = randn64({5, 4, 3}, 8).permute({2, 1, 0});
  strided.requires_grad_(true);

  auto f = [&](const TensorList& in) {
    return log ? log_softmax(in[0], dim) : softmax(in[0], dim);
  };

  CHECK_GRADCHECK(f, TensorList{x});
  CHECK_GRADCHECK(f, TensorList{strided});
}

TEST_CASE("softmax results do not depend on the thread count", "[ops][activation][softmax]") {
  ThreadCountGuard guard;
  Tensor rows = randn64({300, 1000}, 9).to(kFloat32);
  Tensor columns = randn64({30, 500, 40}, 10).to(kFloat32);
  Tensor grad = randn64({300, 1000}, 11).to(kFloat32);

  auto run = [&] {
    Tensor x = rows.detach().requires_grad_(true);
    Tensor y = log_softmax(x, 1);
    y.backward(grad);
    return TensorList{y, x.grad(), softmax(columns, 1)};
  };
  set_num_threads(1);
  TensorList serial = run();
  set_num_threads(2);
  TensorList parallel = run();

  for (size_t i = 0; i < serial.size(); ++i) {
    CHECK(std::memcmp(serial[i].raw_data(), parallel[i].raw_data(),
                      serial[i].numel() * sizeof(float)) == 0);
  }
}

TEST_CASE("softmax refuses a dim out of range", "[ops][activation][softmax]") {
  Tensor x = zeros({2, 3});

  CHECK_THROWS_MATCHES(softmax(x, 2), Error, ErrorMentions({"softmax"}));
  CHECK_THROWS_MATCHES(log_softmax(x, -3), Error, ErrorMentions({"log_softmax"}));
}
