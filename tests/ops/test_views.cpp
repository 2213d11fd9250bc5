// Views: shapes and strides as PyTorch computes them, storage sharing, values,
// errors, and gradients (gradcheck, including non-contiguous inputs).

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/gradcheck.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

// 0, 1, ..., n-1 as float64 in `shape`.
Tensor iota(const Shape& shape) {
  return ember::arange(static_cast<double>(ember::shape_numel(shape)), ember::kFloat64)
      .reshape(shape);
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// A float64 leaf of `shape` that requires grad, laid out as the transpose of a
// contiguous tensor, so its last two dims are not contiguous.
Tensor transposed_leaf(const Shape& shape, uint64_t seed = 1) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  Tensor t = randn64(swapped, seed).transpose(-1, -2);
  t.requires_grad_(true);
  return t;
}

Tensor leaf(const Shape& shape, uint64_t seed = 2) {
  Tensor t = randn64(shape, seed);
  t.requires_grad_(true);
  return t;
}

}  // namespace

// ---- view and reshape ----

TEST_CASE("view shares storage with its base, so writes show through", "[ops]") {
  Tensor x = iota({2, 3, 4});

  Tensor v = x.view({6, 4});
  v.select(0, 5).fill_(-1.0);

  CHECK(v.shape() == Shape{6, 4});
  CHECK(v.storage() == x.storage());
  CHECK(v.unsafe_impl()->is_view);
  CHECK(values(x.select(0, 1).select(0, 2)) == std::vector<double>{-1, -1, -1, -1});
}

TEST_CASE("view infers a single -1 from the element count", "[ops]") {
  Tensor x = iota({2, 3, 4});

  CHECK(x.view({-1}).shape() == Shape{24});
  CHECK(x.view({4, -1}).shape() == Shape{4, 6});
  CHECK(x.view({-1, 2, 2}).shape() == Shape{6, 2, 2});
  CHECK(ember::zeros({0, 3}).view({-1}).shape() == Shape{0});
  CHECK(ember::scalar_tensor(5.0).view({1, 1}).shape() == Shape{1, 1});
  CHECK(ember::ones({1, 1}).view({}).shape() == Shape{});
}

TEST_CASE("view rejects shapes that do not fit, naming both shapes", "[ops]") {
  Tensor x = iota({2, 3, 4});

  CHECK_THROWS_MATCHES(x.view({5, -1}), ember::Error,
                       ErrorMentions({"view", "[5, -1]", "[2, 3, 4]"}));
  CHECK_THROWS_MATCHES(x.view({5, 5}), ember::Error, ErrorMentions({"view", "[5, 5]", "24"}));
  CHECK_THROWS_MATCHES(x.view({-1, -1}), ember::Error, ErrorMentions({"view", "only one"}));
  CHECK_THROWS_MATCHES(x.view({-2, 12}), ember::Error, ErrorMentions({"view", "-2"}));
  CHECK_THROWS_MATCHES(x.view({-1, 0}), ember::Error, ErrorMentions({"view", "[-1, 0]"}));
  CHECK_THROWS_MATCHES(ember::zeros({0, 3}).view({0, -1}), ember::Error,
                       ErrorMentions({"view", "[0, -1]", "0 elements"}));
}

TEST_CASE("view refuses strides that cannot express the shape and points to reshape",
          "[ops]") {
  Tensor x = iota({2, 3, 4});

  CHECK_THROWS_MATCHES(x.transpose(0, 1).view({6, 4}), ember::Error,
                       ErrorMentions({"view", "[3, 2, 4]", "[6, 4]", "reshape"}));
  CHECK_THROWS_MATCHES(x.transpose(1, 2).view({2, 12}), ember::Error,
                       ErrorMentions({"view", "reshape"}));
  CHECK_THROWS_MATCHES(x.permute({1, 0, 2}).view({3, 8}), ember::Error,
                       ErrorMentions({"view", "reshape"}));
  CHECK_THROWS_MATCHES(ember::ones({3, 1}).expand({3, 4}).view({12}), ember::Error,
                       ErrorMentions({"view", "reshape"}));
}

TEST_CASE("view splits and merges strided dims wherever PyTorch can", "[ops]") {
  // Strides below were printed by PyTorch 1.13 for the same calls.
  Tensor x = iota({2, 3, 4});

  Tensor a = x.transpose(1, 2).view({2, 4, 3});
  Tensor b = x.permute({1, 0, 2}).view({3, 2, 2, 2});
  Tensor c = ember::ones({3, 1}).expand({3, 4}).view({3, 2, 2});
  Tensor d = x.select(2, 1).view({6});  // [2, 3] with strides [12, 4] merges

  CHECK(a.strides() == Shape{12, 1, 4});
  CHECK(b.strides() == Shape{4, 12, 2, 1});
  CHECK(c.strides() == Shape{1, 0, 0});
  CHECK(d.strides() == Shape{4});
  CHECK(d.offset() == 1);
  CHECK(values(d) == std::vector<double>{1, 5, 9, 13, 17, 21});
}

TEST_CASE("reshape is a view when strides allow and a copy otherwise", "[ops]") {
  Tensor x = iota({2, 3, 4});
  Tensor t = x.transpose(0, 1);

  Tensor viewed = x.reshape({4, -1});
  Tensor copied = t.reshape({6, 4});

  CHECK(viewed.storage() == x.storage());
  CHECK(viewed.shape() == Shape{4, 6});
  CHECK(copied.storage() != x.storage());
  CHECK(copied.is_contiguous());
  CHECK(values(copied) == values(t.contiguous()));
  CHECK_THROWS_MATCHES(x.reshape({-1, 5}), ember::Error,
                       ErrorMentions({"reshape", "[-1, 5]", "[2, 3, 4]"}));
}

TEST_CASE("flatten merges the dims from start_dim to end_dim", "[ops]") {
  Tensor x = iota({2, 3, 4, 5});

  CHECK(x.flatten().shape() == Shape{120});
  CHECK(x.flatten(1).shape() == Shape{2, 60});
  CHECK(x.flatten(1, 2).shape() == Shape{2, 12, 5});
  CHECK(x.flatten(-2, -1).shape() == Shape{2, 3, 20});
  CHECK(x.flatten(2, 2).same(x));
  CHECK(ember::scalar_tensor(3.0).flatten().shape() == Shape{1});
  CHECK(values(x.transpose(0, 3).flatten(1)) == values(x.transpose(0, 3).contiguous()));
  CHECK_THROWS_MATCHES(x.flatten(2, 1), ember::Error,
                       ErrorMentions({"flatten", "start_dim", "[2, 3, 4, 5]"}));
}

// ---- reordering ----

TEST_CASE("permute reorders dims and strides without copying", "[ops]") {
  Tensor x = iota({2, 3, 4});

  Tensor p = x.permute({2, 0, -2});

  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Shape{1, 12, 4});
  CHECK(p.storage() == x.storage());
  CHECK(values(p.select(0, 1).select(0, 1)) == std::vector<double>{13, 17, 21});
  CHECK(ember::scalar_tensor(1.0).permute({}).shape() == Shape{});
}

TEST_CASE("permute rejects a wrong number of dims, repeats and bad dims", "[ops]") {
  Tensor x = iota({2, 3, 4});

  CHECK_THROWS_MATCHES(x.permute({0, 1}), ember::Error,
                       ErrorMentions({"permute", "[0, 1]", "[2, 3, 4]"}));
  CHECK_THROWS_MATCHES(x.permute({0, 1, 1}), ember::Error,
                       ErrorMentions({"permute", "twice", "[0, 1, 1]"}));
  CHECK_THROWS_MATCHES(x.permute({0, 1, 3}), ember::Error, ErrorMentions({"permute", "3"}));
}

TEST_CASE("transpose swaps two dims and t transposes at most 2 dims", "[ops]") {
  Tensor m = iota({2, 3});
  Tensor x = iota({2, 3, 4});

  CHECK(m.t().shape() == Shape{3, 2});
  CHECK(m.t().strides() == Shape{1, 3});
  CHECK(values(m.t()) == std::vector<double>{0, 3, 1, 4, 2, 5});
  CHECK(x.transpose(0, -1).shape() == Shape{4, 3, 2});
  CHECK(x.transpose(1, 1).shape() == x.shape());
  CHECK(iota({3}).t().shape() == Shape{3});
  CHECK(ember::scalar_tensor(1.0).t().shape() == Shape{});
  CHECK_THROWS_MATCHES(x.t(), ember::Error, ErrorMentions({"t:", "[2, 3, 4]", "transpose"}));
  CHECK_THROWS_MATCHES(x.transpose(0, 3), ember::Error, ErrorMentions({"transpose", "3"}));
}

// ---- size-1 dims ----

TEST_CASE("squeeze drops size-1 dims; squeeze(dim) leaves other sizes alone", "[ops]") {
  Tensor x = iota({2, 1, 3, 1});

  CHECK(x.squeeze().shape() == Shape{2, 3});
  CHECK(x.squeeze(1).shape() == Shape{2, 3, 1});
  CHECK(x.squeeze(-1).shape() == Shape{2, 1, 3});
  CHECK(x.squeeze(0).shape() == x.shape());
  CHECK(x.squeeze().storage() == x.storage());
  CHECK(ember::scalar_tensor(1.0).squeeze(0).shape() == Shape{});
  CHECK(ember::ones({1, 1}).squeeze().shape() == Shape{});
  CHECK_THROWS_MATCHES(x.squeeze(4), ember::Error, ErrorMentions({"squeeze", "4"}));
}

TEST_CASE("unsqueeze inserts a size-1 dim anywhere, the end included", "[ops]") {
  Tensor x = iota({2, 3, 4});

  CHECK(x.unsqueeze(0).shape() == Shape{1, 2, 3, 4});
  CHECK(x.unsqueeze(1).strides() == Shape{12, 12, 4, 1});
  CHECK(x.unsqueeze(3).shape() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(-1).is_contiguous());
  CHECK(ember::scalar_tensor(1.0).unsqueeze(-1).shape() == Shape{1});
  CHECK_THROWS_MATCHES(x.unsqueeze(4), ember::Error, ErrorMentions({"unsqueeze", "4"}));
}

// ---- expand ----

TEST_CASE("expand stretches size-1 dims with stride 0 and adds leading dims", "[ops]") {
  Tensor x = iota({3, 1});

  Tensor e = x.expand({2, 3, 4});

  CHECK(e.shape() == Shape{2, 3, 4});
  CHECK(e.strides() == Shape{0, 1, 0});
  CHECK(e.storage() == x.storage());
  CHECK(values(e.select(0, 1).select(0, 2)) == std::vector<double>{2, 2, 2, 2});
  CHECK(x.expand({-1, 5}).shape() == Shape{3, 5});
  CHECK(x.expand({3, 0}).shape() == Shape{3, 0});
  CHECK(ember::scalar_tensor(7.0).expand({2, 2}).strides() == Shape{0, 0});
  CHECK(x.expand_as(ember::zeros({3, 6})).shape() == Shape{3, 6});
}

TEST_CASE("expand errors follow PyTorch's rules and name the shapes", "[ops]") {
  Tensor x = iota({2, 3, 4});

  CHECK_THROWS_MATCHES(x.expand({3, 4}), ember::Error,
                       ErrorMentions({"expand", "[2, 3, 4]", "[3, 4]"}));
  CHECK_THROWS_MATCHES(x.expand({2, 3, 5}), ember::Error,
                       ErrorMentions({"expand", "[2, 3, 5]", "[2, 3, 4]", "non-singleton"}));
  CHECK_THROWS_MATCHES(x.expand({-1, 2, 3, 4}), ember::Error,
                       ErrorMentions({"expand", "-1", "leading"}));
  CHECK_THROWS_MATCHES(x.expand({2, -2, 4}), ember::Error, ErrorMentions({"expand", "-2"}));
}

// ---- parts: narrow, select, slice ----

TEST_CASE("narrow takes a run of a dim, start may count from the end", "[ops]") {
  Tensor x = iota({4, 5});

  Tensor n = x.narrow(1, 1, 3);

  CHECK(n.shape() == Shape{4, 3});
  CHECK(n.offset() == 1);
  CHECK(n.storage() == x.storage());
  CHECK(values(n.select(0, 2)) == std::vector<double>{11, 12, 13});
  CHECK(values(x.narrow(0, -1, 1)) == std::vector<double>{15, 16, 17, 18, 19});
  CHECK(x.narrow(0, 4, 0).shape() == Shape{0, 5});
  CHECK_THROWS_MATCHES(x.narrow(1, 3, 3), ember::Error,
                       ErrorMentions({"narrow", "3", "[4, 5]"}));
  CHECK_THROWS_MATCHES(x.narrow(1, -6, 1), ember::Error, ErrorMentions({"narrow", "-6"}));
  CHECK_THROWS_MATCHES(ember::scalar_tensor(1.0).narrow(0, 0, 1), ember::Error,
                       ErrorMentions({"narrow", "0-d"}));
}

TEST_CASE("select drops a dim at one index, negative indices wrap", "[ops]") {
  Tensor x = iota({2, 3, 4});

  Tensor s = x.select(1, -1);

  CHECK(s.shape() == Shape{2, 4});
  CHECK(s.offset() == 8);
  CHECK(values(s) == std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(values(x[1][0]) == std::vector<double>{12, 13, 14, 15});
  CHECK_THROWS_MATCHES(x.select(1, 3), ember::Error,
                       ErrorMentions({"select", "index 3", "size 3", "[2, 3, 4]"}));
  CHECK_THROWS_MATCHES(x.select(1, -4), ember::Error, ErrorMentions({"select", "-4"}));
  CHECK_THROWS_MATCHES(x.select(3, 0), ember::Error, ErrorMentions({"select", "dim 3"}));
  CHECK_THROWS_MATCHES(ember::scalar_tensor(1.0).select(0, 0), ember::Error,
                       ErrorMentions({"select", "0-d"}));
}

TEST_CASE("slice takes every step-th element and clamps bounds like Python", "[ops]") {
  Tensor x = iota({10});
  const int64_t big = std::numeric_limits<int64_t>::max();

  CHECK(values(x.slice(0, 1, 8, 3)) == std::vector<double>{1, 4, 7});
  CHECK(values(x.slice(0, -3, big)) == std::vector<double>{7, 8, 9});
  CHECK(values(x.slice(0, -100, 2)) == std::vector<double>{0, 1});
  CHECK(values(x.slice(0, 0, -7, 2)) == std::vector<double>{0, 2});
  CHECK(x.slice(0, 5, 1).shape() == Shape{0});
  CHECK(x.slice(0, 20, 30).shape() == Shape{0});
  CHECK(x.slice(0, 0, big, 4).strides() == Shape{4});
  CHECK_THROWS_MATCHES(x.slice(0, 0, 5, 0), ember::Error, ErrorMentions({"slice", "step"}));
  CHECK_THROWS_MATCHES(x.slice(0, 0, 5, -1), ember::Error, ErrorMentions({"slice", "-1"}));
}

TEST_CASE("slice of a 2-D tensor matches PyTorch's x[:, -100:100:2]", "[ops]") {
  Tensor x = iota({2, 3, 4});

  Tensor s = x.slice(1, -100, 100, 2);

  CHECK(s.shape() == Shape{2, 2, 4});
  CHECK(s.strides() == Shape{12, 8, 1});
  CHECK(values(s.select(0, 0)) == std::vector<double>{0, 1, 2, 3, 8, 9, 10, 11});
}

TEST_CASE("views of views compose their offsets and strides", "[ops]") {
  Tensor x = iota({4, 6});

  Tensor v = x.slice(1, 1, 6, 2).t().narrow(1, 1, 2).select(0, 2);

  CHECK(v.shape() == Shape{2});
  CHECK(values(v) == std::vector<double>{11, 17});
}

// ---- gradients ----

TEST_CASE("view and reshape pass gradients back in the input's shape", "[ops][gradcheck]") {
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].view({4, -1}); },
                  TensorList{leaf({2, 3, 4})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].reshape({6, 4}); },
                  TensorList{transposed_leaf({4, 6})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].flatten(); },
                  TensorList{transposed_leaf({2, 3, 4})});
}

TEST_CASE("permute, transpose and t pass gradients back", "[ops][gradcheck]") {
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].permute({2, 0, 1}); },
                  TensorList{transposed_leaf({2, 3, 4})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].transpose(0, 2) * 2.0; },
                  TensorList{leaf({2, 3, 4})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].t(); },
                  TensorList{transposed_leaf({3, 5})});
}

TEST_CASE("squeeze and unsqueeze pass gradients back", "[ops][gradcheck]") {
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].squeeze(); },
                  TensorList{leaf({2, 1, 3, 1})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].squeeze(1); },
                  TensorList{leaf({2, 1, 3})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].unsqueeze(1); },
                  TensorList{transposed_leaf({3, 4})});
}

TEST_CASE("expand sums the gradient over stretched and new dims", "[ops][gradcheck]") {
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].expand({2, 3, 4}); },
                  TensorList{leaf({3, 1})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].expand({5, -1, -1}); },
                  TensorList{transposed_leaf({3, 2})});

  Tensor x = leaf({3, 1});
  x.expand({2, 3, 4}).sum().backward();
  CHECK(values(x.grad()) == std::vector<double>{8, 8, 8});
}

TEST_CASE("narrow, select and slice put the gradient in the right place", "[ops][gradcheck]") {
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].narrow(1, 1, 2); },
                  TensorList{transposed_leaf({3, 4})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].select(0, -1); },
                  TensorList{transposed_leaf({3, 4})});
  CHECK_GRADCHECK([](const TensorList& in) { return in[0].slice(1, 0, 5, 2); },
                  TensorList{leaf({3, 5})});

  Tensor x = leaf({4});
  x.slice(0, 1, 4, 2).sum().backward();
  CHECK(values(x.grad()) == std::vector<double>{0, 1, 0, 1});
}

TEST_CASE("gradients of overlapping views of one tensor add up", "[ops][autograd]") {
  Tensor x = leaf({3, 2});

  Tensor y = x.select(0, 1) * 2.0 + x.narrow(0, 0, 2).sum({0}) +
             x.t().select(0, 1).narrow(0, 0, 2);
  y.sum().backward();

  CHECK(values(x.grad()) == std::vector<double>{1, 2, 3, 4, 0, 0});
}

TEST_CASE("views of a tensor without grad record no graph", "[ops][autograd]") {
  Tensor x = iota({2, 3});
  Tensor w = leaf({2, 3});

  CHECK(x.t().grad_fn() == nullptr);
  CHECK(w.t().grad_fn() != nullptr);
  CHECK(w.t().grad_fn()->name() == "TransposeBackward");
  ember::NoGradGuard no_grad;
  CHECK(w.t().grad_fn() == nullptr);
}
