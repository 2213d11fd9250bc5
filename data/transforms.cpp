#include "data/transforms.h"

#include <algorithm>
#include <cmath>

#include "data/detail/random_draws.h"
#include "framework/dispatch.h"
#include "framework/error.h"

namespace ember::data {
namespace {

void check_image(const Tensor& image, const char* op) {
  EMBER_CHECK(image.defined(), op, ": the input is undefined");
  EMBER_CHECK(image.dim() == 3, op, ": expected an image [C, H, W], got ", image.shape(),
              image.dim() == 2 ? "; add a channel dim with unsqueeze(0)"
              : image.dim() == 4 ? "; image transforms take one example, not a batch"
                                 : "");
}

void check_floating(const Tensor& image, const char* op) {
  EMBER_CHECK(image.is_floating_point(), op, ": expected a float32 or float64 image, got ",
              dtype_name(image.dtype()), " ", image.shape());
}

// The elements to read: detached (no autograd) and contiguous.
Tensor source_of(const Tensor& image) { return image.detach().contiguous(); }

// One padding step along an axis: `before` pixels added ahead of an axis of
// `size` pixels, `after` behind it.
struct AxisPad {
  int64_t before;
  int64_t size;
  int64_t after;
};

// Where padded position q (relative to the unpadded axis) reads from, or -1
// for the fill value.
int64_t map_padded(int64_t q, int64_t size, PaddingMode mode) {
  if (q >= 0 && q < size) return q;
  switch (mode) {
    case PaddingMode::Constant: return -1;
    case PaddingMode::Edge: return std::clamp<int64_t>(q, 0, size - 1);
    case PaddingMode::Reflect: return q < 0 ? -q : 2 * (size - 1) - q;
    case PaddingMode::Symmetric: return q < 0 ? -q - 1 : 2 * size - 1 - q;
  }
  return -1;
}

void check_axis_pads(const std::vector<AxisPad>& pads, PaddingMode mode, const char* op,
                     const char* axis) {
  for (const AxisPad& step : pads) {
    EMBER_CHECK(step.before >= 0 && step.after >= 0, op, ": padding must be non-negative, got ",
                step.before, " and ", step.after, " on the ", axis);
    int64_t widest = std::max(step.before, step.after);
    EMBER_CHECK(mode != PaddingMode::Reflect || widest < step.size, op, ": reflect padding ",
                widest, " must be smaller than the image's ", axis, " ", step.size);
    EMBER_CHECK(mode != PaddingMode::Symmetric || widest <= step.size, op,
                ": symmetric padding ", widest, " must not exceed the image's ", axis, " ",
                step.size);
  }
}

// For output positions start, start + 1, ... (in the coordinates after every
// step of `pads`), the source index in the unpadded axis or -1 for fill.
// Steps apply in order, so each later one pads the previous result.
std::vector<int64_t> axis_sources(int64_t start, int64_t length, const std::vector<AxisPad>& pads,
                                  PaddingMode mode) {
  std::vector<int64_t> sources(static_cast<size_t>(length));
  for (int64_t k = 0; k < length; ++k) {
    int64_t position = start + k;
    for (auto step = pads.rbegin(); step != pads.rend() && position >= 0; ++step) {
      position = map_padded(position - step->before, step->size, mode);
    }
    sources[static_cast<size_t>(k)] = position;
  }
  return sources;
}

// out[c, y, x] = image[c, rows[y], cols[x]], or fill where either index is -1.
Tensor gather_image(const Tensor& image, const std::vector<int64_t>& rows,
                    const std::vector<int64_t>& cols, double fill, const char* op) {
  Tensor source = source_of(image);
  const int64_t channels = image.size(0);
  const int64_t height = image.size(1);
  const int64_t width = image.size(2);
  const auto out_height = static_cast<int64_t>(rows.size());
  const auto out_width = static_cast<int64_t>(cols.size());
  Tensor result = empty({channels, out_height, out_width}, image.dtype());

  EMBER_DISPATCH_ALL(image.dtype(), op, [&] {
    const scalar_t* in = source.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    const auto fill_value = static_cast<scalar_t>(fill);
    for (int64_t c = 0; c < channels; ++c) {
      const scalar_t* plane = in + c * height * width;
      for (int64_t y = 0; y < out_height; ++y) {
        const int64_t row = rows[static_cast<size_t>(y)];
        for (int64_t x = 0; x < out_width; ++x) {
          const int64_t col = cols[static_cast<size_t>(x)];
          *out++ = row < 0 || col < 0 ? fill_value : plane[row * width + col];
        }
      }
    }
  });
  return result;
}

// A contiguous copy of the image with region [top, top + h) x [left, left +
// w) of each channel c set by fill(c, y, x).
template <typename Fill>
Tensor erased_copy(const Tensor& image, int64_t top, int64_t left, Size2d size,
                   const char* op, const Fill& fill) {
  Tensor result = image.detach().clone();
  const int64_t channels = image.size(0);
  const int64_t width = image.size(2);
  EMBER_DISPATCH_NUMERIC(image.dtype(), op, [&] {
    scalar_t* out = result.data_ptr<scalar_t>();
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t y = 0; y < size.height; ++y) {
        scalar_t* row = out + (c * image.size(1) + top + y) * width + left;
        for (int64_t x = 0; x < size.width; ++x) row[x] = static_cast<scalar_t>(fill(c, y, x));
      }
    }
  });
  return result;
}

// cos and sin of an angle in degrees, exact at multiples of 90 degrees so
// quarter turns land on pixel centres without rounding.
std::array<double, 2> cos_sin_degrees(double degrees) {
  if (std::fmod(degrees, 90.0) == 0.0) {
    static constexpr std::array<std::array<double, 2>, 4> kQuarters = {
        {{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0}, {0.0, -1.0}}};
    auto quarter = static_cast<int64_t>(std::fmod(degrees / 90.0, 4.0));
    return kQuarters[static_cast<size_t>((quarter + 4) % 4)];
  }
  double radians = degrees * M_PI / 180.0;
  return {std::cos(radians), std::sin(radians)};
}

// One output pixel of a rotation: the four neighbours of the sampled point
// and their bilinear weights (a zero weight skips its neighbour).
struct Bilinear {
  int64_t row;
  int64_t col;
  double weights[2][2];
};

Bilinear bilinear_at(double y, double x) {
  double row = std::floor(y);
  double col = std::floor(x);
  double dy = y - row;
  double dx = x - col;
  return {static_cast<int64_t>(row), static_cast<int64_t>(col),
          {{(1 - dy) * (1 - dx), (1 - dy) * dx}, {dy * (1 - dx), dy * dx}}};
}

// [-degrees, degrees] for RandomRotation.
std::array<double, 2> symmetric_range(double degrees) {
  EMBER_CHECK(degrees >= 0.0, "RandomRotation: degrees must be non-negative, got ", degrees,
              "; pass a {min, max} range for an asymmetric one");
  return {-degrees, degrees};
}

}  // namespace

Tensor pad(const Tensor& image, const Padding& padding, double fill, PaddingMode mode) {
  check_image(image, "pad");
  const int64_t height = image.size(1);
  const int64_t width = image.size(2);
  std::vector<AxisPad> rows = {{padding.top, height, padding.bottom}};
  std::vector<AxisPad> cols = {{padding.left, width, padding.right}};
  check_axis_pads(rows, mode, "pad", "height");
  check_axis_pads(cols, mode, "pad", "width");

  int64_t out_height = height + padding.top + padding.bottom;
  int64_t out_width = width + padding.left + padding.right;
  return gather_image(image, axis_sources(0, out_height, rows, mode),
                      axis_sources(0, out_width, cols, mode), fill, "pad");
}

Tensor crop(const Tensor& image, int64_t top, int64_t left, Size2d size) {
  check_image(image, "crop");
  const int64_t height = image.size(1);
  const int64_t width = image.size(2);
  EMBER_CHECK(size.height >= 1 && size.width >= 1, "crop: size must be at least 1, got [",
              size.height, ", ", size.width, "]");
  EMBER_CHECK(top >= 0 && left >= 0 && top + size.height <= height && left + size.width <= width,
              "crop: region [", size.height, ", ", size.width, "] at (top ", top, ", left ", left,
              ") leaves the image ", image.shape());

  std::vector<int64_t> rows(static_cast<size_t>(size.height));
  std::vector<int64_t> cols(static_cast<size_t>(size.width));
  for (int64_t y = 0; y < size.height; ++y) rows[static_cast<size_t>(y)] = top + y;
  for (int64_t x = 0; x < size.width; ++x) cols[static_cast<size_t>(x)] = left + x;
  return gather_image(image, rows, cols, 0.0, "crop");
}

Tensor horizontal_flip(const Tensor& image) {
  check_image(image, "horizontal_flip");
  const int64_t height = image.size(1);
  const int64_t width = image.size(2);
  std::vector<int64_t> rows(static_cast<size_t>(height));
  std::vector<int64_t> cols(static_cast<size_t>(width));
  for (int64_t y = 0; y < height; ++y) rows[static_cast<size_t>(y)] = y;
  for (int64_t x = 0; x < width; ++x) cols[static_cast<size_t>(x)] = width - 1 - x;
  return gather_image(image, rows, cols, 0.0, "horizontal_flip");
}

// x: column, y: row, both relative to the centre ((W - 1) / 2, (H - 1) / 2).
// Output (x, y) samples the input at (cos x - sin y, sin x + cos y), the
// inverse of a counter-clockwise turn on screen, where y points down.
Tensor rotate(const Tensor& image, double degrees, double fill) {
  check_image(image, "rotate");
  check_floating(image, "rotate");
  EMBER_CHECK(std::isfinite(degrees), "rotate: the angle must be finite, got ", degrees);
  Tensor source = source_of(image);
  const int64_t channels = image.size(0);
  const int64_t height = image.size(1);
  const int64_t width = image.size(2);
  const auto [cos_a, sin_a] = cos_sin_degrees(degrees);
  const double center_x = (width - 1) * 0.5;
  const double center_y = (height - 1) * 0.5;

  // The sampling pattern is the same for every channel.
  std::vector<Bilinear> samples;
  samples.reserve(static_cast<size_t>(height * width));
  for (int64_t row = 0; row < height; ++row) {
    for (int64_t col = 0; col < width; ++col) {
      double x = col - center_x;
      double y = row - center_y;
      samples.push_back(bilinear_at(sin_a * x + cos_a * y + center_y,
                                    cos_a * x - sin_a * y + center_x));
    }
  }

  Tensor result = empty(image.shape(), image.dtype());
  EMBER_DISPATCH_FLOATING(image.dtype(), "rotate", [&] {
    const scalar_t* in = source.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    for (int64_t c = 0; c < channels; ++c) {
      const scalar_t* plane = in + c * height * width;
      for (const Bilinear& sample : samples) {
        double value = 0.0;
        for (int64_t dy = 0; dy < 2; ++dy) {
          for (int64_t dx = 0; dx < 2; ++dx) {
            double weight = sample.weights[dy][dx];
            if (weight == 0.0) continue;
            int64_t row = sample.row + dy;
            int64_t col = sample.col + dx;
            bool inside = row >= 0 && row < height && col >= 0 && col < width;
            value += weight * (inside ? static_cast<double>(plane[row * width + col]) : fill);
          }
        }
        *out++ = static_cast<scalar_t>(value);
      }
    }
  });
  return result;
}

Tensor erase(const Tensor& image, int64_t top, int64_t left, Size2d size,
             const std::vector<double>& value) {
  check_image(image, "erase");
  const int64_t channels = image.size(0);
  EMBER_CHECK(size.height >= 0 && size.width >= 0 && top >= 0 && left >= 0 &&
                  top + size.height <= image.size(1) && left + size.width <= image.size(2),
              "erase: region [", size.height, ", ", size.width, "] at (top ", top, ", left ",
              left, ") leaves the image ", image.shape());
  EMBER_CHECK(value.size() == 1 || static_cast<int64_t>(value.size()) == channels,
              "erase: expected 1 or ", channels, " values (one per channel), got ", value.size());

  const bool per_channel = value.size() > 1;
  return erased_copy(image, top, left, size, "erase", [&](int64_t c, int64_t, int64_t) {
    return value[per_channel ? static_cast<size_t>(c) : 0];
  });
}

Normalize::Normalize(std::vector<double> mean, std::vector<double> std)
    : mean_(std::move(mean)), std_(std::move(std)) {
  EMBER_CHECK(!mean_.empty() && !std_.empty(), "Normalize: mean and std need at least one "
              "value each, got ", mean_.size(), " and ", std_.size());
  for (size_t c = 0; c < std_.size(); ++c) {
    EMBER_CHECK(std_[c] != 0.0 && std::isfinite(std_[c]), "Normalize: std[", c,
                "] is ", std_[c], "; every std must be non-zero and finite");
  }
  for (size_t c = 0; c < mean_.size(); ++c) {
    EMBER_CHECK(std::isfinite(mean_[c]), "Normalize: mean[", c, "] is ", mean_[c],
                "; every mean must be finite");
  }
}

Tensor Normalize::operator()(const Tensor& input, Generator&) const {
  check_image(input, "Normalize");
  check_floating(input, "Normalize");
  const int64_t channels = input.size(0);
  for (const auto* values : {&mean_, &std_}) {
    EMBER_CHECK(values->size() == 1 || static_cast<int64_t>(values->size()) == channels,
                "Normalize: ", values == &mean_ ? "mean" : "std", " has ", values->size(),
                " values but the image ", input.shape(), " has ", channels,
                " channels; expected one per channel, or one for all");
  }
  Tensor source = source_of(input);
  Tensor result = empty(input.shape(), input.dtype());
  const int64_t plane = input.size(1) * input.size(2);

  EMBER_DISPATCH_FLOATING(input.dtype(), "Normalize", [&] {
    const scalar_t* in = source.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    for (int64_t c = 0; c < channels; ++c) {
      auto mean = static_cast<scalar_t>(mean_[mean_.size() == 1 ? 0 : static_cast<size_t>(c)]);
      auto std = static_cast<scalar_t>(std_[std_.size() == 1 ? 0 : static_cast<size_t>(c)]);
      for (int64_t k = c * plane; k < (c + 1) * plane; ++k) out[k] = (in[k] - mean) / std;
    }
  });
  return result;
}

RandomCrop::RandomCrop(Size2d size, RandomCropOptions options)
    : size_(size), options_(options) {
  EMBER_CHECK(size.height >= 1 && size.width >= 1, "RandomCrop: size must be at least 1, got [",
              size.height, ", ", size.width, "]");
  const Padding& padding = options.padding;
  EMBER_CHECK(padding.left >= 0 && padding.top >= 0 && padding.right >= 0 && padding.bottom >= 0,
              "RandomCrop: padding must be non-negative, got (left ", padding.left, ", top ",
              padding.top, ", right ", padding.right, ", bottom ", padding.bottom, ")");
}

Tensor RandomCrop::operator()(const Tensor& input, Generator& generator) const {
  check_image(input, "RandomCrop");
  const Padding& padding = options_.padding;
  std::vector<AxisPad> rows = {{padding.top, input.size(1), padding.bottom}};
  std::vector<AxisPad> cols = {{padding.left, input.size(2), padding.right}};
  int64_t height = input.size(1) + padding.top + padding.bottom;
  int64_t width = input.size(2) + padding.left + padding.right;

  // pad_if_needed pads both sides by the shortfall, as torchvision does.
  if (options_.pad_if_needed && width < size_.width) {
    int64_t extra = size_.width - width;
    cols.push_back({extra, width, extra});
    width += 2 * extra;
  }
  if (options_.pad_if_needed && height < size_.height) {
    int64_t extra = size_.height - height;
    rows.push_back({extra, height, extra});
    height += 2 * extra;
  }
  check_axis_pads(rows, options_.padding_mode, "RandomCrop", "height");
  check_axis_pads(cols, options_.padding_mode, "RandomCrop", "width");
  EMBER_CHECK(size_.height <= height && size_.width <= width, "RandomCrop: crop size [",
              size_.height, ", ", size_.width, "] is larger than the padded image [", height,
              ", ", width, "] (input ", input.shape(), ", padding left ", padding.left, " top ",
              padding.top, " right ", padding.right, " bottom ", padding.bottom,
              "); add padding or set pad_if_needed");

  int64_t top = detail::uniform_int(generator, height - size_.height + 1);
  int64_t left = detail::uniform_int(generator, width - size_.width + 1);
  return gather_image(input, axis_sources(top, size_.height, rows, options_.padding_mode),
                      axis_sources(left, size_.width, cols, options_.padding_mode),
                      options_.fill, "RandomCrop");
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip: p must lie in [0, 1], got ", p);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& input, Generator& generator) const {
  check_image(input, "RandomHorizontalFlip");
  return detail::uniform(generator) < p_ ? horizontal_flip(input) : input;
}

RandomRotation::RandomRotation(double degrees, RandomRotationOptions options)
    : RandomRotation(symmetric_range(degrees), options) {}

RandomRotation::RandomRotation(std::array<double, 2> range, RandomRotationOptions options)
    : range_(range), fill_(options.fill) {
  EMBER_CHECK(std::isfinite(range[0]) && std::isfinite(range[1]),
              "RandomRotation: the angle range must be finite, got [", range[0], ", ", range[1],
              "]");
  EMBER_CHECK(range[0] <= range[1], "RandomRotation: the angle range [", range[0], ", ",
              range[1], "] is reversed; expected min <= max");
}

Tensor RandomRotation::operator()(const Tensor& input, Generator& generator) const {
  check_image(input, "RandomRotation");
  check_floating(input, "RandomRotation");
  return rotate(input, detail::uniform(generator, range_[0], range_[1]), fill_);
}

RandomErasing::RandomErasing(RandomErasingOptions options) : options_(std::move(options)) {
  const auto& [p, scale, ratio, value, random_value] = options_;
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "RandomErasing: p must lie in [0, 1], got ", p);
  EMBER_CHECK(scale[0] >= 0.0 && scale[0] <= scale[1] && scale[1] <= 1.0,
              "RandomErasing: scale must be a range (min, max) within [0, 1], got (", scale[0],
              ", ", scale[1], ")");
  EMBER_CHECK(ratio[0] > 0.0 && ratio[0] <= ratio[1] && std::isfinite(ratio[1]),
              "RandomErasing: ratio must be a positive range (min, max), got (", ratio[0], ", ",
              ratio[1], ")");
  EMBER_CHECK(random_value || !value.empty(), "RandomErasing: value needs at least one entry");
}

Tensor RandomErasing::operator()(const Tensor& input, Generator& generator) const {
  check_image(input, "RandomErasing");
  EMBER_CHECK(input.is_floating_point() || (!options_.random_value && input.dtype() == kInt64),
              "RandomErasing: expected a float32 or float64 image",
              options_.random_value ? "" : " (or int64)", ", got ", dtype_name(input.dtype()),
              " ", input.shape());
  const int64_t channels = input.size(0);
  const int64_t height = input.size(1);
  const int64_t width = input.size(2);
  const auto& value = options_.value;
  EMBER_CHECK(options_.random_value || value.size() == 1 ||
                  static_cast<int64_t>(value.size()) == channels,
              "RandomErasing: expected 1 or ", channels, " values for an image ", input.shape(),
              ", got ", value.size());
  if (detail::uniform(generator) >= options_.p) return input;

  // Up to ten tries for a region that fits (torchvision's rejection loop).
  const double area = static_cast<double>(height * width);
  const double log_ratio[2] = {std::log(options_.ratio[0]), std::log(options_.ratio[1])};
  for (int attempt = 0; attempt < 10; ++attempt) {
    double erase_area = area * detail::uniform(generator, options_.scale[0], options_.scale[1]);
    double aspect = std::exp(detail::uniform(generator, log_ratio[0], log_ratio[1]));
    // nearbyint rounds halves to even, as Python's round().
    auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(erase_area * aspect)));
    auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(erase_area / aspect)));
    if (!(h < height && w < width)) continue;

    if (!options_.random_value) {
      int64_t top = detail::uniform_int(generator, height - h + 1);
      int64_t left = detail::uniform_int(generator, width - w + 1);
      return erase(input, top, left, {h, w}, value);
    }
    Tensor noise = randn({channels, h, w}, TensorOptions(input.dtype()), &generator);
    int64_t top = detail::uniform_int(generator, height - h + 1);
    int64_t left = detail::uniform_int(generator, width - w + 1);
    std::vector<double> noise_values = noise.to_vector<double>();
    return erased_copy(input, top, left, {h, w}, "RandomErasing",
                       [&](int64_t c, int64_t y, int64_t x) {
                         return noise_values[static_cast<size_t>((c * h + y) * w + x)];
                       });
  }
  return input;
}

AddGaussianNoise::AddGaussianNoise(double std, double mean) : std_(std), mean_(mean) {
  EMBER_CHECK(std >= 0.0 && std::isfinite(std),
              "AddGaussianNoise: std must be non-negative and finite, got ", std);
  EMBER_CHECK(std::isfinite(mean), "AddGaussianNoise: mean must be finite, got ", mean);
}

Tensor AddGaussianNoise::operator()(const Tensor& input, Generator& generator) const {
  EMBER_CHECK(input.defined(), "AddGaussianNoise: the input is undefined");
  check_floating(input, "AddGaussianNoise");
  Tensor source = source_of(input);
  Tensor result = randn(input.shape(), TensorOptions(input.dtype()), &generator);
  const int64_t n = input.numel();

  EMBER_DISPATCH_FLOATING(input.dtype(), "AddGaussianNoise", [&] {
    const scalar_t* in = source.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    const auto std = static_cast<scalar_t>(std_);
    const auto mean = static_cast<scalar_t>(mean_);
    for (int64_t k = 0; k < n; ++k) out[k] = in[k] + (mean + std * out[k]);
  });
  return result;
}

}  // namespace ember::data
