// Tensor basics: creation, random draws, external buffers, views sharing
// storage, conversion, printing, and the error each kind of misuse raises.

#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "framework/autograd/grad_mode.h"
#include "framework/random.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/reduce.h"

using ember::Shape;
using ember::Tensor;
using ember_test::ErrorMentions;

namespace {

template <typename T>
std::vector<T> values(const Tensor& x) {
  return x.to_vector<T>();
}

Tensor iota(const Shape& shape) {
  return ember::arange(0, static_cast<double>(ember::shape_numel(shape)), 1, ember::kFloat32)
      .reshape(shape);
}

}  // namespace

// ---- creation ----

TEST_CASE("zeros, ones and full fill a fresh float32 tensor by default", "[tensor]") {
  Tensor z = ember::zeros({2, 3});
  Tensor o = ember::ones({4}, ember::kFloat64);
  Tensor f = ember::full({2, 2}, -1.5);

  CHECK(z.dtype() == ember::kFloat32);
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.is_contiguous());
  CHECK(values<float>(z) == std::vector<float>(6, 0.0f));
  CHECK(o.dtype() == ember::kFloat64);
  CHECK(values<double>(o) == std::vector<double>(4, 1.0));
  CHECK(values<float>(f) == std::vector<float>(4, -1.5f));
}

TEST_CASE("a zero-size shape makes an empty tensor and a shape of {} a scalar",
          "[tensor]") {
  Tensor empty = ember::zeros({0, 3});
  Tensor scalar = ember::full({}, 2.5);

  CHECK(empty.numel() == 0);
  CHECK(empty.shape() == Shape{0, 3});
  CHECK(scalar.dim() == 0);
  CHECK(scalar.numel() == 1);
  CHECK(scalar.item() == 2.5);
}

TEST_CASE("arange counts in int64 unless a dtype is given", "[tensor]") {
  Tensor ints = ember::arange(5);
  Tensor stepped = ember::arange(1, 2, 0.25, ember::kFloat32);
  Tensor down = ember::arange(3, 0, -1);

  CHECK(ints.dtype() == ember::kInt64);
  CHECK(values<int64_t>(ints) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(values<float>(stepped) == std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f});
  CHECK(values<int64_t>(down) == std::vector<int64_t>{3, 2, 1});
  CHECK_THROWS_MATCHES(ember::arange(0, 1, 0), ember::Error, ErrorMentions({"arange", "step"}));
}

TEST_CASE("linspace includes both ends", "[tensor]") {
  Tensor x = ember::linspace(0.0, 1.0, 5, ember::kFloat64);
  Tensor single = ember::linspace(3.0, 7.0, 1);

  CHECK(values<double>(x) == std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0});
  CHECK(values<float>(single) == std::vector<float>{3.0f});
}

TEST_CASE("eye puts ones on the diagonal of square and rectangular matrices", "[tensor]") {
  CHECK(values<float>(ember::eye(2)) == std::vector<float>{1, 0, 0, 1});
  CHECK(values<float>(ember::eye(2, 3)) == std::vector<float>{1, 0, 0, 0, 1, 0});
  CHECK(ember::eye(3, ember::kInt64).dtype() == ember::kInt64);
}

TEST_CASE("a tensor built from a vector keeps its values and shape", "[tensor]") {
  Tensor x = ember::tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor labels = ember::tensor(std::vector<int64_t>{3, 1});
  Tensor converted = ember::tensor(std::vector<double>{1.5, 2.5}, {}, ember::kFloat32);
  Tensor listed = ember::tensor({1.f, 2.f});

  CHECK(x.shape() == Shape{2, 3});
  CHECK(x.dtype() == ember::kFloat64);
  CHECK(values<double>(x) == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(labels.dtype() == ember::kInt64);
  CHECK(converted.dtype() == ember::kFloat32);
  CHECK(values<float>(listed) == std::vector<float>{1.f, 2.f});
  CHECK_THROWS_MATCHES(ember::tensor(std::vector<float>{1, 2, 3}, {2, 2}), ember::Error,
                       ErrorMentions({"tensor", "3", "[2, 2]"}));
}

TEST_CASE("rand, randn and randint repeat exactly for the same seed", "[tensor]") {
  ember::Generator a(42);
  ember::Generator b(42);
  ember::Generator c(43);

  Tensor r1 = ember::rand({100}, {}, &a);
  Tensor r2 = ember::rand({100}, {}, &b);
  Tensor r3 = ember::rand({100}, {}, &c);
  Tensor n1 = ember::randn({50}, ember::kFloat64, &a);
  Tensor n2 = ember::randn({50}, ember::kFloat64, &b);
  Tensor i1 = ember::randint(-3, 4, {60}, ember::kInt64, &a);
  Tensor i2 = ember::randint(-3, 4, {60}, ember::kInt64, &b);

  CHECK(values<float>(r1) == values<float>(r2));
  CHECK(values<float>(r1) != values<float>(r3));
  CHECK(values<double>(n1) == values<double>(n2));
  CHECK(values<int64_t>(i1) == values<int64_t>(i2));
}

TEST_CASE("the default generator repeats after manual_seed", "[tensor]") {
  ember::manual_seed(7);
  Tensor first = ember::randn({20});
  ember::manual_seed(7);
  Tensor second = ember::randn({20});

  CHECK(values<float>(first) == values<float>(second));
}

TEST_CASE("random draws follow their distributions", "[tensor]") {
  ember::Generator generator(1);

  std::vector<double> uniform = values<double>(ember::rand({20000}, ember::kFloat64, &generator));
  std::vector<double> normal = values<double>(ember::randn({20000}, ember::kFloat64, &generator));
  std::vector<int64_t> ints = values<int64_t>(ember::randint(2, 5, {2000}, ember::kInt64,
                                                             &generator));

  double uniform_mean = 0.0;
  int outside_unit_interval = 0;
  for (double v : uniform) {
    outside_unit_interval += v < 0.0 || v >= 1.0;
    uniform_mean += v / uniform.size();
  }
  double normal_mean = 0.0;
  double normal_square = 0.0;
  for (double v : normal) {
    normal_mean += v / normal.size();
    normal_square += v * v / normal.size();
  }
  std::vector<int> counts(3, 0);
  for (int64_t v : ints) {
    if (v >= 2 && v < 5) ++counts[v - 2];
  }

  CHECK(outside_unit_interval == 0);
  CHECK(counts[0] + counts[1] + counts[2] == 2000);
  CHECK(uniform_mean == Approx(0.5).margin(0.01));
  CHECK(normal_mean == Approx(0.0).margin(0.03));
  CHECK(normal_square == Approx(1.0).margin(0.04));
  for (int count : counts) CHECK(count > 500);
}

TEST_CASE("from_blob wraps external memory without copying", "[tensor]") {
  std::vector<float> buffer{1, 2, 3, 4, 5, 6};

  Tensor x = ember::from_blob(buffer.data(), {2, 3});
  buffer[4] = 50;
  {
    ember::NoGradGuard no_grad;
    x.select(0, 0).fill_(-1);
  }

  CHECK(x.raw_data() == buffer.data());
  CHECK(values<float>(x) == std::vector<float>{-1, -1, -1, 4, 50, 6});
  CHECK(buffer[0] == -1);
}

TEST_CASE("from_blob with strides views external memory in that layout", "[tensor]") {
  std::vector<double> buffer{1, 2, 3, 4, 5, 6};

  Tensor columns = ember::from_blob(buffer.data(), {3, 2}, {1, 3}, ember::kFloat64);

  CHECK_FALSE(columns.is_contiguous());
  CHECK(values<double>(columns) == std::vector<double>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("from_blob runs its deleter once, when the last view dies", "[tensor]") {
  auto* buffer = new float[4]{1, 2, 3, 4};
  int deleted = 0;
  Tensor view;
  {
    Tensor x = ember::from_blob(buffer, {4}, ember::kFloat32, [&deleted](void* data) {
      delete[] static_cast<float*>(data);
      ++deleted;
    });
    view = x.narrow(0, 1, 2);
  }
  CHECK(deleted == 0);
  CHECK(values<float>(view) == std::vector<float>{2, 3});

  view = Tensor();

  CHECK(deleted == 1);
}

// ---- views ----

TEST_CASE("views share storage with their base", "[tensor]") {
  Tensor base = iota({2, 3, 4});

  std::vector<Tensor> views = {base.view({6, 4}),     base.reshape({4, 6}),
                               base.permute({2, 0, 1}), base.transpose(0, 2),
                               base.select(1, 1),     base.narrow(2, 1, 2),
                               base.slice(2, 0, 4, 2), base.unsqueeze(0),
                               base.flatten(),        base[1]};

  for (const Tensor& view : views) {
    INFO("view of shape " << ember::format_shape(view.shape()));
    CHECK(view.storage() == base.storage());
  }
}

TEST_CASE("a write through a view shows in the base", "[tensor]") {
  Tensor base = ember::zeros({3, 4});

  base.select(0, 1).fill_(5);
  base.slice(1, 0, 4, 3).fill_(-1);

  CHECK(values<float>(base) == std::vector<float>{-1, 0, 0, -1, -1, 5, 5, -1, -1, 0, 0, -1});
}

TEST_CASE("views compute the right shapes, strides and offsets", "[tensor]") {
  Tensor base = iota({2, 3, 4});

  CHECK(base.strides() == Shape{12, 4, 1});
  CHECK(base.permute({2, 0, 1}).shape() == Shape{4, 2, 3});
  CHECK(base.permute({2, 0, 1}).strides() == Shape{1, 12, 4});
  CHECK(base.transpose(-1, 0).shape() == Shape{4, 3, 2});
  CHECK(base.select(1, 2).shape() == Shape{2, 4});
  CHECK(base.select(1, 2).offset() == 8);
  CHECK(base.narrow(2, 1, 2).offset() == 1);
  CHECK(base.slice(1, 1, 3).shape() == Shape{2, 2, 4});
  CHECK(base.slice(2, 1, 4, 2).strides() == Shape{12, 4, 2});
  CHECK(base.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(base.unsqueeze(1).squeeze().shape() == Shape{2, 3, 4});
  CHECK(ember::zeros({1, 3, 1}).squeeze(0).shape() == Shape{3, 1});
  CHECK(base.flatten(1).shape() == Shape{2, 12});
  CHECK(base.view({-1, 4}).shape() == Shape{6, 4});
  CHECK(ember::zeros({2, 3}).t().shape() == Shape{3, 2});
}

TEST_CASE("expand repeats size-1 dims with stride 0", "[tensor]") {
  Tensor column = ember::tensor({1.f, 2.f, 3.f}).view({3, 1});

  Tensor wide = column.expand({2, 3, 4});

  CHECK(wide.shape() == Shape{2, 3, 4});
  CHECK(wide.strides()[0] == 0);
  CHECK(wide.strides()[2] == 0);
  CHECK(wide.storage() == column.storage());
  CHECK(values<float>(wide.select(0, 1).select(1, 3)) == std::vector<float>{1, 2, 3});
  CHECK(column.expand({-1, 2}).shape() == Shape{3, 2});
}

TEST_CASE("reshape copies only when the strides cannot express the new shape",
          "[tensor]") {
  Tensor base = iota({3, 4});
  Tensor transposed = base.t();

  Tensor same = base.reshape({2, 6});
  Tensor copied = transposed.reshape({12});

  CHECK(same.storage() == base.storage());
  CHECK(copied.storage() != base.storage());
  CHECK(values<float>(copied) == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK_THROWS_MATCHES(transposed.view({12}), ember::Error, ErrorMentions({"view", "[4, 3]"}));
}

TEST_CASE("contiguous copies a strided view and returns a dense tensor as is", "[tensor]") {
  Tensor base = iota({2, 3});

  Tensor dense = base.t().contiguous();

  CHECK(dense.is_contiguous());
  CHECK(dense.storage() != base.storage());
  CHECK(values<float>(dense) == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(base.contiguous().same(base));
}

TEST_CASE("clone copies into fresh storage", "[tensor]") {
  Tensor base = iota({2, 2});

  Tensor copy = base.clone();
  copy.fill_(9);

  CHECK(copy.storage() != base.storage());
  CHECK(values<float>(base) == std::vector<float>{0, 1, 2, 3});
}

// ---- conversion and access ----

TEST_CASE("to converts dtypes like PyTorch and keeps a tensor already of that dtype",
          "[tensor]") {
  Tensor x = ember::tensor({-1.75f, 0.5f, 2.25f});

  CHECK(values<int64_t>(x.to(ember::kInt64)) == std::vector<int64_t>{-1, 0, 2});
  CHECK(values<double>(x.to(ember::kFloat64)) == std::vector<double>{-1.75, 0.5, 2.25});
  CHECK(x.to(ember::kFloat64).dtype() == ember::kFloat64);
  CHECK(values<bool>(x.to(ember::kBool)) == std::vector<bool>{true, true, true});
  CHECK(x.to(ember::kFloat32).same(x));
}

TEST_CASE("item reads the one element of a tensor", "[tensor]") {
  CHECK(ember::full({}, 3.5).item() == 3.5);
  CHECK(ember::full({1, 1}, 2.0, ember::kInt64).item<int64_t>() == 2);
  CHECK(ember::tensor({7.f}).item<float>() == 7.f);
  CHECK_THROWS_MATCHES(ember::zeros({2, 3}).item(), ember::Error,
                       ErrorMentions({"item", "[2, 3]"}));
}

TEST_CASE("printing shows values, shape and dtype", "[tensor]") {
  Tensor x = ember::tensor(std::vector<double>{1.5, -2.0, 3.25, 4.0}, {2, 2});

  std::ostringstream out;
  out << x;
  std::string text = out.str();

  CHECK_THAT(text, Catch::Contains("1.5") && Catch::Contains("-2.") &&
                       Catch::Contains("3.25") && Catch::Contains("[2, 2]") &&
                       Catch::Contains("float64"));
  CHECK(text == x.to_string());
  CHECK_THAT(ember::arange(3).to_string(), Catch::Contains("int64") && Catch::Contains("2"));
}

TEST_CASE("printing a large tensor abbreviates it", "[tensor]") {
  Tensor big = ember::zeros({1000, 1000});

  std::string text = big.to_string();

  CHECK_THAT(text, Catch::Contains("...") && Catch::Contains("[1000, 1000]"));
  CHECK(text.size() < 2000);
}

TEST_CASE("printing marks tensors that take part in autograd", "[tensor]") {
  Tensor x = ember::ones({2}, ember::TensorOptions(ember::kFloat32, true));

  CHECK_THAT(x.to_string(), Catch::Contains("requires_grad"));
  CHECK_THAT((x * 2.0).to_string(), Catch::Contains("grad_fn"));
}

// ---- errors: every misuse is an ember::Error naming the op and operands ----

TEST_CASE("a shape mismatch names the op and both shapes", "[tensor][errors]") {
  Tensor a = ember::zeros({2, 3});

  CHECK_THROWS_MATCHES(a + ember::zeros({4}), ember::Error, ErrorMentions({"[2, 3]", "[4]"}));
  CHECK_THROWS_MATCHES(ember::matmul(a, ember::zeros({4, 5})), ember::Error,
                       ErrorMentions({"matmul", "[2, 3]", "[4, 5]"}));
  CHECK_THROWS_MATCHES(ember::cat({a, ember::zeros({2, 4})}, 0), ember::Error,
                       ErrorMentions({"cat", "[2, 3]", "[2, 4]"}));
  CHECK_THROWS_MATCHES(a.view({4, 2}), ember::Error, ErrorMentions({"view", "[2, 3]"}));
  CHECK_THROWS_MATCHES(a.expand({3, 3}), ember::Error, ErrorMentions({"expand", "[2, 3]"}));
}

TEST_CASE("a bad dim names the op, the dim and the rank", "[tensor][errors]") {
  Tensor a = ember::zeros({2, 3});

  CHECK_THROWS_MATCHES(ember::sum(a, {2}), ember::Error, ErrorMentions({"sum", "2"}));
  CHECK_THROWS_MATCHES(a.transpose(0, -3), ember::Error, ErrorMentions({"transpose", "-3"}));
  CHECK_THROWS_MATCHES(a.permute({0, 0}), ember::Error, ErrorMentions({"permute"}));
  CHECK_THROWS_MATCHES(ember::cat({a, a}, 5), ember::Error, ErrorMentions({"cat", "5"}));
  CHECK_THROWS_MATCHES(a.size(4), ember::Error, ErrorMentions({"4"}));
}

TEST_CASE("a dtype mismatch names the op and the dtypes", "[tensor][errors]") {
  Tensor x = ember::zeros({3, 2});
  Tensor float_index = ember::zeros({2});

  CHECK_THROWS_MATCHES(ember::index_select(x, 0, float_index), ember::Error,
                       ErrorMentions({"index_select", "float32"}));
  CHECK_THROWS_MATCHES(ember::gather(x, 0, ember::zeros({1, 2})), ember::Error,
                       ErrorMentions({"gather", "float32"}));
  CHECK_THROWS_MATCHES(x.data_ptr<double>(), ember::Error,
                       ErrorMentions({"float32", "float64"}));
  CHECK_THROWS_MATCHES(ember::one_hot(x), ember::Error, ErrorMentions({"one_hot", "float32"}));
}

TEST_CASE("an index out of range names the op, the index and the size", "[tensor][errors]") {
  Tensor x = ember::zeros({3, 2});

  CHECK_THROWS_MATCHES(x.select(0, 3), ember::Error, ErrorMentions({"select", "3"}));
  CHECK_THROWS_MATCHES(x.narrow(1, 1, 2), ember::Error, ErrorMentions({"narrow"}));
  CHECK_THROWS_MATCHES(ember::index_select(x, 0, ember::tensor(std::vector<int64_t>{0, 5})),
                       ember::Error, ErrorMentions({"index_select", "5", "3"}));
  CHECK_THROWS_MATCHES(ember::gather(x, 1, ember::tensor(std::vector<int64_t>{2}, {1, 1})),
                       ember::Error, ErrorMentions({"gather", "2"}));
  CHECK_THROWS_MATCHES(
      ember::scatter_add(x, 0, ember::tensor(std::vector<int64_t>{-1}, {1, 1}),
                         ember::ones({1, 1})),
      ember::Error, ErrorMentions({"scatter_add", "-1"}));
  CHECK_THROWS_MATCHES(ember::one_hot(ember::tensor(std::vector<int64_t>{0, 4}), 3),
                       ember::Error, ErrorMentions({"one_hot", "4"}));
}

TEST_CASE("misuse of autograd throws ember::Error, not a crash", "[tensor][errors]") {
  Tensor w = ember::ones({2, 3}, ember::TensorOptions(ember::kFloat32, true));

  CHECK_THROWS_MATCHES((w * 2.0).backward(), ember::Error,
                       ErrorMentions({"backward", "[2, 3]"}));
  CHECK_THROWS_MATCHES(w.add_(1.0), ember::Error, ErrorMentions({"add_", "[2, 3]"}));
  CHECK_THROWS_AS(Tensor().shape(), ember::Error);
}
