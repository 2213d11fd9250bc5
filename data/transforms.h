#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "data/transform.h"

// Per-example image transforms, as torchvision.transforms on tensors. Images
// are [C, H, W]; each transform names the dtypes it takes (float32 and
// float64 everywhere; flips and crops any dtype) and throws ember::Error
// for anything else, naming itself and the input's shape. Outputs are new
// tensors of the input's dtype (or the input itself where nothing changes).
namespace ember::data {

// A height and width; one number means a square.
struct Size2d {
  int64_t height = 0;
  int64_t width = 0;

  Size2d(int64_t side) : height(side), width(side) {}  // NOLINT: implicit on purpose
  Size2d(int64_t height_, int64_t width_) : height(height_), width(width_) {}
};

// Pixels added on each side of an image, as torchvision's padding argument:
// one number pads every side, two pad (left and right, top and bottom).
struct Padding {
  int64_t left = 0;
  int64_t top = 0;
  int64_t right = 0;
  int64_t bottom = 0;

  Padding() = default;
  Padding(int64_t all) : left(all), top(all), right(all), bottom(all) {}  // NOLINT: implicit
  Padding(int64_t horizontal, int64_t vertical)
      : left(horizontal), top(vertical), right(horizontal), bottom(vertical) {}
  Padding(int64_t left_, int64_t top_, int64_t right_, int64_t bottom_)
      : left(left_), top(top_), right(right_), bottom(bottom_) {}
};

// How padded pixels are filled, as torchvision's padding_mode.
enum class PaddingMode {
  Constant,   // the fill value
  Edge,       // the nearest edge pixel
  Reflect,    // mirrored without repeating the edge: 2 1 | 0 1 2 (padding < size)
  Symmetric,  // mirrored repeating the edge: 1 0 | 0 1 2 (padding <= size)
};

// The image padded on each side. image: [C, H, W], any dtype.
// Returns [C, H + top + bottom, W + left + right]. Throws for another rank,
// negative padding, or reflect / symmetric padding wider than allowed above.
Tensor pad(const Tensor& image, const Padding& padding, double fill = 0.0,
           PaddingMode mode = PaddingMode::Constant);

// The region [top, top + size.height) x [left, left + size.width) of an
// image [C, H, W] (any dtype), copied. Throws when the region is empty or
// leaves the image.
Tensor crop(const Tensor& image, int64_t top, int64_t left, Size2d size);

// The image mirrored left to right (its last dim reversed). [C, H, W], any dtype.
Tensor horizontal_flip(const Tensor& image);

// The image rotated by `degrees` counter-clockwise about its centre (pixel
// position ((W - 1) / 2, (H - 1) / 2)), as torchvision's rotate with
// expand = false: output pixel p samples the input at R(-degrees) p with
// bilinear interpolation, taking `fill` where a neighbour lies outside.
// Multiples of 90 degrees on a square image move pixels exactly.
// image: [C, H, W] float32 or float64.
Tensor rotate(const Tensor& image, double degrees, double fill = 0.0);

// The image with the region [top, top + size.height) x [left, left +
// size.width) set to `value` (one number, or one per channel).
// image: [C, H, W] float32, float64 or int64. Throws when the region leaves
// the image or value has neither 1 nor C entries.
Tensor erase(const Tensor& image, int64_t top, int64_t left, Size2d size,
             const std::vector<double>& value);

// (input[c] - mean[c]) / std[c] for each channel c, as torchvision's
// Normalize. mean and std hold C values, or one for every channel.
// input: [C, H, W] float32 or float64.
// Throws for another rank or dtype, a mean or std of another length, or a std
// that is zero or not finite.
class Normalize : public Transform {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std);

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  std::vector<double> mean_;
  std::vector<double> std_;
};

struct RandomCropOptions {
  Padding padding{};
  // Pad an image narrower (shorter) than the crop by the difference on both
  // sides, after `padding`, as torchvision.
  bool pad_if_needed = false;
  double fill = 0.0;
  PaddingMode padding_mode = PaddingMode::Constant;
};

// Pads the image, then crops `size` at a uniformly drawn offset (top first,
// then left), as torchvision.transforms.RandomCrop:
//   RandomCrop(28, {.padding = 4})   // Fashion-MNIST's usual shift augmentation
// input: [C, H, W], any dtype; returns [C, size.height, size.width].
// Throws for a size below 1 or negative padding (at construction), and for
// another rank or dtype, or a crop larger than the padded image.
class RandomCrop : public Transform {
 public:
  RandomCrop(Size2d size, RandomCropOptions options = {});

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  Size2d size_;
  RandomCropOptions options_;
};

// Mirrors the image left to right with probability p (one uniform draw).
// input: [C, H, W], any dtype; returned as is when not flipped.
// Throws for p outside [0, 1] or another rank.
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  double p_;
};

struct RandomRotationOptions {
  double fill = 0.0;  // taken where the rotated image leaves the frame
};

// Rotates by an angle drawn uniformly from [-degrees, degrees] (or from a
// {min, max} range), counter-clockwise about the centre with bilinear
// interpolation, `fill` outside the image: see rotate().
//   RandomRotation(10)   RandomRotation({-5, 15}, {.fill = 1})
// input: [C, H, W] float32 or float64.
// Throws for negative degrees, min > max or a non-finite bound.
class RandomRotation : public Transform {
 public:
  explicit RandomRotation(double degrees, RandomRotationOptions options = {});
  explicit RandomRotation(std::array<double, 2> range, RandomRotationOptions options = {});

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  std::array<double, 2> range_;
  double fill_;
};

struct RandomErasingOptions {
  double p = 0.5;
  // The erased fraction of the image's area, drawn uniformly from this range.
  std::array<double, 2> scale = {0.02, 0.33};
  // The region's height / width, drawn log-uniformly from this range.
  std::array<double, 2> ratio = {0.3, 3.3};
  // One value, or one per channel.
  std::vector<double> value = {0.0};
  // Fill with standard normal noise instead of `value` (torchvision's "random").
  bool random_value = false;
};

// Erases a random rectangle with probability p, as
// torchvision.transforms.RandomErasing (Zhong et al., 2017): up to ten
// attempts draw an area fraction from `scale` and a log-uniform aspect ratio
// from `ratio`, take height round(sqrt(area * ratio)) and width
// round(sqrt(area / ratio)), and erase at a uniform position once the region
// fits inside the image; the image is returned as is if none fits.
// input: [C, H, W] float32 or float64 (int64 too without random_value).
// Throws for p outside [0, 1], a scale range outside [0, 1] or reversed, a
// ratio range that is reversed or not positive, an empty value, and (when
// called) another rank or dtype or a value of neither 1 nor C entries.
class RandomErasing : public Transform {
 public:
  explicit RandomErasing(RandomErasingOptions options = {});

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  RandomErasingOptions options_;
};

// input + noise, noise ~ N(mean, std^2) drawn per element from the generator
// (the name avoids nn::GaussianNoise, the layer). input: any shape, float32
// or float64. Throws for a negative or non-finite std or a non-finite mean.
class AddGaussianNoise : public Transform {
 public:
  explicit AddGaussianNoise(double std, double mean = 0.0);

  Tensor operator()(const Tensor& input, Generator& generator) const override;

 private:
  double std_;
  double mean_;
};

}  // namespace ember::data
