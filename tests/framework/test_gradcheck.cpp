// gradcheck itself: it must pass correct gradients on every layout, catch a
// wrong one with a useful message, and leave its inputs as it found them.

#include <catch2/catch.hpp>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/gradcheck.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/reduce.h"

using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

// x * x with a deliberately wrong gradient (x instead of 2x).
Tensor bad_square(const Tensor& x) {
  Tensor out;
  {
    ember::NoGradGuard no_grad;
    out = x * x;
  }
  ember::SavedTensor saved(x);
  return ember::record_op("BadSquareBackward", out, {x},
                          [saved](const TensorList& grads) -> TensorList {
                            return {grads[0] * saved.unpack("bad_square")};
                          });
}

}  // namespace

TEST_CASE("gradcheck passes a correct gradient of a matrix function", "[gradcheck]") {
  Tensor a = randn64({3, 4}, 1).requires_grad_();
  Tensor b = randn64({4, 2}, 2).requires_grad_();

  auto function = [](const TensorList& x) { return ember::matmul(x[0], x[1]).tanh(); };

  CHECK_GRADCHECK(function, TensorList({a, b}));
  CHECK_NOTHROW(ember::gradcheck(function, {a, b}));
}

TEST_CASE("gradcheck catches a wrong gradient and names input, element and values",
          "[gradcheck]") {
  Tensor x = ember::tensor(std::vector<double>{1.0, 2.0, 3.0}).requires_grad_();

  ember::GradcheckResult result =
      ember::check_gradients([](const TensorList& in) { return bad_square(in[0]); }, {x});

  CHECK_FALSE(result.ok);
  CHECK_THAT(result.message, Catch::Contains("input 0") && Catch::Contains("element 0") &&
                                 Catch::Contains("analytic") && Catch::Contains("numeric"));
  CHECK_THROWS_MATCHES(
      ember::gradcheck([](const TensorList& in) { return bad_square(in[0]); }, {x}),
      ember::Error, ErrorMentions({"gradcheck", "input 0"}));
}

TEST_CASE("gradcheck perturbs non-contiguous inputs through their view", "[gradcheck]") {
  Tensor a = randn64({4, 3}, 3).t().requires_grad_();
  Tensor b = randn64({5, 4}, 4).narrow(0, 1, 3).requires_grad_();
  REQUIRE_FALSE(a.is_contiguous());

  auto function = [](const TensorList& x) { return (x[0] * x[0] * x[1]).sum({0}); };

  CHECK_GRADCHECK(function, TensorList({a, b}));
}

TEST_CASE("gradcheck restores its inputs and leaves their gradients alone", "[gradcheck]") {
  Tensor x = randn64({2, 3}, 5).requires_grad_();
  std::vector<double> before = x.to_vector<double>();
  uint64_t version = x.version();

  CHECK_GRADCHECK([](const TensorList& in) { return in[0].exp(); }, TensorList({x}));

  CHECK(x.to_vector<double>() == before);
  CHECK(x.version() == version);
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("gradcheck checks only the inputs that require grad", "[gradcheck]") {
  Tensor x = randn64({3}, 6).requires_grad_();
  Tensor constant = randn64({3}, 7);

  auto function = [](const TensorList& in) { return in[0] * in[1]; };

  CHECK_GRADCHECK(function, TensorList({x, constant}));
}

TEST_CASE("gradcheck accepts empty inputs and outputs", "[gradcheck]") {
  Tensor x = ember::zeros({0, 3}, ember::kFloat64).requires_grad_();

  CHECK_GRADCHECK([](const TensorList& in) { return in[0] * 2.0; }, TensorList({x}));
}

TEST_CASE("gradcheck refuses float32 inputs and outputs", "[gradcheck]") {
  Tensor single = ember::ones({2}, ember::TensorOptions(ember::kFloat32, true));
  Tensor x = ember::ones({2}, ember::TensorOptions(ember::kFloat64, true));

  CHECK_THROWS_MATCHES(
      ember::check_gradients([](const TensorList& in) { return in[0] * 2.0; }, {single}),
      ember::Error, ErrorMentions({"gradcheck", "float32", "float64"}));
  CHECK_THROWS_MATCHES(
      ember::check_gradients([](const TensorList& in) { return in[0].to(ember::kFloat32); },
                             {x}),
      ember::Error, ErrorMentions({"gradcheck", "float32"}));
}

TEST_CASE("gradcheck refuses an expanded input whose elements share memory",
          "[gradcheck]") {
  Tensor x = randn64({3, 1}, 8).expand({3, 4}).requires_grad_();

  CHECK_THROWS_MATCHES(
      ember::check_gradients([](const TensorList& in) { return in[0] * 2.0; }, {x}),
      ember::Error, ErrorMentions({"gradcheck", "stride 0"}));
}
