// Autograd behaviour: accumulation, retain_grad, detach, grad mode, hooks,
// graph lifetime, version counters and the errors for misuse.

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "framework/allocator.h"
#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/reduce.h"

using ember::Tensor;
using ember::TensorOptions;
using ember_test::ErrorMentions;

namespace {

// A float64 leaf that requires grad, holding `values`.
Tensor leaf(std::vector<double> values, ember::Shape shape = {}) {
  return ember::tensor(values, shape, TensorOptions(ember::kFloat64, true));
}

std::vector<double> values_of(const Tensor& x) { return x.to_vector<double>(); }

}  // namespace

TEST_CASE("gradients accumulate into a leaf across backward calls", "[autograd]") {
  Tensor x = leaf({1.0, 2.0, 3.0});

  (x * x).sum().backward();
  (x * x).sum().backward();

  CHECK(values_of(x.grad()) == std::vector<double>{4.0, 8.0, 12.0});
}

TEST_CASE("zero_grad clears a leaf's gradient to none or to zeros", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  (x * 3.0).sum().backward();

  x.zero_grad(/*set_to_none=*/false);
  REQUIRE(x.grad().defined());
  CHECK(values_of(x.grad()) == std::vector<double>{0.0, 0.0});

  x.zero_grad();
  CHECK_FALSE(x.grad().defined());

  (x * 3.0).sum().backward();
  CHECK(values_of(x.grad()) == std::vector<double>{3.0, 3.0});
}

TEST_CASE("a leaf and an op output report is_leaf, requires_grad and grad_fn", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor constant = ember::tensor(std::vector<double>{5.0, 6.0});

  Tensor y = x * 2.0;
  Tensor untracked = constant * 2.0;

  CHECK(x.is_leaf());
  CHECK(x.requires_grad());
  CHECK(x.grad_fn() == nullptr);
  CHECK_FALSE(y.is_leaf());
  CHECK(y.requires_grad());
  REQUIRE(y.grad_fn() != nullptr);
  CHECK_FALSE(y.grad_fn()->name().empty());
  CHECK(untracked.is_leaf());
  CHECK_FALSE(untracked.requires_grad());
}

TEST_CASE("a non-leaf keeps its gradient only after retain_grad", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor kept = x * 2.0;
  Tensor dropped = x * 3.0;
  kept.retain_grad();

  ((kept * kept).sum() + dropped.sum()).backward();

  CHECK(kept.retains_grad());
  REQUIRE(kept.grad().defined());
  CHECK(values_of(kept.grad()) == std::vector<double>{4.0, 8.0});
  CHECK_FALSE(dropped.grad().defined());
  CHECK(values_of(x.grad()) == std::vector<double>{11.0, 19.0});
}

TEST_CASE("detach cuts the graph but shares storage", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2.0;

  Tensor d = y.detach();
  d.fill_(7.0);

  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(d.storage() == y.storage());
  CHECK(values_of(y) == std::vector<double>{7.0, 7.0});
}

TEST_CASE("NoGradGuard stops graph recording and restores the mode after", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  REQUIRE(ember::GradMode::is_enabled());

  Tensor inside;
  Tensor re_enabled;
  {
    ember::NoGradGuard no_grad;
    inside = x * 2.0;
    CHECK_FALSE(ember::GradMode::is_enabled());
    {
      ember::EnableGradGuard enable;
      re_enabled = x * 2.0;
    }
    CHECK_FALSE(ember::GradMode::is_enabled());
  }

  CHECK(ember::GradMode::is_enabled());
  CHECK_FALSE(inside.requires_grad());
  CHECK(inside.grad_fn() == nullptr);
  CHECK(re_enabled.requires_grad());
}

TEST_CASE("a hook on a leaf sees its gradient and may replace it", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  std::vector<double> seen;
  x.register_hook([&seen](const Tensor& grad) {
    seen = grad.to_vector<double>();
    return Tensor();  // keep the gradient
  });
  x.register_hook([](const Tensor& grad) { return grad * 10.0; });

  (x * x).sum().backward();

  CHECK(seen == std::vector<double>{2.0, 4.0});
  CHECK(values_of(x.grad()) == std::vector<double>{20.0, 40.0});
}

TEST_CASE("a hook on a non-leaf replaces the gradient flowing further back", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2.0;
  std::vector<double> seen;
  y.register_hook([&seen](const Tensor& grad) {
    seen = grad.to_vector<double>();
    return ember::ones_like(grad);
  });

  (y * y).sum().backward();

  CHECK(seen == std::vector<double>{4.0, 8.0});
  CHECK(values_of(x.grad()) == std::vector<double>{2.0, 2.0});
}

TEST_CASE("registering a hook on a tensor that needs no grad throws", "[autograd]") {
  Tensor constant = ember::ones({2});

  CHECK_THROWS_MATCHES(constant.register_hook([](const Tensor&) { return Tensor(); }),
                       ember::Error, ErrorMentions({"register_hook", "[2]"}));
}

TEST_CASE("a second backward through a freed graph throws naming retain_graph",
          "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor loss = (x * x).sum();
  loss.backward();

  CHECK_THROWS_MATCHES(loss.backward(), ember::Error, ErrorMentions({"retain_graph"}));
}

TEST_CASE("backward with retain_graph can run through the same graph twice", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor loss = (x * x).sum();

  loss.backward(Tensor(), /*retain_graph=*/true);
  loss.backward();

  CHECK(values_of(x.grad()) == std::vector<double>{4.0, 8.0});
}

TEST_CASE("changing a tensor saved for backward in place makes backward throw",
          "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor w = ember::tensor(std::vector<double>{3.0, 4.0});
  Tensor loss = (x * w).sum();  // saves w for x's gradient

  w.add_(1.0);

  CHECK_THROWS_MATCHES(loss.backward(), ember::Error,
                       ErrorMentions({"modified by an in-place operation", "version"}));
}

TEST_CASE("an in-place change of a leaf that requires grad throws", "[autograd]") {
  Tensor x = leaf({1.0, 2.0}, {2});

  CHECK_THROWS_MATCHES(x.add_(1.0), ember::Error, ErrorMentions({"add_", "leaf", "[2]"}));
  CHECK_THROWS_MATCHES(x.mul_(x), ember::Error, ErrorMentions({"mul_", "leaf"}));
  CHECK(values_of(x) == std::vector<double>{1.0, 2.0});
}

TEST_CASE("an in-place change of a leaf is allowed under NoGradGuard", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});

  {
    ember::NoGradGuard no_grad;
    x.mul_(2.0);
  }

  CHECK(values_of(x) == std::vector<double>{2.0, 4.0});
  CHECK(x.is_leaf());
  CHECK(x.requires_grad());
}

TEST_CASE("an in-place op on a non-leaf is differentiated through its new history",
          "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2.0;

  y.mul_(3.0);
  y.sum().backward();

  CHECK(values_of(y) == std::vector<double>{6.0, 12.0});
  CHECK(values_of(x.grad()) == std::vector<double>{6.0, 6.0});
}

TEST_CASE("backward of a non-scalar without a gradient throws naming the shape",
          "[autograd]") {
  Tensor x = ember::ones({2, 3}, TensorOptions(ember::kFloat32, true));
  Tensor y = x * 2.0;

  CHECK_THROWS_MATCHES(y.backward(), ember::Error,
                       ErrorMentions({"backward", "scalar", "[2, 3]"}));
}

TEST_CASE("backward of a non-scalar takes an explicit gradient of its shape", "[autograd]") {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * x;

  y.backward(ember::tensor(std::vector<double>{1.0, 0.5, 0.0}));

  CHECK(values_of(x.grad()) == std::vector<double>{2.0, 2.0, 0.0});
  CHECK_THROWS_MATCHES((x * x).backward(ember::ones({2}, ember::kFloat64)), ember::Error,
                       ErrorMentions({"backward", "[2]", "[3]"}));
}

TEST_CASE("backward of a tensor that does not require grad throws", "[autograd]") {
  Tensor constant = ember::ones({1});

  CHECK_THROWS_MATCHES(constant.backward(), ember::Error,
                       ErrorMentions({"backward", "does not require grad"}));
}

TEST_CASE("gradients from several paths to one tensor are summed", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor a = x * 2.0;
  Tensor b = x * x;

  (a * b).sum().backward();  // d/dx 2x^3 = 6x^2

  CHECK(values_of(x.grad()) == std::vector<double>{6.0, 24.0});
}

TEST_CASE("backward of several outputs at once sums their contributions", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor a = (x * 2.0).sum();
  Tensor b = (x * x).sum();

  ember::backward({a, b});

  CHECK(values_of(x.grad()) == std::vector<double>{4.0, 6.0});
}

TEST_CASE("a gradient through a view reaches the base leaf in its layout", "[autograd]") {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3});
  Tensor weights = ember::tensor(std::vector<double>{1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {3, 2});

  (x.t() * weights).sum().backward();

  CHECK(x.grad().shape() == ember::Shape{2, 3});
  CHECK(values_of(x.grad()) == std::vector<double>{1.0, 3.0, 5.0, 2.0, 4.0, 6.0});
}

TEST_CASE("only floating tensors can require grad", "[autograd]") {
  Tensor labels = ember::arange(3);

  CHECK_THROWS_MATCHES(labels.requires_grad_(), ember::Error,
                       ErrorMentions({"requires_grad", "int64"}));
}

TEST_CASE("a chain of 10,000 ops backpropagates without deep recursion", "[autograd]") {
  Tensor x = leaf({1.0});
  Tensor y = x;

  for (int i = 0; i < 10000; ++i) y = y * 1.0001;
  y.sum().backward();
  y = Tensor();  // frees the whole chain, again without recursing

  CHECK(x.grad().item() == Approx(std::pow(1.0001, 10000)).epsilon(1e-9));
}

TEST_CASE("a 100,000-step training loop keeps memory flat", "[autograd]") {
  auto& allocator = ember::CachingAllocator::instance();
  Tensor w = ember::zeros({8}, TensorOptions(ember::kFloat32, true));
  Tensor x = ember::linspace(-1.0, 1.0, 8);
  std::weak_ptr<ember::Node> first_graph;
  size_t in_use_after_warmup = 0;
  size_t most_in_use = 0;

  for (int step = 0; step < 100000; ++step) {
    Tensor loss = ((w * x - 1.0) * (w * x - 1.0)).mean();
    if (step == 0) first_graph = loss.grad_fn();
    loss.backward();
    {
      ember::NoGradGuard no_grad;
      w.sub_(w.grad(), 0.01);
    }
    w.zero_grad();
    size_t in_use = allocator.stats().bytes_in_use;
    if (step == 100) in_use_after_warmup = in_use;
    if (step > 100) most_in_use = std::max(most_in_use, in_use);
  }

  CHECK(first_graph.expired());
  CHECK(most_in_use <= in_use_after_warmup);
}

TEST_CASE("a graph dies with its outputs", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  std::weak_ptr<ember::Node> node;
  {
    Tensor y = (x * 2.0).exp();
    node = y.grad_fn();
    REQUIRE_FALSE(node.expired());
  }

  CHECK(node.expired());
}
