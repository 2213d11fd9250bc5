#include "data/transform_dataset.h"

#include "framework/error.h"

namespace ember::data {

TransformDataset::TransformDataset(DatasetPtr dataset, TransformPtr transform)
    : dataset_(std::move(dataset)), transform_(std::move(transform)) {
  EMBER_CHECK(dataset_ != nullptr, "TransformDataset: the dataset is null");
  EMBER_CHECK(transform_ != nullptr, "TransformDataset: the transform is null");
}

Example TransformDataset::get(int64_t index) const {
  return fetch(index, default_generator());
}

Example TransformDataset::fetch(int64_t index, Generator& generator) const {
  // The wrapped dataset draws first (it may hold transforms of its own), then
  // this transform continues from the same generator.
  Example example = dataset_->fetch(index, generator);
  example.input = (*transform_)(example.input, generator);
  return example;
}

}  // namespace ember::data
