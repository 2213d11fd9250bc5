#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "data/collate.h"
#include "data/concat_dataset.h"
#include "data/subset.h"
#include "data/tensor_dataset.h"
#include "helpers.h"

using ember::data::ConcatDataset;
using ember::data::Subset;
using ember::data::TensorDataset;
using ember_test::ErrorMentions;

namespace {

// Rows [i, i + 0.5] with label i % 3, for i in [first, first + n).
std::shared_ptr<TensorDataset> rows(int64_t n, int64_t first = 0) {
  std::vector<float> inputs;
  std::vector<int64_t> labels;
  for (int64_t i = first; i < first + n; ++i) {
    inputs.push_back(static_cast<float>(i));
    inputs.push_back(static_cast<float>(i) + 0.5f);
    labels.push_back(i % 3);
  }
  return std::make_shared<TensorDataset>(ember::tensor(inputs, {n, 2}),
                                         ember::tensor(labels, {n}));
}

}  // namespace

TEST_CASE("TensorDataset yields rows of its tensors", "[data]") {
  auto dataset = rows(4);

  ember::data::Example example = dataset->get(2);

  CHECK(dataset->size() == 4);
  CHECK(example.input.to_vector<float>() == std::vector<float>{2.0f, 2.5f});
  CHECK(example.target.dim() == 0);
  CHECK(example.target.item<int64_t>() == 2);
  CHECK_FALSE(TensorDataset(ember::zeros({3, 2})).get(0).target.defined());
}

TEST_CASE("TensorDataset refuses tensors that differ in dim 0", "[data]") {
  CHECK_THROWS_MATCHES(TensorDataset(ember::zeros({5, 2}), ember::zeros({4})), ember::Error,
                       ErrorMentions({"TensorDataset", "[5, 2]", "[4]", "dim 0"}));
  CHECK_THROWS_MATCHES(TensorDataset(ember::scalar_tensor(1.0)), ember::Error,
                       ErrorMentions({"TensorDataset", "0-d"}));
  CHECK_THROWS_MATCHES(rows(4)->get(4), ember::Error,
                       ErrorMentions({"TensorDataset", "index 4", "4 examples"}));
}

TEST_CASE("Subset maps its positions to the dataset's indices", "[data]") {
  Subset subset(rows(10), {7, 2, 7});

  CHECK(subset.size() == 3);
  CHECK(subset.get(0).input.to_vector<float>()[0] == 7.0f);
  CHECK(subset.get(1).input.to_vector<float>()[0] == 2.0f);
  CHECK_THROWS_MATCHES(Subset(rows(10), {3, 10}), ember::Error,
                       ErrorMentions({"Subset", "index 10", "position 1", "10 examples"}));
  CHECK_THROWS_MATCHES(subset.get(-1), ember::Error, ErrorMentions({"Subset", "index -1"}));
}

TEST_CASE("ConcatDataset chains datasets, skipping empty ones", "[data]") {
  auto empty = std::make_shared<Subset>(rows(2), std::vector<int64_t>{});
  std::vector<ember::data::DatasetPtr> parts = {rows(3, 0), empty, rows(2, 100)};
  ConcatDataset concat(parts);

  CHECK(concat.size() == 5);
  CHECK(concat.get(2).input.to_vector<float>()[0] == 2.0f);
  CHECK(concat.get(3).input.to_vector<float>()[0] == 100.0f);
  CHECK(concat.get(4).input.to_vector<float>()[0] == 101.0f);
  CHECK_THROWS_MATCHES(concat.get(5), ember::Error, ErrorMentions({"ConcatDataset", "index 5"}));
  CHECK_THROWS_MATCHES(ConcatDataset({}), ember::Error, ErrorMentions({"ConcatDataset"}));
}

TEST_CASE("collate stacks inputs and targets along a new dim 0", "[data]") {
  auto dataset = rows(5);
  // A non-contiguous float64 input exercises the converting copy.
  ember::Tensor strided = ember::tensor({1.f, 2.f, 3.f, 4.f}).view({2, 2}).t();

  ember::data::Batch batch = ember::data::collate({dataset->get(4), dataset->get(1)}, {4, 1});
  ember::data::Batch transposed = ember::data::collate(
      {{strided, ember::Tensor()},
       {strided.to(ember::kFloat64).to(ember::kFloat32), ember::Tensor()}});

  CHECK(batch.input.shape() == ember::Shape{2, 2});
  CHECK(batch.input.to_vector<float>() == std::vector<float>{4.0f, 4.5f, 1.0f, 1.5f});
  CHECK(batch.target.to_vector<int64_t>() == std::vector<int64_t>{1, 1});
  CHECK(batch.indices == std::vector<int64_t>{4, 1});
  CHECK_FALSE(transposed.target.defined());
  CHECK(transposed.input.to_vector<float>() ==
        std::vector<float>{1.f, 3.f, 2.f, 4.f, 1.f, 3.f, 2.f, 4.f});
}

TEST_CASE("collate names the example whose shape, dtype or target differs", "[data]") {
  ember::data::Example a{ember::zeros({2, 3}), ember::scalar_tensor(1, ember::kInt64)};
  ember::data::Example wide{ember::zeros({2, 4}), ember::scalar_tensor(1, ember::kInt64)};
  ember::data::Example unlabelled{ember::zeros({2, 3}), ember::Tensor()};
  ember::data::Example doubled{ember::zeros({2, 3}, ember::kFloat64),
                               ember::scalar_tensor(1, ember::kInt64)};

  CHECK_THROWS_MATCHES(ember::data::collate({a, wide}, {10, 11}), ember::Error,
                       ErrorMentions({"collate", "index 11", "[2, 4]", "index 10", "[2, 3]"}));
  CHECK_THROWS_MATCHES(ember::data::collate({a, unlabelled}), ember::Error,
                       ErrorMentions({"collate", "index 1", "has no target"}));
  CHECK_THROWS_MATCHES(ember::data::collate({a, doubled}), ember::Error,
                       ErrorMentions({"collate", "float64", "float32"}));
  CHECK_THROWS_MATCHES(ember::data::collate({}), ember::Error, ErrorMentions({"collate"}));
}
