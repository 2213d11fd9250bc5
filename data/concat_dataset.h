#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace ember::data {

// Several datasets one after another, as torch.utils.data.ConcatDataset:
// indices [0, size(0)) are the first dataset's, the next size(1) the second's.
// Throws ember::Error for an empty list or a null dataset.
class ConcatDataset : public Dataset {
 public:
  explicit ConcatDataset(std::vector<DatasetPtr> datasets);

  int64_t size() const override { return offsets_.back(); }
  Example get(int64_t index) const override;
  Example fetch(int64_t index, Generator& generator) const override;

  const std::vector<DatasetPtr>& datasets() const { return datasets_; }

 private:
  // The dataset holding `index` and the index inside it.
  std::pair<const Dataset*, int64_t> locate(int64_t index) const;

  std::vector<DatasetPtr> datasets_;
  std::vector<int64_t> offsets_;  // offsets_[k] = examples before dataset k; back() = total
};

}  // namespace ember::data
