#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "data/batch_transforms.h"
#include "data/data_loader.h"
#include "data/detail/random_draws.h"
#include "data/tensor_dataset.h"
#include "data/transform.h"
#include "data/transform_dataset.h"
#include "data/transforms.h"
#include "data_test_helpers.h"
#include "helpers.h"
#include "ops/loss.h"
#include "ops/softmax.h"

using ember::Generator;
using ember::Tensor;
using ember::data::Batch;
using ember::data::Box;
using ember::data::CutMix;
using ember::data::Mixup;
using ember::data::PaddingMode;
using ember_test::ErrorMentions;
using ember_test::ThreadCount;

namespace {

// 1, 2, ... laid out as `shape`.
Tensor counting(const ember::Shape& shape, ember::DType dtype = ember::kFloat32) {
  int64_t n = 1;
  for (int64_t size : shape) n *= size;
  std::vector<double> data(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) data[static_cast<size_t>(k)] = static_cast<double>(k + 1);
  return ember::tensor(data, shape).to(dtype);
}

Tensor values(const std::vector<double>& data, const ember::Shape& shape,
              ember::DType dtype = ember::kFloat32) {
  return ember::tensor(data, shape).to(dtype);
}

// The element (c, y, x) of [C, H, W] in its flat vector.
double at(const std::vector<double>& image, const ember::Shape& shape, int64_t c, int64_t y,
          int64_t x) {
  return image[static_cast<size_t>((c * shape[1] + y) * shape[2] + x)];
}

bool identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         a.to_vector<double>() == b.to_vector<double>();
}

// The rectangle where `image` (all ones before) holds zeros in every channel:
// its height and width, or {-1, -1} when the zeros do not form one.
std::pair<int64_t, int64_t> zero_rectangle(const Tensor& image) {
  std::vector<double> data = image.to_vector<double>();
  const ember::Shape& shape = image.shape();
  int64_t top = shape[1], left = shape[2], bottom = -1, right = -1, zeros = 0;
  for (int64_t y = 0; y < shape[1]; ++y) {
    for (int64_t x = 0; x < shape[2]; ++x) {
      if (at(data, shape, 0, y, x) != 0.0) continue;
      top = std::min(top, y), left = std::min(left, x);
      bottom = std::max(bottom, y), right = std::max(right, x);
    }
  }
  for (double value : data) zeros += value == 0.0;
  if (bottom < 0) return {0, 0};
  int64_t height = bottom - top + 1, width = right - left + 1;
  if (zeros != shape[0] * height * width) return {-1, -1};
  return {height, width};
}

// Labelled images [n, 1, 6, 6] with labels i % 4.
std::shared_ptr<ember::data::TensorDataset> small_images(int64_t n) {
  Generator generator(11);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(i % 4);
  return std::make_shared<ember::data::TensorDataset>(
      ember::rand({n, 1, 6, 6}, ember::kFloat32, &generator), ember::tensor(labels, {n}));
}

// A batch of B images [B, 1, H, W] where row b holds the value b + 1
// everywhere, labelled b (so every row has its own class).
Batch constant_rows(int64_t batch_size, int64_t height, int64_t width) {
  std::vector<double> pixels;
  std::vector<int64_t> labels;
  for (int64_t b = 0; b < batch_size; ++b) {
    pixels.insert(pixels.end(), static_cast<size_t>(height * width), static_cast<double>(b + 1));
    labels.push_back(b);
  }
  Batch batch;
  batch.input = values(pixels, {batch_size, 1, height, width});
  batch.target = ember::tensor(labels, {batch_size});
  for (int64_t b = 0; b < batch_size; ++b) batch.indices.push_back(b);
  return batch;
}

}  // namespace

TEST_CASE("horizontal_flip reverses the rows of every channel", "[data]") {
  Tensor image = counting({2, 2, 3});
  Generator generator(0);

  Tensor flipped = ember::data::horizontal_flip(image);
  Tensor always = ember::data::RandomHorizontalFlip(1.0)(image, generator);
  Tensor never = ember::data::RandomHorizontalFlip(0.0)(image, generator);

  Tensor expected = values({3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}, {2, 2, 3});
  CHECK(identical(flipped, expected));
  CHECK(identical(always, expected));
  CHECK(never.same(image));
  CHECK(identical(image, counting({2, 2, 3})));
  CHECK(identical(ember::data::horizontal_flip(counting({1, 2, 2}, ember::kInt64)),
                  values({2, 1, 4, 3}, {1, 2, 2}, ember::kInt64)));
}

TEST_CASE("RandomHorizontalFlip flips about half the time and repeats for a seed", "[data]") {
  ember::data::RandomHorizontalFlip flip;
  Tensor image = counting({1, 1, 2});
  int flips = 0;

  for (uint64_t seed = 0; seed < 400; ++seed) {
    Generator first(seed), second(seed);
    Tensor a = flip(image, first);
    CHECK(identical(a, flip(image, second)));
    flips += a.to_vector<float>()[0] == 2.0f;
  }

  CHECK(flips > 160);
  CHECK(flips < 240);
}

TEST_CASE("pad fills each side as its padding mode says", "[data]") {
  Tensor row = values({1, 2, 3}, {1, 1, 3});
  using M = PaddingMode;

  auto padded = [&](M mode) { return ember::data::pad(row, {2, 0}, 9.0, mode).to_vector<float>(); };

  CHECK(padded(M::Constant) == std::vector<float>{9, 9, 1, 2, 3, 9, 9});
  CHECK(padded(M::Edge) == std::vector<float>{1, 1, 1, 2, 3, 3, 3});
  CHECK(padded(M::Reflect) == std::vector<float>{3, 2, 1, 2, 3, 2, 1});
  CHECK(padded(M::Symmetric) == std::vector<float>{2, 1, 1, 2, 3, 3, 2});
  CHECK(ember::data::pad(row, {1, 2, 0, 1}).shape() == ember::Shape{1, 4, 4});
  CHECK_THROWS_MATCHES(ember::data::pad(row, {3, 0}, 0.0, M::Reflect), ember::Error,
                       ErrorMentions({"pad", "reflect padding 3", "width 3"}));
  CHECK_THROWS_MATCHES(ember::data::pad(row, -1), ember::Error,
                       ErrorMentions({"pad", "non-negative"}));
}

TEST_CASE("RandomCrop pads, then crops at the offset its generator draws", "[data]") {
  // 1..9 in a 3x3 image, zero-padded by one pixel on each side.
  Tensor image = counting({1, 3, 3});
  std::vector<std::vector<double>> padded = {{0, 0, 0, 0, 0},
                                             {0, 1, 2, 3, 0},
                                             {0, 4, 5, 6, 0},
                                             {0, 7, 8, 9, 0},
                                             {0, 0, 0, 0, 0}};
  ember::data::RandomCrop random_crop(3, {.padding = 1});
  std::vector<int> seen(9, 0);

  for (uint64_t seed = 0; seed < 60; ++seed) {
    Generator generator(seed), replay(seed);
    Tensor cropped = random_crop(image, generator);
    int64_t top = ember::data::detail::uniform_int(replay, 3);
    int64_t left = ember::data::detail::uniform_int(replay, 3);

    std::vector<double> expected;
    for (int64_t y = 0; y < 3; ++y) {
      for (int64_t x = 0; x < 3; ++x) expected.push_back(padded[top + y][left + x]);
    }
    CHECK(cropped.to_vector<double>() == expected);
    ++seen[static_cast<size_t>(top * 3 + left)];
  }

  // Every offset turns up.
  CHECK(std::count(seen.begin(), seen.end(), 0) == 0);
}

TEST_CASE("RandomCrop with pad_if_needed pads a small image by the shortfall", "[data]") {
  Tensor image = counting({2, 2, 3}, ember::kFloat64);
  ember::data::RandomCrop random_crop({4, 5}, {.pad_if_needed = true, .fill = -1.0});

  for (uint64_t seed = 0; seed < 20; ++seed) {
    Generator generator(seed), replay(seed);
    Tensor cropped = random_crop(image, generator);
    // As torchvision: 2 rows on top and bottom, 2 columns on each side.
    int64_t top = ember::data::detail::uniform_int(replay, 6 - 4 + 1);
    int64_t left = ember::data::detail::uniform_int(replay, 7 - 5 + 1);
    Tensor expected = ember::data::crop(ember::data::pad(image, {2, 2}, -1.0), top, left, {4, 5});
    CHECK(identical(cropped, expected));
  }
}

TEST_CASE("RandomCrop rejects bad sizes and crops larger than the padded image", "[data]") {
  Generator generator(0);
  Tensor image = counting({1, 4, 4});

  CHECK_THROWS_MATCHES(ember::data::RandomCrop(7, {.padding = 1})(image, generator), ember::Error,
                       ErrorMentions({"RandomCrop", "crop size [7, 7]", "padded image [6, 6]",
                                      "[1, 4, 4]"}));
  CHECK_THROWS_MATCHES(ember::data::RandomCrop(0), ember::Error,
                       ErrorMentions({"RandomCrop", "size must be at least 1"}));
  CHECK_THROWS_MATCHES(ember::data::RandomCrop(2, {.padding = -1}), ember::Error,
                       ErrorMentions({"RandomCrop", "non-negative"}));
  CHECK_THROWS_MATCHES(ember::data::RandomCrop(2)(counting({4, 4}), generator), ember::Error,
                       ErrorMentions({"RandomCrop", "[C, H, W]", "[4, 4]", "unsqueeze"}));
  CHECK_THROWS_MATCHES(
      ember::data::RandomCrop(4, {.padding = 4, .padding_mode = PaddingMode::Reflect})(
          image, generator),
      ember::Error, ErrorMentions({"RandomCrop", "reflect padding 4"}));
  CHECK_THROWS_MATCHES(ember::data::crop(image, 2, 0, {3, 2}), ember::Error,
                       ErrorMentions({"crop", "leaves the image [1, 4, 4]"}));
}

TEST_CASE("rotate by 0 or 360 degrees is the identity", "[data]") {
  Tensor image = counting({2, 3, 4});

  CHECK(identical(ember::data::rotate(image, 0.0), image));
  CHECK(identical(ember::data::rotate(image, 360.0), image));
  CHECK(identical(ember::data::rotate(image, -720.0), image));
}

// out[c, y, x] = image[c, H - 1 - y, W - 1 - x].
Tensor turned_half(const Tensor& image) {
  std::vector<double> data = image.to_vector<double>();
  const ember::Shape& shape = image.shape();
  std::vector<double> out;
  for (int64_t c = 0; c < shape[0]; ++c) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      for (int64_t x = 0; x < shape[2]; ++x) {
        out.push_back(at(data, shape, c, shape[1] - 1 - y, shape[2] - 1 - x));
      }
    }
  }
  return values(out, shape, image.dtype());
}

TEST_CASE("rotate by 90 degrees on a square image is a flip then a transpose", "[data]") {
  auto dtype = GENERATE(ember::kFloat32, ember::kFloat64);
  Tensor image = counting({2, 4, 4}, dtype);
  // Counter-clockwise: out[y][x] = in[x][W - 1 - y], as torch.rot90(image, 1, {1, 2}).
  Tensor quarter = ember::data::horizontal_flip(image).transpose(1, 2).contiguous();

  Tensor rotated = ember::data::rotate(image, 90.0);
  Tensor half = ember::data::rotate(image, 180.0);

  CHECK(identical(rotated, quarter));
  CHECK(identical(half, turned_half(image)));
  CHECK(identical(ember::data::rotate(rotated, -90.0), image));
  CHECK(identical(ember::data::rotate(image, -90.0), ember::data::rotate(half, 90.0)));
}

TEST_CASE("rotate matches torchvision's bilinear rotation about the centre", "[data]") {
  // From tools/make_transforms_fixtures.py (torchvision 0.14's rotate, fill 0).
  const std::vector<double> by_30 = {
      0.405530892359217, 2.02155629614365, 4.75480947161671, 8.12083487540115, 5.69993217868224,
      1.85288568297003,  5.21891108675447, 8.5849364905389,  11.9509618943233, 15.3169872981078,
      5.68301270189222,  9.04903810567666, 12.4150635094611, 15.7810889132455, 19.14711431703,
      5.17700086237133,  12.8791651245989, 16.2451905283833, 12.6986434846465, 3.81466888843096};
  const std::vector<double> by_minus_17_5 = {
      2.7932392421928,  3.44587621690503, 2.89606417013189, 2.69255915813562, 2.08564141553331,
      8.59559017455737, 8.51516677015043, 7.9653547233773,  7.41554267660416, 6.86573062983102,
      14.134269370169,  13.5844573233958, 13.0346452766227, 12.4848332298496, 11.1908869992222,
      7.74263105671807, 13.4505351037055, 18.1039358298681, 17.554123783095,  10.6784161419971};
  auto dtype = GENERATE(ember::kFloat32, ember::kFloat64);
  CAPTURE(ember::dtype_name(dtype));
  Tensor image = counting({1, 4, 5}, dtype);
  double tolerance = dtype == ember::kFloat32 ? 1e-5 : 1e-12;

  Tensor rotated_30 = ember::data::rotate(image, 30.0);
  Tensor rotated_minus = ember::data::rotate(image, -17.5);

  CHECK_CLOSE(rotated_30, values(by_30, {1, 4, 5}, dtype), tolerance, tolerance);
  CHECK_CLOSE(rotated_minus, values(by_minus_17_5, {1, 4, 5}, dtype), tolerance, tolerance);
}

TEST_CASE("rotate takes the fill value where the rotated image leaves the frame", "[data]") {
  Tensor ones = ember::ones({1, 5, 5});

  std::vector<float> filled_with_one = ember::data::rotate(ones, 45.0, 1.0).to_vector<float>();
  std::vector<float> filled_with_zero = ember::data::rotate(ones, 45.0).to_vector<float>();

  for (float value : filled_with_one) CHECK(value == Approx(1.0f).margin(1e-6));
  CHECK(filled_with_zero[0] < 0.5f);      // a corner comes from outside
  CHECK(filled_with_zero[12] == 1.0f);    // the centre stays
}

TEST_CASE("RandomRotation draws its angle uniformly from the range", "[data]") {
  Tensor image = counting({1, 5, 5}, ember::kFloat64);
  ember::data::RandomRotation random_rotation(10.0);

  for (uint64_t seed = 0; seed < 10; ++seed) {
    Generator generator(seed), replay(seed);
    double angle = ember::data::detail::uniform(replay, -10.0, 10.0);
    CHECK(identical(random_rotation(image, generator), ember::data::rotate(image, angle)));
  }
  Generator generator(3);
  CHECK(identical(ember::data::RandomRotation({90.0, 90.0})(image, generator),
                  ember::data::rotate(image, 90.0)));
  CHECK_THROWS_MATCHES(ember::data::RandomRotation(-1.0), ember::Error,
                       ErrorMentions({"RandomRotation", "non-negative", "-1"}));
  CHECK_THROWS_MATCHES(ember::data::RandomRotation({5.0, -5.0}), ember::Error,
                       ErrorMentions({"RandomRotation", "reversed"}));
  CHECK_THROWS_MATCHES(random_rotation(counting({1, 5, 5}, ember::kInt64), generator),
                       ember::Error, ErrorMentions({"RandomRotation", "int64"}));
}

TEST_CASE("Normalize subtracts each channel's mean and divides by its std", "[data]") {
  auto dtype = GENERATE(ember::kFloat32, ember::kFloat64);
  Generator generator(4);
  Tensor image = ember::rand({3, 4, 5}, dtype, &generator);
  std::vector<double> mean = {0.1, 0.2, 0.3}, std = {0.5, 2.0, 4.0};

  Tensor normalized = ember::data::Normalize(mean, std)(image, generator);
  Tensor shared = ember::data::Normalize({0.5}, {0.25})(image, generator);

  std::vector<double> data = image.to_vector<double>(), expected, expected_shared;
  for (size_t k = 0; k < data.size(); ++k) {
    size_t c = k / 20;
    expected.push_back((data[k] - mean[c]) / std[c]);
    expected_shared.push_back((data[k] - 0.5) / 0.25);
  }
  double tolerance = ember_test::default_rtol(dtype);
  CHECK_CLOSE(normalized, values(expected, {3, 4, 5}, dtype), tolerance, tolerance);
  CHECK_CLOSE(shared, values(expected_shared, {3, 4, 5}, dtype), tolerance, tolerance);
}

TEST_CASE("Normalize names the mismatch in its errors", "[data]") {
  Generator generator(0);
  ember::data::Normalize three({0.1, 0.2, 0.3}, {1.0, 1.0, 1.0});

  CHECK_THROWS_MATCHES(three(ember::ones({1, 2, 2}), generator), ember::Error,
                       ErrorMentions({"Normalize", "mean has 3 values", "[1, 2, 2]"}));
  CHECK_THROWS_MATCHES(ember::data::Normalize({0.0}, {0.0}), ember::Error,
                       ErrorMentions({"Normalize", "std[0]", "non-zero"}));
  CHECK_THROWS_MATCHES(three(ember::ones({2, 3, 2, 2}), generator), ember::Error,
                       ErrorMentions({"Normalize", "[C, H, W]", "[2, 3, 2, 2]", "batch"}));
  CHECK_THROWS_MATCHES(three(ember::ones({3, 2, 2}, ember::kInt64), generator), ember::Error,
                       ErrorMentions({"Normalize", "float32 or float64", "int64"}));
}

TEST_CASE("RandomErasing erases one rectangle within the scale and ratio ranges", "[data]") {
  const int64_t height = 40, width = 30;
  Tensor image = ember::ones({3, height, width});
  ember::data::RandomErasing random_erasing({.p = 1.0});
  const double area = static_cast<double>(height * width);
  int erased = 0;

  for (uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    Generator generator(seed);
    auto [h, w] = zero_rectangle(random_erasing(image, generator));
    REQUIRE(h >= 0);
    if (h == 0 || w == 0) continue;  // every attempt was rejected, or rounded to nothing
    ++erased;

    // h = round(sqrt(A r)) and w = round(sqrt(A / r)) for some A in scale * area
    // and r in ratio: within rounding, h w spans A and h / w spans r.
    double hi = h + 0.5, lo = h - 0.5, wi = w + 0.5, wo = w - 0.5;
    CHECK(hi * wi >= 0.02 * area);
    CHECK(lo * wo <= 0.33 * area);
    CHECK(hi / wo >= 0.3);
    CHECK(lo / wi <= 3.3);
  }

  CHECK(erased > 150);
  CHECK(identical(image, ember::ones({3, height, width})));
}

TEST_CASE("RandomErasing uses per-channel values, noise, and gives up after ten tries",
          "[data]") {
  Tensor image = ember::ones({2, 10, 10});
  Generator generator(1);

  Tensor never = ember::data::RandomErasing({.p = 0.0})(image, generator);
  Tensor whole = ember::data::RandomErasing({.p = 1.0, .scale = {0.96, 1.0}, .ratio = {1.0, 1.0}})(
      image, generator);
  Tensor coloured =
      ember::data::RandomErasing({.p = 1.0, .scale = {0.2, 0.2}, .ratio = {1.0, 1.0},
                                  .value = {5.0, 7.0}})(image, generator);
  Tensor noisy = ember::data::RandomErasing({.p = 1.0, .random_value = true})(image, generator);

  CHECK(never.same(image));
  // sqrt(0.96 * 100) rounds to 10, never below the image's side.
  CHECK(whole.same(image));
  std::vector<float> data = coloured.to_vector<float>();
  // An area of 20 at ratio 1 erases round(sqrt(20))^2 = 16 pixels.
  CHECK(std::count(data.begin(), data.begin() + 100, 5.0f) == 16);
  CHECK(std::count(data.begin() + 100, data.end(), 7.0f) == 16);
  std::vector<float> noise = noisy.to_vector<float>();
  CHECK(std::count(noise.begin(), noise.end(), 1.0f) < 200);
  CHECK_THROWS_MATCHES(ember::data::RandomErasing({.value = {1, 2, 3}})(image, generator),
                       ember::Error, ErrorMentions({"RandomErasing", "1 or 2 values", "3"}));
  CHECK_THROWS_MATCHES(ember::data::RandomErasing({.scale = {0.5, 0.1}}), ember::Error,
                       ErrorMentions({"RandomErasing", "scale", "(0.5, 0.1)"}));
  CHECK_THROWS_MATCHES(ember::data::RandomErasing({.ratio = {0.0, 1.0}}), ember::Error,
                       ErrorMentions({"RandomErasing", "ratio"}));
}

TEST_CASE("AddGaussianNoise adds noise of the given mean and std", "[data]") {
  Tensor image = ember::zeros({4, 50, 50}, ember::kFloat64);
  ember::data::AddGaussianNoise noise(0.5, 0.25);
  Generator generator(2), replay(2), other(3);

  Tensor noisy = noise(image, generator);

  std::vector<double> data = noisy.to_vector<double>();
  double sum = 0.0, squares = 0.0;
  for (double value : data) sum += value, squares += value * value;
  double mean = sum / data.size();
  double variance = squares / data.size() - mean * mean;
  CHECK(mean == Approx(0.25).margin(0.02));
  CHECK(std::sqrt(variance) == Approx(0.5).epsilon(0.03));
  CHECK(identical(noise(image, replay), noisy));
  CHECK_FALSE(identical(noise(image, other), noisy));
  CHECK(identical(image, ember::zeros({4, 50, 50}, ember::kFloat64)));
  CHECK(identical(ember::data::AddGaussianNoise(0.0)(ember::ones({3}), other), ember::ones({3})));
  CHECK_THROWS_MATCHES(ember::data::AddGaussianNoise(-1.0), ember::Error,
                       ErrorMentions({"AddGaussianNoise", "std", "-1"}));
}

TEST_CASE("Compose applies its transforms in order from one generator", "[data]") {
  Tensor image = counting({1, 2, 3});
  ember::data::Compose compose(ember::data::RandomHorizontalFlip(1.0),
                               ember::data::Normalize({1.0}, {2.0}),
                               ember::data::AddGaussianNoise(0.1));
  Generator generator(5), replay(5);

  Tensor result = compose(image, generator);

  Tensor flipped = ember::data::horizontal_flip(image);
  ember::data::detail::uniform(replay);  // the flip's draw
  Tensor expected = ember::data::AddGaussianNoise(0.1)(
      ember::data::Normalize({1.0}, {2.0})(flipped, replay), replay);
  CHECK(identical(result, expected));
  CHECK(compose.transforms().size() == 3);
  CHECK(identical(ember::data::RandomApply(ember::data::RandomHorizontalFlip(1.0), 1.0)(
                      image, generator),
                  flipped));
  CHECK(ember::data::RandomApply(ember::data::RandomHorizontalFlip(1.0), 0.0)(image, generator)
            .same(image));
  CHECK_THROWS_MATCHES(ember::data::Compose({ember::data::TransformPtr()}), ember::Error,
                       ErrorMentions({"Compose", "transform 0", "null"}));
}

TEST_CASE("TransformDataset transforms inputs, reproducibly, leaving the dataset alone",
          "[data]") {
  auto images = small_images(8);
  Tensor before = images->input().clone();
  ember::data::TransformDataset augmented(
      images, ember::data::Compose(ember::data::RandomErasing({.p = 1.0}),
                                   ember::data::AddGaussianNoise(0.1)));
  Generator first(9), second(9);

  ember::data::Example a = augmented.fetch(3, first);
  ember::data::Example b = augmented.fetch(3, second);

  CHECK(identical(a.input, b.input));
  CHECK_FALSE(identical(a.input, images->get(3).input));
  CHECK(a.target.item<int64_t>() == 3);
  CHECK(identical(images->input(), before));
  CHECK(augmented.size() == 8);
  CHECK(augmented.get(0).input.shape() == ember::Shape{1, 6, 6});
}

TEST_CASE("augmented batches are the same on 1 and 2 threads for a seed", "[data]") {
  auto images = small_images(23);
  Tensor before = images->input().clone();
  auto augmented = std::make_shared<ember::data::TransformDataset>(
      images, ember::data::Compose(ember::data::RandomCrop(6, {.padding = 1}),
                                   ember::data::RandomHorizontalFlip(),
                                   ember::data::RandomRotation(15.0),
                                   ember::data::RandomErasing(),
                                   ember::data::AddGaussianNoise(0.05)));
  ember::data::DataLoaderOptions options{
      .batch_size = 5, .shuffle = true, .seed = 77,
      .batch_transform = ember::data::random_choice({Mixup(1.0, 4), CutMix(1.0, 4)})};
  std::vector<Batch> runs[3];

  for (int run = 0; run < 3; ++run) {
    ThreadCount threads(run == 0 ? 1 : 2);
    ember::data::DataLoader loader(augmented, options);
    for (Batch& batch : loader) runs[run].push_back(std::move(batch));
  }

  for (int run = 1; run < 3; ++run) {
    REQUIRE(runs[run].size() == runs[0].size());
    for (size_t k = 0; k < runs[0].size(); ++k) {
      CHECK(runs[run][k].indices == runs[0][k].indices);
      CHECK(identical(runs[run][k].input, runs[0][k].input));
      CHECK(identical(runs[run][k].target, runs[0][k].target));
    }
  }
  CHECK(runs[0][0].target.shape() == ember::Shape{5, 4});
  CHECK(identical(images->input(), before));
}

TEST_CASE("the Beta sampler's mean and variance match Beta(a, b)", "[data]") {
  auto [a, b] = GENERATE(std::pair{1.0, 1.0}, std::pair{0.2, 0.2}, std::pair{2.0, 5.0},
                         std::pair{0.5, 3.0});
  CAPTURE(a, b);
  Generator generator(42);
  const int n = 20000;

  double sum = 0.0, squares = 0.0;
  for (int i = 0; i < n; ++i) {
    double x = ember::data::detail::sample_beta(generator, a, b);
    REQUIRE(x >= 0.0);
    REQUIRE(x <= 1.0);
    sum += x, squares += x * x;
  }

  double mean = sum / n, variance = squares / n - mean * mean;
  double expected_mean = a / (a + b);
  double expected_variance = a * b / ((a + b) * (a + b) * (a + b + 1));
  // The mean's standard error is sqrt(variance / n) <= 0.004 here.
  CHECK(mean == Approx(expected_mean).margin(0.01));
  CHECK(variance == Approx(expected_variance).epsilon(0.06));
}

TEST_CASE("the Gamma sampler's mean and variance equal its shape", "[data]") {
  double shape = GENERATE(0.3, 1.0, 4.5);
  CAPTURE(shape);
  Generator generator(8);
  const int n = 20000;

  double sum = 0.0, squares = 0.0;
  for (int i = 0; i < n; ++i) {
    double x = ember::data::detail::sample_gamma(generator, shape);
    sum += x, squares += x * x;
  }

  double mean = sum / n, variance = squares / n - mean * mean;
  // Loose enough for shape 0.3, whose draws are heavy-tailed.
  CHECK(mean == Approx(shape).epsilon(0.05));
  CHECK(variance == Approx(shape).epsilon(0.12));
  CHECK_THROWS_MATCHES(ember::data::detail::sample_beta(generator, 0.0, 1.0), ember::Error,
                       ErrorMentions({"sample_beta", "positive"}));
}

TEST_CASE("Mixup mixes inputs and one-hot targets by lambda and its permutation", "[data]") {
  const int64_t batch_size = 6, classes = 8;
  Generator data_generator(6);
  Batch batch;
  batch.input = ember::rand({batch_size, 2, 3}, ember::kFloat64, &data_generator);
  batch.target = ember::tensor(std::vector<int64_t>{0, 3, 3, 7, 1, 5}, {batch_size});
  batch.indices = {10, 11, 12, 13, 14, 15};
  Mixup mix(0.4, classes);
  Generator generator(21), replay(21);

  Batch mixed = mix(batch, generator);

  Mixup::Draw draw = mix.draw(batch_size, replay);
  const double lambda = draw.lambda;
  std::vector<int64_t> labels = batch.target.to_vector<int64_t>();
  std::vector<double> x = batch.input.to_vector<double>();
  std::vector<double> out = mixed.input.to_vector<double>();
  std::vector<double> soft = mixed.target.to_vector<double>();
  REQUIRE(mixed.target.shape() == ember::Shape{batch_size, classes});
  CHECK(mixed.target.dtype() == ember::kFloat64);
  CHECK(mixed.indices == batch.indices);
  for (int64_t b = 0; b < batch_size; ++b) {
    int64_t other = draw.permutation[b];
    double row_sum = 0.0;
    for (int64_t k = 0; k < classes; ++k) {
      double expected = lambda * (labels[b] == k) + (1 - lambda) * (labels[other] == k);
      CHECK(soft[b * classes + k] == Approx(expected).margin(1e-15));
      row_sum += soft[b * classes + k];
    }
    CHECK(row_sum == Approx(1.0).margin(1e-12));
    for (int64_t k = 0; k < 6; ++k) {
      CHECK(out[b * 6 + k] == Approx(lambda * x[b * 6 + k] + (1 - lambda) * x[other * 6 + k])
                                  .margin(1e-15));
    }
  }
  std::vector<int64_t> sorted = draw.permutation;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("Mixup's lambda averages one half for alpha 1", "[data]") {
  Mixup mix(1.0, 10);
  Generator generator(13);
  const int draws = 4000;

  double sum = 0.0;
  for (int i = 0; i < draws; ++i) sum += mix.draw(4, generator).lambda;

  // Uniform on [0, 1]: the mean's standard error is 0.0046.
  CHECK(sum / draws == Approx(0.5).margin(0.02));
}

TEST_CASE("Mixup mixes soft targets and leaves batches alone with probability 1 - p",
          "[data]") {
  Batch batch = constant_rows(3, 2, 2);
  batch.target = values({0.2, 0.8, 0.5, 0.5, 1.0, 0.0}, {3, 2});

  Batch mixed = ember::data::mixup(batch, 0.25, {2, 0, 1}, 2);
  Generator generator(0);
  Batch untouched = Mixup(1.0, 3, 0.0)(constant_rows(3, 2, 2), generator);

  CHECK_CLOSE(mixed.target, values({0.8, 0.2, 0.275, 0.725, 0.625, 0.375}, {3, 2}), 1e-6, 1e-7);
  CHECK(mixed.input.to_vector<float>()[0] == Approx(0.25 * 1 + 0.75 * 3));
  CHECK(identical(untouched.input, constant_rows(3, 2, 2).input));
  CHECK(identical(untouched.target, values({1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3})));
}

TEST_CASE("CutMix pastes a box whose pixel fraction equals the target weight", "[data]") {
  const int64_t batch_size = 5, height = 9, width = 7, area = height * width;
  CutMix cut(1.0, batch_size);
  int boxes = 0;

  for (uint64_t seed = 0; seed < 40; ++seed) {
    CAPTURE(seed);
    Generator generator(seed), replay(seed);
    Batch batch = constant_rows(batch_size, height, width);

    Batch mixed = cut(batch, generator);

    CutMix::Draw draw = cut.draw(batch_size, height, width, replay);
    std::vector<float> pixels = mixed.input.to_vector<float>();
    std::vector<float> soft = mixed.target.to_vector<float>();
    for (int64_t b = 0; b < batch_size; ++b) {
      int64_t other = draw.permutation[b];
      if (other == b) {
        CHECK(soft[b * batch_size + b] == 1.0f);
        continue;
      }
      // Row b holds b + 1 where it kept its own pixels, other + 1 where pasted.
      int64_t pasted = std::count(pixels.begin() + b * area, pixels.begin() + (b + 1) * area,
                                  static_cast<float>(other + 1));
      CHECK(pasted == draw.box.area());
      CHECK(soft[b * batch_size + other] == static_cast<float>(double(pasted) / area));
      CHECK(soft[b * batch_size + b] == static_cast<float>(double(area - pasted) / area));
    }
    boxes += draw.box.area() > 0;
  }

  CHECK(boxes > 30);
}

TEST_CASE("cutmix copies the box of every channel from the permuted row", "[data]") {
  Batch batch;
  batch.input = counting({2, 2, 3, 3});
  batch.target = ember::tensor(std::vector<int64_t>{1, 0}, {2});

  Batch mixed = ember::data::cutmix(batch, Box{1, 1, 2, 1}, {1, 0}, 2);

  std::vector<float> out = mixed.input.to_vector<float>();
  std::vector<float> in = batch.input.to_vector<float>();
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t c = 0; c < 2; ++c) {
      for (int64_t y = 0; y < 3; ++y) {
        for (int64_t x = 0; x < 3; ++x) {
          bool inside = y >= 1 && y < 3 && x == 1;
          int64_t from = inside ? 1 - b : b;
          CHECK(out[((b * 2 + c) * 3 + y) * 3 + x] == in[((from * 2 + c) * 3 + y) * 3 + x]);
        }
      }
    }
  }
  CHECK_CLOSE(mixed.target, values({2.0 / 9, 7.0 / 9, 7.0 / 9, 2.0 / 9}, {2, 2}), 1e-6, 1e-7);
}

TEST_CASE("cross_entropy takes Mixup and CutMix soft targets, forward and backward",
          "[data]") {
  const int64_t batch_size = 4, classes = 3;
  bool use_cutmix = GENERATE(false, true);
  Generator generator(17);
  Batch batch = constant_rows(batch_size, 4, 4);
  batch.target = ember::tensor(std::vector<int64_t>{0, 2, 1, 2}, {batch_size});
  Batch mixed = use_cutmix ? CutMix(1.0, classes)(batch, generator)
                           : Mixup(1.0, classes)(batch, generator);
  Tensor logits = ember::rand({batch_size, classes}, ember::kFloat32, &generator);
  logits.requires_grad_();

  Tensor loss = ember::cross_entropy(logits, mixed.target);
  loss.backward();

  // -mean_b sum_c t[b, c] log_softmax(logits)[b, c]
  std::vector<double> log_p = ember::log_softmax(logits.detach(), 1).to_vector<double>();
  std::vector<double> soft = mixed.target.to_vector<double>();
  double expected = 0.0;
  for (size_t k = 0; k < soft.size(); ++k) expected -= soft[k] * log_p[k] / batch_size;
  CHECK(loss.item<double>() == Approx(expected).epsilon(1e-5));
  REQUIRE(logits.grad().defined());
  CHECK(logits.grad().shape() == ember::Shape{batch_size, classes});
}

TEST_CASE("Mixup and CutMix reject bad options, targets and inputs", "[data]") {
  Generator generator(0);
  Batch batch = constant_rows(3, 2, 2);

  CHECK_THROWS_MATCHES(Mixup(0.0, 10), ember::Error, ErrorMentions({"Mixup", "alpha", "0"}));
  CHECK_THROWS_MATCHES(CutMix(-1.0, 10), ember::Error, ErrorMentions({"CutMix", "alpha", "-1"}));
  CHECK_THROWS_MATCHES(Mixup(1.0, 0), ember::Error, ErrorMentions({"Mixup", "num_classes"}));
  CHECK_THROWS_MATCHES(Mixup(1.0, 2)(batch, generator), ember::Error,
                       ErrorMentions({"Mixup", "label 2 of row 2", "[0, 2)"}));
  Batch no_targets = batch;
  no_targets.target = Tensor();
  CHECK_THROWS_MATCHES(CutMix(1.0, 3)(no_targets, generator), ember::Error,
                       ErrorMentions({"CutMix", "no targets"}));
  Batch wrong_soft = batch;
  wrong_soft.target = ember::zeros({3, 4});
  CHECK_THROWS_MATCHES(Mixup(1.0, 3)(wrong_soft, generator), ember::Error,
                       ErrorMentions({"Mixup", "[3, 3]", "[3, 4]"}));
  Batch flat = batch;
  flat.input = ember::zeros({3, 4});
  CHECK_THROWS_MATCHES(CutMix(1.0, 3)(flat, generator), ember::Error,
                       ErrorMentions({"CutMix", "[B, C, H, W]", "[3, 4]"}));
  Batch integers = batch;
  integers.input = ember::zeros({3, 1, 2, 2}, ember::kInt64);
  CHECK_THROWS_MATCHES(Mixup(1.0, 3)(integers, generator), ember::Error,
                       ErrorMentions({"Mixup", "float32 or float64", "int64"}));
  CHECK_THROWS_MATCHES(ember::data::mixup(batch, 0.5, {0, 1}, 3), ember::Error,
                       ErrorMentions({"mixup", "permutation has 2 entries", "batch of 3"}));
  CHECK_THROWS_MATCHES(ember::data::cutmix(batch, Box{1, 0, 2, 1}, {0, 1, 2}, 3), ember::Error,
                       ErrorMentions({"cutmix", "box [2, 1]", "[3, 1, 2, 2]"}));
}

TEST_CASE("random_choice picks a batch transform in proportion to its weight", "[data]") {
  auto tag = [](double value) {
    return [value](Batch batch, Generator&) {
      batch.input = ember::full({1}, value);
      return batch;
    };
  };
  auto choice = ember::data::random_choice({tag(0.0), tag(1.0)}, {1.0, 3.0});
  auto only_second = ember::data::random_choice({tag(0.0), tag(1.0)}, {0.0, 2.0});
  Generator generator(4);

  int second = 0;
  for (int i = 0; i < 2000; ++i) second += choice(Batch{}, generator).input.item<float>() == 1.0f;

  CHECK(second > 1400);
  CHECK(second < 1600);
  CHECK(only_second(Batch{}, generator).input.item<float>() == 1.0f);
  CHECK_THROWS_MATCHES(ember::data::random_choice({tag(0.0)}, {1.0, 2.0}), ember::Error,
                       ErrorMentions({"random_choice", "2 weights for 1 transforms"}));
  CHECK_THROWS_MATCHES(ember::data::random_choice({tag(0.0)}, {0.0}), ember::Error,
                       ErrorMentions({"random_choice", "zero"}));
}
