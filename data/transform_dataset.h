#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "data/dataset.h"
#include "data/transform.h"

namespace ember::data {

// `dataset` with `transform` applied to each example's input (targets pass
// through), as a torchvision dataset's transform argument:
//   auto train = std::make_shared<TransformDataset>(fashion, augment);
//   DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 0});
// Through a DataLoader, fetch() hands the transform the example's generator,
// so augmentations repeat for a seed whatever the thread count. get() draws
// from default_generator() instead (reseeded by manual_seed).
// Throws ember::Error for a null dataset or transform; the transform's errors
// (a wrong input shape) surface from get() and fetch().
class TransformDataset : public Dataset {
 public:
  TransformDataset(DatasetPtr dataset, TransformPtr transform);
  template <typename T>
    requires std::derived_from<std::decay_t<T>, Transform>
  TransformDataset(DatasetPtr dataset, T&& transform)
      : TransformDataset(std::move(dataset), detail::share_transform(std::forward<T>(transform))) {}

  int64_t size() const override { return dataset_->size(); }
  Example get(int64_t index) const override;
  Example fetch(int64_t index, Generator& generator) const override;

  const DatasetPtr& dataset() const { return dataset_; }
  const TransformPtr& transform() const { return transform_; }

 private:
  DatasetPtr dataset_;
  TransformPtr transform_;
};

}  // namespace ember::data
