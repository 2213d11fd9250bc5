#include "data/kfold.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>

#include "framework/error.h"
#include "framework/log.h"
#include "framework/random.h"

namespace ember::data {
namespace {

void check_splits(int64_t n_splits, const char* name) {
  EMBER_CHECK(n_splits >= 2, name, ": n_splits must be at least 2 for one train/test split, got ",
              n_splits);
}

void check_samples(int64_t n, int64_t n_splits, const char* name) {
  EMBER_CHECK(n >= n_splits, name, ": cannot make n_splits = ", n_splits, " folds of ", n,
              " samples; n_splits must not exceed the number of samples");
}

// Folds from each sample's test fold number; indices ascend in both halves.
std::vector<Fold> folds_from_assignment(const std::vector<int64_t>& fold_of, int64_t n_splits) {
  std::vector<Fold> folds(static_cast<size_t>(n_splits));
  for (size_t i = 0; i < fold_of.size(); ++i) {
    for (int64_t k = 0; k < n_splits; ++k) {
      (k == fold_of[i] ? folds[k].test : folds[k].train).push_back(static_cast<int64_t>(i));
    }
  }
  return folds;
}

}  // namespace

KFold::KFold(int64_t n_splits, KFoldOptions options) : n_splits_(n_splits), options_(options) {
  check_splits(n_splits, "KFold");
}

std::vector<Fold> KFold::split(int64_t n) const {
  check_samples(n, n_splits_, "KFold");
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    Generator generator(options_.seed);
    order = randperm(n, &generator).to_vector<int64_t>();
  }

  // Consecutive runs of `order`: n / k each, the first n % k one longer.
  std::vector<int64_t> fold_of(static_cast<size_t>(n));
  int64_t start = 0;
  for (int64_t k = 0; k < n_splits_; ++k) {
    int64_t length = n / n_splits_ + (k < n % n_splits_ ? 1 : 0);
    for (int64_t i = start; i < start + length; ++i) fold_of[order[i]] = k;
    start += length;
  }
  return folds_from_assignment(fold_of, n_splits_);
}

StratifiedKFold::StratifiedKFold(int64_t n_splits, KFoldOptions options)
    : n_splits_(n_splits), options_(options) {
  check_splits(n_splits, "StratifiedKFold");
}

std::vector<Fold> StratifiedKFold::split(const Tensor& labels) const {
  EMBER_CHECK(labels.dim() == 1 && labels.dtype() == kInt64, "StratifiedKFold: expected int64 "
              "labels [N], got ", dtype_name(labels.dtype()), " ", labels.shape());
  return split(labels.to_vector<int64_t>());
}

std::vector<Fold> StratifiedKFold::split(const std::vector<int64_t>& labels) const {
  const auto n = static_cast<int64_t>(labels.size());
  check_samples(n, n_splits_, "StratifiedKFold");

  // Classes numbered by first appearance, as sklearn encodes them.
  std::map<int64_t, int64_t> code_of;
  std::vector<int64_t> encoded(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    auto [at, inserted] = code_of.try_emplace(labels[i], static_cast<int64_t>(code_of.size()));
    encoded[i] = at->second;
  }
  const auto num_classes = static_cast<int64_t>(code_of.size());
  std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
  for (int64_t code : encoded) ++counts[code];
  int64_t smallest = *std::min_element(counts.begin(), counts.end());
  int64_t largest = *std::max_element(counts.begin(), counts.end());
  EMBER_CHECK(largest >= n_splits_, "StratifiedKFold: n_splits = ", n_splits_,
              " exceeds the number of members of every class (the largest has ", largest, ")");
  if (smallest < n_splits_) {
    std::ostringstream message;
    message << "StratifiedKFold: the smallest class has only " << smallest
            << " members, fewer than n_splits = " << n_splits_;
    log(LogLevel::Warning, message.str());
  }

  // Deal the samples, sorted by class, round-robin to the folds: fold k gets
  // allocation[k][c] members of class c, so every fold size is n / k or one more.
  std::vector<int64_t> sorted = encoded;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int64_t>> allocation(
      static_cast<size_t>(n_splits_), std::vector<int64_t>(static_cast<size_t>(num_classes), 0));
  for (int64_t i = 0; i < n; ++i) ++allocation[i % n_splits_][sorted[i]];

  // Within each class, members in index order take the fold numbers
  // 0..0, 1..1, ... (shuffled with shuffle).
  Generator generator(options_.seed);
  std::vector<int64_t> fold_of(labels.size());
  for (int64_t c = 0; c < num_classes; ++c) {
    std::vector<int64_t> folds_for_class;
    for (int64_t k = 0; k < n_splits_; ++k) {
      folds_for_class.insert(folds_for_class.end(), allocation[k][c], k);
    }
    if (options_.shuffle) {
      std::vector<int64_t> order =
          randperm(static_cast<int64_t>(folds_for_class.size()), &generator).to_vector<int64_t>();
      std::vector<int64_t> shuffled(folds_for_class.size());
      for (size_t i = 0; i < order.size(); ++i) shuffled[i] = folds_for_class[order[i]];
      folds_for_class = std::move(shuffled);
    }
    size_t next = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (encoded[i] == c) fold_of[i] = folds_for_class[next++];
    }
  }
  return folds_from_assignment(fold_of, n_splits_);
}

}  // namespace ember::data
