#include "data/batch_transforms.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "data/detail/random_draws.h"
#include "framework/dispatch.h"
#include "framework/error.h"

namespace ember::data {
namespace {

void check_input(const Batch& batch, const char* op) {
  EMBER_CHECK(batch.input.defined(), op, ": the batch has no input");
  EMBER_CHECK(batch.input.dim() >= 1, op, ": expected an input [B, ...], got a 0-d tensor");
  EMBER_CHECK(batch.input.is_floating_point(), op,
              ": expected a float32 or float64 input, got ", dtype_name(batch.input.dtype()),
              " ", batch.input.shape());
}

void check_options(double alpha, int64_t num_classes, double p, const char* op) {
  EMBER_CHECK(alpha > 0.0 && std::isfinite(alpha), op,
              ": alpha must be positive and finite, got ", alpha);
  EMBER_CHECK(num_classes >= 1, op, ": num_classes must be at least 1, got ", num_classes);
  EMBER_CHECK(p >= 0.0 && p <= 1.0, op, ": p must lie in [0, 1], got ", p);
}

void check_permutation(const std::vector<int64_t>& permutation, int64_t batch_size,
                       const char* op) {
  EMBER_CHECK(static_cast<int64_t>(permutation.size()) == batch_size, op, ": the permutation has ",
              permutation.size(), " entries for a batch of ", batch_size);
  for (size_t b = 0; b < permutation.size(); ++b) {
    EMBER_CHECK(permutation[b] >= 0 && permutation[b] < batch_size, op, ": permutation[", b,
                "] = ", permutation[b], " is outside [0, ", batch_size, ")");
  }
}

// The batch's targets as probabilities [B, num_classes] in double, row-major:
// one-hot rows from class indices, or soft targets as they are.
std::vector<double> soft_targets(const Tensor& target, int64_t batch_size, int64_t num_classes,
                                 const char* op) {
  EMBER_CHECK(target.defined(), op, ": the batch has no targets; mixing needs class indices "
              "or soft targets");
  if (target.dtype() == kInt64) {
    const Shape label_shape = {batch_size};
    EMBER_CHECK(target.shape() == label_shape, op, ": expected class indices [",
                batch_size, "] for a batch of ", batch_size, ", got ", target.shape());
    std::vector<int64_t> labels = target.to_vector<int64_t>();
    std::vector<double> result(static_cast<size_t>(batch_size * num_classes), 0.0);
    for (int64_t b = 0; b < batch_size; ++b) {
      int64_t label = labels[static_cast<size_t>(b)];
      EMBER_CHECK(label >= 0 && label < num_classes, op, ": label ", label, " of row ", b,
                  " is outside [0, ", num_classes, ")");
      result[static_cast<size_t>(b * num_classes + label)] = 1.0;
    }
    return result;
  }
  const Shape soft_shape = {batch_size, num_classes};
  EMBER_CHECK(target.is_floating_point() && target.shape() == soft_shape, op,
              ": expected class indices (int64 [", batch_size, "]) or soft targets ([",
              batch_size, ", ", num_classes, "] float), got ", dtype_name(target.dtype()), " ",
              target.shape());
  return target.to_vector<double>();
}

// keep * t[b] + take * t[permutation[b]] for every row, as `dtype`. Both
// weights come in (keep + take = 1) so CutMix can pass each as an exact ratio.
Tensor mix_targets(const Tensor& target, double keep, double take,
                   const std::vector<int64_t>& permutation, int64_t num_classes, DType dtype,
                   const char* op) {
  const auto batch_size = static_cast<int64_t>(permutation.size());
  std::vector<double> soft = soft_targets(target, batch_size, num_classes, op);
  std::vector<double> mixed(soft.size());
  for (int64_t b = 0; b < batch_size; ++b) {
    const double* own = soft.data() + b * num_classes;
    const double* other = soft.data() + permutation[static_cast<size_t>(b)] * num_classes;
    for (int64_t k = 0; k < num_classes; ++k) {
      mixed[static_cast<size_t>(b * num_classes + k)] = keep * own[k] + take * other[k];
    }
  }
  return tensor(mixed, {batch_size, num_classes}).to(dtype);
}

std::vector<int64_t> identity(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

// mixup() with errors that name `op` (the function or the class).
Batch mix_rows(Batch batch, double lambda, const std::vector<int64_t>& permutation,
               int64_t num_classes, const char* op) {
  check_input(batch, op);
  EMBER_CHECK(lambda >= 0.0 && lambda <= 1.0, op, ": lambda must lie in [0, 1], got ", lambda);
  const int64_t batch_size = batch.input.size(0);
  check_permutation(permutation, batch_size, op);
  Tensor target = mix_targets(batch.target, lambda, 1.0 - lambda, permutation, num_classes,
                              batch.input.dtype(), op);

  // x: [B, row] with row = the product of the other dims.
  Tensor source = batch.input.detach().contiguous();
  Tensor result = empty(batch.input.shape(), batch.input.dtype());
  const int64_t row = batch_size == 0 ? 0 : batch.input.numel() / batch_size;
  EMBER_DISPATCH_FLOATING(batch.input.dtype(), op, [&] {
    const scalar_t* x = source.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    for (int64_t b = 0; b < batch_size; ++b) {
      const scalar_t* own = x + b * row;
      const scalar_t* other = x + permutation[static_cast<size_t>(b)] * row;
      for (int64_t k = 0; k < row; ++k) {
        out[b * row + k] = static_cast<scalar_t>(lambda * own[k] + (1.0 - lambda) * other[k]);
      }
    }
  });

  batch.input = result;
  batch.target = target;
  return batch;
}

// cutmix() with errors that name `op`.
Batch paste_box(Batch batch, const Box& box, const std::vector<int64_t>& permutation,
                int64_t num_classes, const char* op) {
  check_input(batch, op);
  const Tensor& input = batch.input;
  EMBER_CHECK(input.dim() == 4, op, ": expected images [B, C, H, W], got ", input.shape());
  const int64_t batch_size = input.size(0);
  const int64_t channels = input.size(1);
  const int64_t height = input.size(2);
  const int64_t width = input.size(3);
  EMBER_CHECK(box.top >= 0 && box.left >= 0 && box.height >= 0 && box.width >= 0 &&
                  box.top + box.height <= height && box.left + box.width <= width,
              op, ": box [", box.height, ", ", box.width, "] at (top ", box.top, ", left ",
              box.left, ") leaves the images ", input.shape());
  check_permutation(permutation, batch_size, op);
  EMBER_CHECK(height * width > 0, op, ": the images ", input.shape(), " have no pixels");

  // The weight of the pasted row is the exact fraction of its pixels.
  const double pasted = static_cast<double>(box.area()) / static_cast<double>(height * width);
  const double kept = static_cast<double>(height * width - box.area()) /
                      static_cast<double>(height * width);
  Tensor target = mix_targets(batch.target, kept, pasted, permutation, num_classes,
                              input.dtype(), op);

  Tensor result = input.detach().clone();
  Tensor source = input.detach().contiguous();
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    const scalar_t* x = source.data_ptr<scalar_t>();
    scalar_t* out = result.data_ptr<scalar_t>();
    for (int64_t b = 0; b < batch_size; ++b) {
      const int64_t from = permutation[static_cast<size_t>(b)];
      for (int64_t c = 0; c < channels; ++c) {
        for (int64_t y = box.top; y < box.top + box.height; ++y) {
          const int64_t own = ((b * channels + c) * height + y) * width + box.left;
          const int64_t other = ((from * channels + c) * height + y) * width + box.left;
          std::copy(x + other, x + other + box.width, out + own);
        }
      }
    }
  });

  batch.input = result;
  batch.target = target;
  return batch;
}

}  // namespace

Batch mixup(Batch batch, double lambda, const std::vector<int64_t>& permutation,
            int64_t num_classes) {
  return mix_rows(std::move(batch), lambda, permutation, num_classes, "mixup");
}

Batch cutmix(Batch batch, const Box& box, const std::vector<int64_t>& permutation,
             int64_t num_classes) {
  return paste_box(std::move(batch), box, permutation, num_classes, "cutmix");
}

Mixup::Mixup(double alpha, int64_t num_classes, double p)
    : alpha_(alpha), num_classes_(num_classes), p_(p) {
  check_options(alpha, num_classes, p, "Mixup");
}

Mixup::Draw Mixup::draw(int64_t batch_size, Generator& generator) const {
  if (detail::uniform(generator) >= p_) return {1.0, identity(batch_size)};
  double lambda = detail::sample_beta(generator, alpha_, alpha_);
  return {lambda, randperm(batch_size, &generator).to_vector<int64_t>()};
}

Batch Mixup::operator()(Batch batch, Generator& generator) const {
  check_input(batch, "Mixup");
  Draw choice = draw(batch.input.size(0), generator);
  return mix_rows(std::move(batch), choice.lambda, choice.permutation, num_classes_, "Mixup");
}

CutMix::CutMix(double alpha, int64_t num_classes, double p)
    : alpha_(alpha), num_classes_(num_classes), p_(p) {
  check_options(alpha, num_classes, p, "CutMix");
}

CutMix::Draw CutMix::draw(int64_t batch_size, int64_t height, int64_t width,
                          Generator& generator) const {
  EMBER_CHECK(height >= 1 && width >= 1, "CutMix: images need at least one pixel, got [",
              height, ", ", width, "]");
  if (detail::uniform(generator) >= p_) return {Box{}, identity(batch_size)};

  double lambda = detail::sample_beta(generator, alpha_, alpha_);
  double side = std::sqrt(1.0 - lambda);
  auto cut_height = static_cast<int64_t>(static_cast<double>(height) * side);
  auto cut_width = static_cast<int64_t>(static_cast<double>(width) * side);
  int64_t center_row = detail::uniform_int(generator, height);
  int64_t center_col = detail::uniform_int(generator, width);

  // The box centred on the drawn pixel, clipped at the borders.
  int64_t top = std::clamp<int64_t>(center_row - cut_height / 2, 0, height);
  int64_t bottom = std::clamp<int64_t>(center_row - cut_height / 2 + cut_height, 0, height);
  int64_t left = std::clamp<int64_t>(center_col - cut_width / 2, 0, width);
  int64_t right = std::clamp<int64_t>(center_col - cut_width / 2 + cut_width, 0, width);
  Box box{top, left, bottom - top, right - left};
  return {box, randperm(batch_size, &generator).to_vector<int64_t>()};
}

Batch CutMix::operator()(Batch batch, Generator& generator) const {
  check_input(batch, "CutMix");
  EMBER_CHECK(batch.input.dim() == 4, "CutMix: expected images [B, C, H, W], got ",
              batch.input.shape());
  Draw choice = draw(batch.input.size(0), batch.input.size(2), batch.input.size(3), generator);
  return paste_box(std::move(batch), choice.box, choice.permutation, num_classes_, "CutMix");
}

BatchTransform random_choice(std::vector<BatchTransform> transforms,
                             std::vector<double> weights) {
  EMBER_CHECK(!transforms.empty(), "random_choice: expected at least one batch transform");
  for (size_t i = 0; i < transforms.size(); ++i) {
    EMBER_CHECK(static_cast<bool>(transforms[i]), "random_choice: transform ", i, " is empty");
  }
  if (weights.empty()) weights.assign(transforms.size(), 1.0);
  EMBER_CHECK(weights.size() == transforms.size(), "random_choice: ", weights.size(),
              " weights for ", transforms.size(), " transforms");
  double total = 0.0;
  for (size_t i = 0; i < weights.size(); ++i) {
    EMBER_CHECK(weights[i] >= 0.0 && std::isfinite(weights[i]), "random_choice: weight ", i,
                " is ", weights[i], "; weights must be non-negative and finite");
    total += weights[i];
  }
  EMBER_CHECK(total > 0.0, "random_choice: every weight is zero");

  return [transforms = std::move(transforms), weights = std::move(weights), total](
             Batch batch, Generator& generator) {
    double point = detail::uniform(generator) * total;
    size_t pick = 0;
    // Skips zero weights, and lands on the last positive one if rounding
    // carries `point` past the running sum.
    double running = 0.0;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] == 0.0) continue;
      pick = i;
      running += weights[i];
      if (point < running) break;
    }
    return transforms[pick](std::move(batch), generator);
  };
}

}  // namespace ember::data
