#pragma once

#include <concepts>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "framework/random.h"
#include "framework/tensor.h"

namespace ember::data {

// A per-example transform of an input tensor, as a torchvision transform:
//   Tensor out = transform(image, generator);
// Image transforms take [C, H, W] float32 or float64 (see data/transforms.h).
// A transform never writes into its input (examples may share storage with
// their dataset): it returns a new tensor, or the input itself when it leaves
// it unchanged. Anything random is drawn from `generator` alone, so a seed
// fixes the result; implementations keep no mutable state, so one transform
// may run on several threads at once.
class Transform {
 public:
  virtual ~Transform() = default;

  virtual Tensor operator()(const Tensor& input, Generator& generator) const = 0;
};

using TransformPtr = std::shared_ptr<const Transform>;

namespace detail {

// A transform value moved into shared ownership.
template <typename T>
TransformPtr share_transform(T&& transform) {
  return std::make_shared<std::decay_t<T>>(std::forward<T>(transform));
}

}  // namespace detail

// Applies transforms in order, as torchvision.transforms.Compose:
//   Compose augment(RandomCrop(28, {.padding = 4}), RandomHorizontalFlip(),
//                   Normalize({0.2860}, {0.3530}));
// Throws ember::Error for a null transform.
class Compose : public Transform {
 public:
  explicit Compose(std::vector<TransformPtr> transforms);

  // Takes transforms by value; a single Compose argument copies it instead.
  template <typename... Ts>
    requires(sizeof...(Ts) > 0 && (std::derived_from<std::decay_t<Ts>, Transform> && ...) &&
             !(sizeof...(Ts) == 1 && (std::same_as<std::decay_t<Ts>, Compose> && ...)))
  explicit Compose(Ts&&... transforms)
      : Compose(std::vector<TransformPtr>{
            detail::share_transform(std::forward<Ts>(transforms))...}) {}

  Tensor operator()(const Tensor& input, Generator& generator) const override;

  const std::vector<TransformPtr>& transforms() const { return transforms_; }

 private:
  std::vector<TransformPtr> transforms_;
};

// Applies `transform` with probability p, as torchvision's RandomApply; one
// uniform draw decides, then the transform draws what it needs.
// Throws ember::Error for a null transform or p outside [0, 1].
class RandomApply : public Transform {
 public:
  RandomApply(TransformPtr transform, double p = 0.5);
  template <typename T>
    requires std::derived_from<std::decay_t<T>, Transform>
  explicit RandomApply(T&& transform, double p = 0.5)
      : RandomApply(detail::share_transform(std::forward<T>(transform)), p) {}

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  TransformPtr transform_;
  double p_;
};

}  // namespace ember::data
