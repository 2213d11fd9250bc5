// Joining, splitting, index-driven selection and scattering: shapes, values,
// dtype rules, errors, gradients, and the parallel paths on larger inputs.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "framework/gradcheck.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "framework/tensor.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/reduce.h"

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

Tensor iota(const Shape& shape, double start = 0.0) {
  Tensor t = ember::arange(static_cast<double>(ember::shape_numel(shape)), ember::kFloat64);
  return (t + start).reshape(shape);
}

Tensor indices(const std::vector<int64_t>& values, const Shape& shape = {}) {
  return ember::tensor(values, shape);
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

Tensor leaf(const Shape& shape, uint64_t seed = 3) {
  Tensor t = randn64(shape, seed);
  t.requires_grad_(true);
  return t;
}

// A float64 leaf of `shape` whose last two dims are swapped in memory.
Tensor transposed_leaf(const Shape& shape, uint64_t seed = 4) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  Tensor t = randn64(swapped, seed).transpose(-1, -2);
  t.requires_grad_(true);
  return t;
}

// Runs `make` with one thread and with the default count; the two results
// must agree bit for bit.
template <typename Make>
void check_thread_independent(const Make& make) {
  int threads = ember::get_num_threads();
  ember::set_num_threads(1);
  std::vector<double> serial = values(make());
  ember::set_num_threads(threads);
  CHECK(values(make()) == serial);
}

}  // namespace

// ---- cat ----

TEST_CASE("cat joins tensors along an existing dim", "[ops]") {
  Tensor a = iota({2, 3});
  Tensor b = iota({2, 2}, 100);
  Tensor c = iota({1, 3}, 50);

  Tensor along_1 = ember::cat({a, b}, 1);
  Tensor along_0 = ember::cat({a, c, a}, -2);

  CHECK(along_1.shape() == Shape{2, 5});
  CHECK(values(along_1) == std::vector<double>{0, 1, 2, 100, 101, 3, 4, 5, 102, 103});
  CHECK(along_0.shape() == Shape{5, 3});
  CHECK(values(along_0.select(0, 2)) == std::vector<double>{50, 51, 52});
  CHECK(along_0.storage() != a.storage());
}

TEST_CASE("cat reads non-contiguous and expanded inputs", "[ops]") {
  Tensor a = iota({3, 2}).t();
  Tensor b = iota({2, 1}, 10).expand({2, 3});

  Tensor out = ember::cat({a, b}, 0);

  CHECK(values(out) == std::vector<double>{0, 2, 4, 1, 3, 5, 10, 10, 10, 11, 11, 11});
}

TEST_CASE("cat promotes mixed dtypes like PyTorch", "[ops]") {
  Tensor i = ember::ones({2, 3}, ember::kInt64);
  Tensor b = ember::ones({2, 3}, ember::kBool);
  Tensor f = ember::full({1, 3}, 2.5);
  Tensor d = ember::full({1, 3}, 0.5, ember::kFloat64);

  CHECK(ember::cat({i, b}).dtype() == ember::kInt64);
  CHECK(ember::cat({f, b}).dtype() == ember::kFloat32);
  CHECK(ember::cat({i, f}).dtype() == ember::kFloat32);
  Tensor mixed = ember::cat({f, i, d});
  CHECK(mixed.dtype() == ember::kFloat64);
  CHECK(values(mixed.select(1, 0)) == std::vector<double>{2.5, 1, 1, 0.5});
}

TEST_CASE("cat skips legacy empty 1-D tensors but promotes their dtype", "[ops]") {
  Tensor empty64 = ember::zeros({0}, ember::kFloat64);
  Tensor x = iota({2, 3}).to(ember::kFloat32);

  Tensor out = ember::cat({empty64, x, empty64}, 1);

  CHECK(out.shape() == Shape{2, 3});
  CHECK(out.dtype() == ember::kFloat64);
  CHECK(values(out) == values(x));
  CHECK(ember::cat({ember::zeros({0}), ember::zeros({0})}).shape() == Shape{0});
  CHECK(ember::cat({ember::zeros({2, 0}), ember::zeros({2, 3})}, 1).shape() == Shape{2, 3});
}

TEST_CASE("cat rejects mismatched inputs naming the position and shapes", "[ops]") {
  Tensor a = ember::ones({2, 3});

  CHECK_THROWS_MATCHES(ember::cat({}), ember::Error, ErrorMentions({"cat", "non-empty"}));
  CHECK_THROWS_MATCHES(ember::cat({a, ember::ones({3, 3})}, 1), ember::Error,
                       ErrorMentions({"cat", "[2, 3]", "[3, 3]", "position 1"}));
  CHECK_THROWS_MATCHES(ember::cat({a, ember::ones({3})}, 0), ember::Error,
                       ErrorMentions({"cat", "number of dims", "[3]"}));
  CHECK_THROWS_MATCHES(ember::cat({a, ember::scalar_tensor(1.0)}), ember::Error,
                       ErrorMentions({"cat", "0-d", "position 1"}));
  CHECK_THROWS_MATCHES(ember::cat({a, a}, 2), ember::Error, ErrorMentions({"cat", "dim 2"}));
}

TEST_CASE("cat sends each input its slab of the gradient", "[ops][gradcheck]") {
  auto cat_1 = [](const TensorList& in) { return ember::cat(in, 1); };
  auto cat_0 = [](const TensorList& in) { return ember::cat(in, 0); };

  CHECK_GRADCHECK(cat_1, (TensorList{leaf({2, 3}), transposed_leaf({2, 4}), leaf({2, 1})}));
  CHECK_GRADCHECK(cat_0, (TensorList{transposed_leaf({2, 3}), leaf({0}), leaf({1, 3})}));
  CHECK_GRADCHECK(cat_0, (TensorList{leaf({2, 3}), randn64({2, 3})}));
}

TEST_CASE("cat returns each gradient in its input's dtype", "[ops][autograd]") {
  Tensor a = ember::ones({2}, ember::TensorOptions(ember::kFloat32, true));
  Tensor b = ember::ones({3}, ember::TensorOptions(ember::kFloat64, true));

  (ember::cat({a, b}) * iota({5})).sum().backward();

  CHECK(a.grad().dtype() == ember::kFloat32);
  CHECK(values(a.grad()) == std::vector<double>{0, 1});
  CHECK(b.grad().dtype() == ember::kFloat64);
  CHECK(values(b.grad()) == std::vector<double>{2, 3, 4});
}

// ---- stack ----

TEST_CASE("stack joins equal shapes along a new dim", "[ops]") {
  Tensor a = iota({2, 3});
  Tensor b = iota({2, 3}, 10);

  Tensor front = ember::stack({a, b});
  Tensor back = ember::stack({a, b}, -1);

  CHECK(front.shape() == Shape{2, 2, 3});
  CHECK(values(front.select(0, 1)) == values(b));
  CHECK(back.shape() == Shape{2, 3, 2});
  CHECK(values(back.select(0, 0)) == std::vector<double>{0, 10, 1, 11, 2, 12});
  Tensor scalars = ember::stack({ember::scalar_tensor(1.0), ember::scalar_tensor(2.0)});
  CHECK(scalars.shape() == Shape{2});
  CHECK(ember::stack({a, b.to(ember::kInt64)}).dtype() == ember::kFloat64);
}

TEST_CASE("stack rejects unequal shapes and bad dims", "[ops]") {
  Tensor a = ember::ones({2, 3});

  CHECK_THROWS_MATCHES(ember::stack({}), ember::Error, ErrorMentions({"stack", "non-empty"}));
  CHECK_THROWS_MATCHES(ember::stack({a, ember::ones({2, 4})}), ember::Error,
                       ErrorMentions({"stack", "[2, 3]", "[2, 4]", "position 1"}));
  CHECK_THROWS_MATCHES(ember::stack({a, a}, 3), ember::Error, ErrorMentions({"stack", "3"}));
}

TEST_CASE("stack sends each input its slot of the gradient", "[ops][gradcheck]") {
  auto stack_1 = [](const TensorList& in) { return ember::stack(in, 1); };

  CHECK_GRADCHECK(stack_1, (TensorList{leaf({2, 3}), transposed_leaf({2, 3})}));
}

// ---- split and chunk ----

TEST_CASE("split cuts views of split_size, the last one smaller", "[ops]") {
  Tensor x = iota({5, 2});

  std::vector<Tensor> pieces = ember::split(x, 2);

  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].shape() == Shape{2, 2});
  CHECK(pieces[2].shape() == Shape{1, 2});
  CHECK(pieces[1].storage() == x.storage());
  CHECK(values(pieces[1]) == std::vector<double>{4, 5, 6, 7});
  CHECK(ember::split(x, 1, 1).size() == 2);
  CHECK(ember::split(x, 7).size() == 1);
  CHECK(ember::split(ember::zeros({0}), 2).size() == 1);
  CHECK(ember::split(ember::zeros({0}), 0).size() == 1);
}

TEST_CASE("chunk cuts into at most `chunks` pieces of ceil(size / chunks)", "[ops]") {
  Tensor x = iota({5});

  std::vector<Tensor> three = ember::chunk(x, 3);
  std::vector<Tensor> four = ember::chunk(iota({6}), 4);

  REQUIRE(three.size() == 3);
  CHECK(values(three[2]) == std::vector<double>{4});
  CHECK(four.size() == 3);
  CHECK(ember::chunk(x, 4).size() == 3);
  CHECK(ember::chunk(ember::zeros({0}), 3).size() == 3);
  CHECK(ember::chunk(iota({2, 6}), 2, -1)[1].shape() == Shape{2, 3});
}

TEST_CASE("split and chunk reject bad sizes and 0-d tensors", "[ops]") {
  Tensor x = iota({3});

  CHECK_THROWS_MATCHES(ember::split(x, -1), ember::Error, ErrorMentions({"split", "-1"}));
  CHECK_THROWS_MATCHES(ember::split(x, 0), ember::Error, ErrorMentions({"split", "[3]"}));
  CHECK_THROWS_MATCHES(ember::split(ember::scalar_tensor(1.0), 1), ember::Error,
                       ErrorMentions({"split", "0-d"}));
  CHECK_THROWS_MATCHES(ember::chunk(x, 0), ember::Error, ErrorMentions({"chunk", "0"}));
  CHECK_THROWS_MATCHES(ember::chunk(x, 1, 1), ember::Error, ErrorMentions({"chunk", "dim 1"}));
}

TEST_CASE("split pieces pass their gradients back to the whole", "[ops][gradcheck]") {
  CHECK_GRADCHECK(
      [](const TensorList& in) {
        std::vector<Tensor> pieces = ember::split(in[0], 2, 1);
        return pieces[0] * 2.0 + pieces[1];
      },
      TensorList{transposed_leaf({3, 5})});
  CHECK_GRADCHECK([](const TensorList& in) { return ember::chunk(in[0], 3, 0)[1]; },
                  TensorList{leaf({6, 2})});
}

// ---- index_select ----

TEST_CASE("index_select picks slices along a dim, repeats allowed", "[ops]") {
  Tensor x = iota({3, 4});

  Tensor cols = ember::index_select(x, 1, indices({3, 0, 3}));
  Tensor rows = ember::index_select(x, -2, indices({2}));

  CHECK(cols.shape() == Shape{3, 3});
  CHECK(values(cols) == std::vector<double>{3, 0, 3, 7, 4, 7, 11, 8, 11});
  CHECK(values(rows) == std::vector<double>{8, 9, 10, 11});
  CHECK(ember::index_select(x, 1, indices({}, {0})).shape() == Shape{3, 0});
  CHECK(values(ember::index_select(x.t(), 0, indices({1}))) == std::vector<double>{1, 5, 9});
  CHECK(ember::index_select(ember::scalar_tensor(5.0), 0, indices({0})).shape() == Shape{});
  Tensor labels = ember::tensor(std::vector<int64_t>{7, 8, 9});
  CHECK(values(ember::index_select(labels, 0, indices({2, 0}))) == std::vector<double>{9, 7});
}

TEST_CASE("index_select rejects bad indices naming the index and the size", "[ops]") {
  Tensor x = iota({3, 4});

  CHECK_THROWS_MATCHES(ember::index_select(x, 0, indices({0, 3})), ember::Error,
                       ErrorMentions({"index_select", "index 3", "size 3"}));
  CHECK_THROWS_MATCHES(ember::index_select(x, 0, indices({-1})), ember::Error,
                       ErrorMentions({"index_select", "index -1", "size 3"}));
  CHECK_THROWS_MATCHES(ember::index_select(x, 0, ember::tensor({0.f})), ember::Error,
                       ErrorMentions({"index_select", "int64", "float32"}));
  CHECK_THROWS_MATCHES(ember::index_select(x, 0, indices({0, 1}, {1, 2})), ember::Error,
                       ErrorMentions({"index_select", "1-D", "[1, 2]"}));
  CHECK_THROWS_MATCHES(ember::index_select(x, 2, indices({0})), ember::Error,
                       ErrorMentions({"index_select", "dim 2"}));
}

TEST_CASE("index_select adds the gradient back at every selected index",
          "[ops][gradcheck]") {
  Tensor index = indices({2, 0, 2, 2});

  CHECK_GRADCHECK([&](const TensorList& in) { return ember::index_select(in[0], 1, index); },
                  TensorList{transposed_leaf({2, 3})});
  CHECK_GRADCHECK([&](const TensorList& in) { return ember::index_select(in[0], 0, index); },
                  TensorList{leaf({3, 2, 2})});
}

TEST_CASE("index_select matches a plain loop on large inputs, on any thread count",
          "[ops]") {
  ember::Generator generator(11);
  Tensor x = ember::randn({40, 1000}, ember::kFloat64, &generator);
  Tensor rows = ember::randint(0, 40, {300}, ember::kInt64, &generator);
  Tensor cols = ember::randint(0, 1000, {900}, ember::kInt64, &generator);

  Tensor by_row = ember::index_select(x, 0, rows);
  Tensor by_col = ember::index_select(x.t(), 1, rows);  // non-contiguous input
  Tensor by_col2 = ember::index_select(x, 1, cols);

  std::vector<double> xs = values(x);
  std::vector<int64_t> r = rows.to_vector<int64_t>();
  std::vector<int64_t> c = cols.to_vector<int64_t>();
  std::vector<double> expect_row, expect_col, expect_col2;
  for (int64_t i : r) {
    for (int64_t j = 0; j < 1000; ++j) expect_row.push_back(xs[i * 1000 + j]);
  }
  for (int64_t j = 0; j < 1000; ++j) {
    for (int64_t i : r) expect_col.push_back(xs[i * 1000 + j]);
  }
  for (int64_t i = 0; i < 40; ++i) {
    for (int64_t j : c) expect_col2.push_back(xs[i * 1000 + j]);
  }
  CHECK(values(by_row) == expect_row);
  CHECK(values(by_col) == expect_col);
  CHECK(values(by_col2) == expect_col2);

  check_thread_independent([&] {
    Tensor w = x.detach().requires_grad_(true);
    ember::index_select(w, 1, cols).sum().backward();
    return w.grad();
  });
}

// ---- gather ----

TEST_CASE("gather reads x at the index along dim, elsewhere at the same place", "[ops]") {
  Tensor x = ember::tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});

  Tensor along_1 = ember::gather(x, 1, indices({0, 0, 1, 0}, {2, 2}));
  Tensor along_0 = ember::gather(x, 0, indices({1, 0}, {1, 2}));

  CHECK(values(along_1) == std::vector<double>{1, 1, 4, 3});
  CHECK(along_0.shape() == Shape{1, 2});
  CHECK(values(along_0) == std::vector<double>{3, 2});
  CHECK(values(ember::gather(x.t(), 1, indices({1}, {1, 1}))) == std::vector<double>{3});
  CHECK(ember::gather(iota({3, 4}), 1, indices({0, 0, 0, 0, 0}, {1, 5})).shape() ==
        Shape{1, 5});
  CHECK(ember::gather(iota({3, 4}), 1, indices({}, {3, 0})).shape() == Shape{3, 0});
  CHECK(values(ember::gather(ember::scalar_tensor(3.0), 0, indices({0, 0}))) ==
        std::vector<double>{3, 3});
}

TEST_CASE("gather rejects bad index shapes, dtypes and values", "[ops]") {
  Tensor x = iota({3, 4});

  CHECK_THROWS_MATCHES(ember::gather(x, 1, indices({0, 5}, {1, 2})), ember::Error,
                       ErrorMentions({"gather", "index 5", "size 4"}));
  CHECK_THROWS_MATCHES(ember::gather(x, 1, indices({0, 0, 0, 0, 0, 0, 0, 0}, {4, 2})),
                       ember::Error, ErrorMentions({"gather", "[4, 2]", "[3, 4]"}));
  CHECK_THROWS_MATCHES(ember::gather(x, 1, indices({0})), ember::Error,
                       ErrorMentions({"gather", "[1]", "[3, 4]", "dims"}));
  CHECK_THROWS_MATCHES(ember::gather(x, 1, ember::zeros({1, 1})), ember::Error,
                       ErrorMentions({"gather", "int64", "float32"}));
  CHECK_THROWS_MATCHES(ember::gather(ember::ones({3, 0}), 1, indices({0}, {1, 1})),
                       ember::Error, ErrorMentions({"gather", "index 0", "size 0"}));
}

TEST_CASE("gather scatters its gradient back, adding at repeated indices",
          "[ops][gradcheck]") {
  Tensor index = indices({0, 2, 2, 1, 1, 1}, {2, 3});

  CHECK_GRADCHECK([&](const TensorList& in) { return ember::gather(in[0], 1, index); },
                  TensorList{transposed_leaf({3, 4})});
  CHECK_GRADCHECK([&](const TensorList& in) { return ember::gather(in[0], 0, index); },
                  TensorList{leaf({3, 3})});
}

TEST_CASE("gather matches a plain loop on large inputs", "[ops]") {
  ember::Generator generator(12);
  Tensor x = ember::randn({300, 200}, ember::kFloat64, &generator);
  Tensor index = ember::randint(0, 300, {250, 200}, ember::kInt64, &generator);

  Tensor out = ember::gather(x, 0, index);

  std::vector<double> xs = values(x);
  std::vector<int64_t> idx = index.to_vector<int64_t>();
  std::vector<double> expected(idx.size());
  for (size_t p = 0; p < idx.size(); ++p) expected[p] = xs[idx[p] * 200 + p % 200];
  CHECK(values(out) == expected);

  // A bad index deep inside a parallel pass is still reported by value.
  index.data_ptr<int64_t>()[idx.size() - 7] = -3;
  CHECK_THROWS_MATCHES(ember::gather(x, 0, index), ember::Error,
                       ErrorMentions({"gather", "index -3", "size 300"}));
  CHECK_THROWS_MATCHES(ember::scatter_add(x, 0, index, x), ember::Error,
                       ErrorMentions({"scatter_add", "index -3", "size 300"}));
}

// ---- scatter_add ----

TEST_CASE("scatter_add adds src into a copy of x at the indexed positions", "[ops]") {
  // The example of PyTorch's scatter_add_ documentation.
  Tensor x = ember::zeros({3, 5}, ember::kFloat64);
  Tensor src = iota({2, 5}, 1);
  Tensor index = indices({0, 1, 2, 0, 0, 2, 0, 0, 1, 2}, {2, 5});

  Tensor out = ember::scatter_add(x, 0, index, src);

  CHECK(values(out) ==
        std::vector<double>{1, 7, 8, 4, 5, 0, 2, 0, 9, 0, 6, 0, 3, 0, 10});
  CHECK(values(x) == std::vector<double>(15, 0.0));
}

TEST_CASE("scatter_add uses only the part of src the index covers", "[ops]") {
  Tensor x = ember::ones({2, 3}, ember::kFloat64);
  Tensor src = iota({3, 4}, 1).t();  // [4, 3], non-contiguous
  Tensor index = indices({2, 2}, {1, 2});

  Tensor out = ember::scatter_add(x, 1, index, src);

  CHECK(values(out) == std::vector<double>{1, 1, 1 + 1 + 5, 1, 1, 1});
  Tensor counts = ember::scatter_add(ember::zeros({3}, ember::kInt64), 0,
                                     indices({0, 2, 2, 2}), ember::ones({4}, ember::kInt64));
  CHECK(counts.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 3});
}

TEST_CASE("scatter_add rejects mismatched dtypes, shapes and indices", "[ops]") {
  Tensor x = ember::zeros({3, 3});
  Tensor src = ember::ones({3, 3});

  CHECK_THROWS_MATCHES(ember::scatter_add(x, 0, indices({5}, {1, 1}), src), ember::Error,
                       ErrorMentions({"scatter_add", "index 5", "size 3"}));
  CHECK_THROWS_MATCHES(
      ember::scatter_add(x, 0, indices({0}, {1, 1}), ember::ones({3, 3}, ember::kFloat64)),
      ember::Error, ErrorMentions({"scatter_add", "float64", "float32"}));
  CHECK_THROWS_MATCHES(ember::scatter_add(x, 0, indices({0, 1, 2, 0}, {1, 4}), src),
                       ember::Error, ErrorMentions({"scatter_add", "[1, 4]", "[3, 3]"}));
  CHECK_THROWS_MATCHES(ember::scatter_add(x, 0, indices(std::vector<int64_t>(12, 0), {4, 3}),
                                          src),
                       ember::Error, ErrorMentions({"scatter_add", "[4, 3]", "src"}));
  CHECK_THROWS_MATCHES(ember::scatter_add(x, 0, ember::zeros({1, 1}), src), ember::Error,
                       ErrorMentions({"scatter_add", "int64"}));
}

TEST_CASE("scatter_add passes the gradient to x and gathers it for src",
          "[ops][gradcheck]") {
  Tensor index = indices({0, 1, 2, 0, 0, 2, 0, 0, 1, 2}, {2, 5});
  auto scatter_0 = [&](const TensorList& in) {
    return ember::scatter_add(in[0], 0, index, in[1]);
  };

  CHECK_GRADCHECK(scatter_0, (TensorList{leaf({3, 5}), leaf({2, 5}, 5)}));
  CHECK_GRADCHECK(scatter_0, (TensorList{transposed_leaf({3, 5}), transposed_leaf({4, 6})}));
  CHECK_GRADCHECK(scatter_0, (TensorList{randn64({3, 5}), leaf({3, 5}, 6)}));
}

TEST_CASE("scatter_add accumulates repeated indices in the same order on any thread count",
          "[ops]") {
  ember::Generator generator(13);
  Tensor src = ember::randn({64, 2000}, ember::kFloat64, &generator);
  Tensor index = ember::randint(0, 10, {64, 2000}, ember::kInt64, &generator);
  Tensor x = ember::zeros({64, 10}, ember::kFloat64);

  Tensor out = ember::scatter_add(x, 1, index, src);

  std::vector<double> s = values(src);
  std::vector<int64_t> idx = index.to_vector<int64_t>();
  std::vector<double> expected(640, 0.0);
  for (size_t p = 0; p < idx.size(); ++p) expected[(p / 2000) * 10 + idx[p]] += s[p];
  CHECK(values(out) == expected);
  check_thread_independent([&] { return ember::scatter_add(x.t(), 0, index.t(), src.t()); });
}

// ---- one_hot ----

TEST_CASE("one_hot appends a class dim with a 1 at each label", "[ops]") {
  Tensor labels = indices({0, 2, 1, 0}, {2, 2});

  Tensor inferred = ember::one_hot(labels);
  Tensor wide = ember::one_hot(indices({1}), 4);

  CHECK(inferred.shape() == Shape{2, 2, 3});
  CHECK(inferred.dtype() == ember::kInt64);
  CHECK(inferred.to_vector<int64_t>() ==
        std::vector<int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0});
  CHECK(wide.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0, 0});
  CHECK(ember::one_hot(indices({}, {0, 2}), 3).shape() == Shape{0, 2, 3});
  CHECK(ember::one_hot(ember::scalar_tensor(2.0, ember::kInt64), 3).shape() == Shape{3});
}

TEST_CASE("one_hot rejects labels out of range and non-integer labels", "[ops]") {
  CHECK_THROWS_MATCHES(ember::one_hot(indices({3}), 3), ember::Error,
                       ErrorMentions({"one_hot", "label 3", "3 classes"}));
  CHECK_THROWS_MATCHES(ember::one_hot(indices({-1}), 3), ember::Error,
                       ErrorMentions({"one_hot", "non-negative", "-1"}));
  CHECK_THROWS_MATCHES(ember::one_hot(indices({}, {0})), ember::Error,
                       ErrorMentions({"one_hot", "infer", "[0]"}));
  CHECK_THROWS_MATCHES(ember::one_hot(ember::tensor({2.f})), ember::Error,
                       ErrorMentions({"one_hot", "int64", "float32"}));
  CHECK_THROWS_MATCHES(ember::one_hot(indices({1}), -2), ember::Error,
                       ErrorMentions({"one_hot", "-2"}));
}
