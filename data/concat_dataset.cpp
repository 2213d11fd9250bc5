#include "data/concat_dataset.h"

#include <algorithm>

#include "framework/error.h"

namespace ember::data {

ConcatDataset::ConcatDataset(std::vector<DatasetPtr> datasets)
    : datasets_(std::move(datasets)) {
  EMBER_CHECK(!datasets_.empty(), "ConcatDataset: expected at least one dataset");
  offsets_.push_back(0);
  for (size_t k = 0; k < datasets_.size(); ++k) {
    EMBER_CHECK(datasets_[k] != nullptr, "ConcatDataset: dataset ", k, " is null");
    offsets_.push_back(offsets_.back() + datasets_[k]->size());
  }
}

std::pair<const Dataset*, int64_t> ConcatDataset::locate(int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size(), "ConcatDataset: index ", index,
              " is out of range for ", size(), " examples");
  // The last offset not above index; empty datasets share an offset, so
  // upper_bound skips them.
  auto next = std::upper_bound(offsets_.begin(), offsets_.end(), index);
  auto k = static_cast<size_t>(next - offsets_.begin() - 1);
  return {datasets_[k].get(), index - offsets_[k]};
}

Example ConcatDataset::get(int64_t index) const {
  auto [dataset, local] = locate(index);
  return dataset->get(local);
}

Example ConcatDataset::fetch(int64_t index, Generator& generator) const {
  auto [dataset, local] = locate(index);
  return dataset->fetch(local, generator);
}

}  // namespace ember::data
