#include "data/subset.h"

#include "framework/error.h"

namespace ember::data {

Subset::Subset(DatasetPtr dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  EMBER_CHECK(dataset_ != nullptr, "Subset: the dataset is null");
  const int64_t n = dataset_->size();
  for (size_t i = 0; i < indices_.size(); ++i) {
    EMBER_CHECK(indices_[i] >= 0 && indices_[i] < n, "Subset: index ", indices_[i],
                " at position ", i, " is out of range for a dataset of ", n, " examples");
  }
}

int64_t Subset::source_index(int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size(), "Subset: index ", index, " is out of range for ",
              size(), " examples");
  return indices_[static_cast<size_t>(index)];
}

Example Subset::get(int64_t index) const { return dataset_->get(source_index(index)); }

Example Subset::fetch(int64_t index, Generator& generator) const {
  return dataset_->fetch(source_index(index), generator);
}

}  // namespace ember::data
