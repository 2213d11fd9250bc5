#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace ember::data {

// The examples of `dataset` at `indices`, in that order (repeats allowed), as
// torch.utils.data.Subset: example i is dataset[indices[i]].
// Throws ember::Error for a null dataset or an index outside [0, size()).
class Subset : public Dataset {
 public:
  Subset(DatasetPtr dataset, std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  Example fetch(int64_t index, Generator& generator) const override;

  const DatasetPtr& dataset() const { return dataset_; }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  int64_t source_index(int64_t index) const;

  DatasetPtr dataset_;
  std::vector<int64_t> indices_;
};

}  // namespace ember::data
