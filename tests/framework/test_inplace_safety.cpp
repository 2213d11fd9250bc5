// In-place ops and bad sizes: each case once produced a wrong value, a wrong
// gradient, a leak or a crash instead of a correct result or a clear error.

#include "ember.h"
#include "helpers.h"

using namespace ember;
using ember_test::ErrorMentions;

TEST_CASE("an in-place op whose operand is the tensor itself has the right gradient",
          "[autograd]") {
  Tensor x = tensor({1.f, 2.f}).requires_grad_();
  Tensor y = x * 3.0;

  y.mul_(y);  // y = 9 x^2
  y.sum().backward();

  CHECK(x.grad().to_vector<float>() == std::vector<float>{18.f, 36.f});
}

TEST_CASE("an in-place add of a transposed view of itself reads the old values",
          "[tensor]") {
  Tensor a = arange(9.0, kFloat32).view({3, 3});
  Tensor expected = a.clone() + a.t().clone();

  a.add_(a.t());

  CHECK(allclose(a, expected));
}

TEST_CASE("an in-place change of a tensor with live autograd views is refused", "[autograd]") {
  Tensor x = tensor({1.f, 2.f}).requires_grad_();
  Tensor y = x * 1.0;
  Tensor v = y.narrow(0, 0, 1);

  CHECK_THROWS_MATCHES(y.mul_(2.0), Error, ErrorMentions({"mul_", "views"}));
}

TEST_CASE("a hook that changes the gradient's shape is refused", "[autograd]") {
  Tensor x = tensor({1.f, 2.f}).requires_grad_();
  x.register_hook([](const Tensor&) { return ones({5}); });

  CHECK_THROWS_MATCHES((x * 2.0).sum().backward(), Error, ErrorMentions({"hook", "[5]"}));
}

TEST_CASE("writing into an expanded tensor is refused", "[tensor]") {
  Tensor a = zeros({1, 3}).expand({2, 3});
  Tensor src = ones({2, 3});

  CHECK_THROWS_MATCHES(a.copy_(src), Error, ErrorMentions({"copy_", "stride 0"}));
  CHECK_THROWS_MATCHES(add_out(a, src, src), Error, ErrorMentions({"add_out", "stride 0"}));
}

TEST_CASE("shapes whose element count overflows are refused", "[tensor]") {
  CHECK_THROWS_MATCHES(zeros({int64_t{1} << 32, int64_t{1} << 32}), Error,
                       ErrorMentions({"empty", "64 bits"}));
  CHECK_THROWS_MATCHES(ones({1, 1}).expand({int64_t{1} << 32, int64_t{1} << 32}), Error,
                       ErrorMentions({"64 bits"}));
}

TEST_CASE("integer tensors refuse fractional in-place scalars", "[tensor]") {
  Tensor a = tensor(std::vector<int64_t>{1, 2});

  CHECK_THROWS_MATCHES(a.add_(0.5), Error, ErrorMentions({"add_", "int64"}));
  CHECK_THROWS_MATCHES(full({2}, NAN, kInt64), Error, ErrorMentions({"fill_", "int64"}));
  CHECK((a + 1e19).dtype() == kFloat32);
}

TEST_CASE("std of a constant input has a zero gradient, not NaN", "[autograd]") {
  Tensor x = tensor({2.f, 2.f, 2.f}).requires_grad_();

  ember::std(x).backward();

  CHECK(x.grad().to_vector<float>() == std::vector<float>{0.f, 0.f, 0.f});
}
