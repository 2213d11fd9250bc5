#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "data/bootstrap.h"
#include "data/kfold.h"
#include "data/random_split.h"
#include "data/tensor_dataset.h"
#include "helpers.h"

using ember::data::Fold;
using ember_test::ErrorMentions;

namespace {

std::shared_ptr<ember::data::TensorDataset> dataset_of(int64_t n) {
  return std::make_shared<ember::data::TensorDataset>(ember::zeros({n, 1}));
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> result(n);
  std::iota(result.begin(), result.end(), int64_t{0});
  return result;
}

// Test folds are disjoint and cover 0..n-1; each train set is the complement
// of its test set; both are ascending.
void check_partition(const std::vector<Fold>& folds, int64_t n) {
  std::vector<int64_t> tested;
  for (const Fold& fold : folds) {
    CHECK(std::is_sorted(fold.train.begin(), fold.train.end()));
    CHECK(std::is_sorted(fold.test.begin(), fold.test.end()));
    std::vector<int64_t> both = fold.train;
    both.insert(both.end(), fold.test.begin(), fold.test.end());
    std::sort(both.begin(), both.end());
    CHECK(both == iota(n));
    tested.insert(tested.end(), fold.test.begin(), fold.test.end());
  }
  std::sort(tested.begin(), tested.end());
  CHECK(tested == iota(n));
}

}  // namespace

TEST_CASE("random_split cuts disjoint subsets of the given sizes", "[data]") {
  auto dataset = dataset_of(600);

  std::vector<ember::data::Subset> parts = ember::data::random_split(dataset, {550, 50}, 0);
  std::vector<ember::data::Subset> again = ember::data::random_split(dataset, {550, 50}, 0);

  REQUIRE(parts.size() == 2);
  CHECK(parts[0].size() == 550);
  CHECK(parts[1].size() == 50);
  CHECK(parts[0].indices() == again[0].indices());
  std::vector<int64_t> all = parts[0].indices();
  all.insert(all.end(), parts[1].indices().begin(), parts[1].indices().end());
  CHECK(all != iota(600));
  std::sort(all.begin(), all.end());
  CHECK(all == iota(600));
}

TEST_CASE("random_split takes fractions and hands the remainder to the first subsets",
          "[data]") {
  // floor(10 * 0.45) = 4, floor(10 * 0.45) = 4, floor(10 * 0.1) = 1; 1 left over.
  CHECK(ember::data::split_lengths(10, {0.45, 0.45, 0.1}) == std::vector<int64_t>{5, 4, 1});
  CHECK(ember::data::split_lengths(60000, {55000, 5000}) == std::vector<int64_t>{55000, 5000});
  auto parts = ember::data::random_split(dataset_of(7), {0.5, 0.5}, 1);
  CHECK(parts[0].size() == 4);
  CHECK(parts[1].size() == 3);
}

TEST_CASE("random_split refuses lengths that do not fit the dataset", "[data]") {
  CHECK_THROWS_MATCHES(ember::data::random_split(dataset_of(10), {5, 4}, 0), ember::Error,
                       ErrorMentions({"random_split", "sum to 9", "10 examples"}));
  CHECK_THROWS_MATCHES(ember::data::random_split(dataset_of(10), {2.5, 7.5}, 0), ember::Error,
                       ErrorMentions({"random_split", "2.5"}));
  CHECK_THROWS_MATCHES(ember::data::random_split(dataset_of(10), {1.5, -0.5}, 0), ember::Error,
                       ErrorMentions({"random_split", "fraction 1.5", "index 0"}));
}

TEST_CASE("KFold gives the first n % k folds one extra sample", "[data]") {
  std::vector<Fold> folds = ember::data::KFold(3).split(10);

  REQUIRE(folds.size() == 3);
  CHECK(folds[0].test == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(folds[1].test == std::vector<int64_t>{4, 5, 6});
  CHECK(folds[2].test == std::vector<int64_t>{7, 8, 9});
  check_partition(folds, 10);
}

TEST_CASE("shuffled KFold partitions a seeded random order", "[data]") {
  ember::data::KFold kfold(4, {.shuffle = true, .seed = 5});

  std::vector<Fold> folds = kfold.split(23);

  check_partition(folds, 23);
  CHECK(folds[0].test.size() == 6);
  CHECK(folds[3].test.size() == 5);
  CHECK(folds[0].test != std::vector<int64_t>{0, 1, 2, 3, 4, 5});
  CHECK(kfold.split(23)[2].test == folds[2].test);
  CHECK_THROWS_MATCHES(ember::data::KFold(1), ember::Error, ErrorMentions({"KFold", "n_splits"}));
  CHECK_THROWS_MATCHES(kfold.split(3), ember::Error, ErrorMentions({"KFold", "3 samples"}));
}

TEST_CASE("StratifiedKFold matches scikit-learn's allocation", "[data]") {
  // Test folds from sklearn 1.2's StratifiedKFold(3).split for these labels.
  std::vector<int64_t> labels = {0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1, 2, 2, 1, 0, 0, 2};

  std::vector<Fold> folds = ember::data::StratifiedKFold(3).split(labels);

  REQUIRE(folds.size() == 3);
  CHECK(folds[0].test == std::vector<int64_t>{0, 1, 2, 3, 5, 6});
  CHECK(folds[1].test == std::vector<int64_t>{4, 7, 8, 9, 11, 14});
  CHECK(folds[2].test == std::vector<int64_t>{10, 12, 13, 15, 16});
  check_partition(folds, 17);
}

TEST_CASE("shuffled StratifiedKFold keeps every class's share in each fold", "[data]") {
  // Classes of 300, 120 and 60 members over 5 folds: 60, 24 and 12 per fold.
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 480; ++i) labels.push_back(i % 8 < 5 ? 7 : i % 8 < 7 ? 3 : 9);
  ember::data::StratifiedKFold stratified(5, {.shuffle = true, .seed = 2});

  std::vector<Fold> folds = stratified.split(ember::tensor(labels, {480}));

  check_partition(folds, 480);
  for (const Fold& fold : folds) {
    std::map<int64_t, int64_t> per_class;
    for (int64_t index : fold.test) ++per_class[labels[index]];
    CHECK(per_class[7] == 60);
    CHECK(per_class[3] == 24);
    CHECK(per_class[9] == 12);
  }
  CHECK(folds[0].test != ember::data::StratifiedKFold(5).split(labels)[0].test);
  CHECK_THROWS_MATCHES(ember::data::StratifiedKFold(4).split({0, 0, 1, 1, 2}), ember::Error,
                       ErrorMentions({"StratifiedKFold", "n_splits = 4"}));
}

TEST_CASE("bootstrap draws n with replacement; out-of-bag is the complement", "[data]") {
  ember::Generator generator(17);
  const int64_t n = 20000;

  ember::data::BootstrapSample sample = ember::data::bootstrap_sample(n, generator);

  REQUIRE(static_cast<int64_t>(sample.indices.size()) == n);
  std::set<int64_t> drawn(sample.indices.begin(), sample.indices.end());
  // The unique share tends to 1 - 1/e = 0.632; its sd at n = 20000 is ~0.003.
  CHECK(static_cast<double>(drawn.size()) / n == Approx(0.632).margin(0.015));
  CHECK(std::is_sorted(sample.out_of_bag.begin(), sample.out_of_bag.end()));
  CHECK(drawn.size() + sample.out_of_bag.size() == static_cast<size_t>(n));
  CHECK(std::none_of(sample.out_of_bag.begin(), sample.out_of_bag.end(),
                     [&](int64_t index) { return drawn.count(index) > 0; }));
  CHECK(ember::data::bootstrap_sample(50, 3).indices ==
        ember::data::bootstrap_sample(50, 3).indices);
  CHECK_THROWS_MATCHES(ember::data::bootstrap_sample(0, 3), ember::Error,
                       ErrorMentions({"bootstrap_sample", "n must be at least 1"}));
}
