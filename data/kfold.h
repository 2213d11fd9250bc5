#pragma once

#include <cstdint>
#include <vector>

#include "framework/tensor.h"

// Cross-validation index generators with scikit-learn's semantics (KFold and
// StratifiedKFold of sklearn 1.2): fold sizes n / k, the first n % k folds one
// larger; train and test indices each in ascending order. Use them with
// Subset: Subset(dataset, fold.train).
namespace ember::data {

struct Fold {
  std::vector<int64_t> train;
  std::vector<int64_t> test;
};

struct KFoldOptions {
  // Shuffle the indices (with Generator(seed)) before cutting the folds.
  bool shuffle = false;
  uint64_t seed = 0;
};

// k consecutive test folds over 0..n-1 (over a shuffled order with shuffle);
// each fold's train set is every other index.
class KFold {
 public:
  // Throws ember::Error when n_splits < 2.
  explicit KFold(int64_t n_splits = 5, KFoldOptions options = {});

  // Throws ember::Error when n is smaller than n_splits.
  std::vector<Fold> split(int64_t n) const;
  int64_t n_splits() const { return n_splits_; }

 private:
  int64_t n_splits_;
  KFoldOptions options_;
};

// Folds that keep each class's share: each class's members are dealt to the
// folds so every fold holds about 1/k of every class (the sklearn >= 0.24
// allocation), in shuffled order per class with shuffle. Logs a warning when
// the smallest class has fewer than n_splits members.
class StratifiedKFold {
 public:
  // Throws ember::Error when n_splits < 2.
  explicit StratifiedKFold(int64_t n_splits = 5, KFoldOptions options = {});

  // labels: int64 class labels [N] (any values). Throws ember::Error when N
  // is smaller than n_splits, or every class has fewer than n_splits members.
  std::vector<Fold> split(const std::vector<int64_t>& labels) const;
  std::vector<Fold> split(const Tensor& labels) const;
  int64_t n_splits() const { return n_splits_; }

 private:
  int64_t n_splits_;
  KFoldOptions options_;
};

}  // namespace ember::data
