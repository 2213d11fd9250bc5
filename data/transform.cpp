#include "data/transform.h"

#include "data/detail/random_draws.h"
#include "framework/error.h"

namespace ember::data {

Compose::Compose(std::vector<TransformPtr> transforms) : transforms_(std::move(transforms)) {
  for (size_t i = 0; i < transforms_.size(); ++i) {
    EMBER_CHECK(transforms_[i] != nullptr, "Compose: transform ", i, " of ", transforms_.size(),
                " is null");
  }
}

Tensor Compose::operator()(const Tensor& input, Generator& generator) const {
  Tensor result = input;
  for (const TransformPtr& transform : transforms_) result = (*transform)(result, generator);
  return result;
}

RandomApply::RandomApply(TransformPtr transform, double p)
    : transform_(std::move(transform)), p_(p) {
  EMBER_CHECK(transform_ != nullptr, "RandomApply: the transform is null");
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "RandomApply: p must lie in [0, 1], got ", p);
}

Tensor RandomApply::operator()(const Tensor& input, Generator& generator) const {
  if (detail::uniform(generator) < p_) return (*transform_)(input, generator);
  return input;
}

}  // namespace ember::data
