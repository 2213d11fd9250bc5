#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "data/example.h"
#include "framework/random.h"

// Batch-level augmentation: Mixup and CutMix, as DataLoaderOptions::
// batch_transform. Both mix each row with the row a random permutation puts
// beside it (as the Mixup and CutMix papers' reference code) and turn the
// targets into soft targets [B, num_classes] of the input's dtype, which
// cross_entropy takes as class probabilities:
//   DataLoader loader(train, {.batch_size = 64, .shuffle = true,
//                             .batch_transform = Mixup(0.2, 10)});
//   ...
//   Tensor loss = cross_entropy(model(batch.input), batch.target);
// Targets may be class indices (int64 [B], each in [0, num_classes)) or soft
// targets already (float32 / float64 [B, num_classes]), which are mixed as
// they are. Each errs with ember::Error naming itself and the shapes: for an
// input that is not floating point (or, for CutMix, not [B, C, H, W]), a
// batch without targets, targets of another shape or dtype, or a label
// outside [0, num_classes).
namespace ember::data {

// What DataLoaderOptions::batch_transform holds.
using BatchTransform = std::function<Batch(Batch, Generator&)>;

// A rectangle of pixels: rows [top, top + height), columns [left, left + width).
struct Box {
  int64_t top = 0;
  int64_t left = 0;
  int64_t height = 0;
  int64_t width = 0;

  int64_t area() const { return height * width; }
};

// Mixup with a given weight (Zhang et al., "mixup: Beyond Empirical Risk
// Minimization", 2018): row b of the input becomes lambda * x[b] + (1 -
// lambda) * x[permutation[b]], its target lambda * t[b] + (1 - lambda) *
// t[permutation[b]] with t the one-hot (or soft) targets.
// input: [B, ...] float32 / float64. permutation: B row indices in [0, B).
// Throws as above, and for lambda outside [0, 1] or a permutation of another
// length or with an index out of range.
Batch mixup(Batch batch, double lambda, const std::vector<int64_t>& permutation,
            int64_t num_classes);

// CutMix with a given box (Yun et al., "CutMix: Regularization Strategy to
// Train Strong Classifiers with Localizable Features", 2019): the box of row
// b is pasted from row permutation[b] (every channel), and the target is
// (1 - a) * t[b] + a * t[permutation[b]] for a = box.area() / (H * W), the
// exact fraction of pasted pixels.
// input: [B, C, H, W] float32 / float64. The box must lie inside [H, W].
// Throws as above, and for a box outside the image or a bad permutation.
Batch cutmix(Batch batch, const Box& box, const std::vector<int64_t>& permutation,
             int64_t num_classes);

// Mixup with lambda ~ Beta(alpha, alpha) and a random permutation per batch,
// applied with probability p; a batch left alone still gets soft (one-hot)
// targets, so every batch has the same kind of target.
// Throws for alpha not positive and finite, num_classes < 1 or p outside [0, 1].
class Mixup {
 public:
  // One batch's random choices.
  struct Draw {
    double lambda = 1.0;
    std::vector<int64_t> permutation;
  };

  Mixup(double alpha, int64_t num_classes, double p = 1.0);

  // The draws operator() makes for a batch of batch_size rows: one uniform
  // for p, then lambda, then the permutation (identity when not applied).
  Draw draw(int64_t batch_size, Generator& generator) const;

  Batch operator()(Batch batch, Generator& generator) const;

 private:
  double alpha_;
  int64_t num_classes_;
  double p_;
};

// CutMix with lambda ~ Beta(alpha, alpha) and a random permutation per batch,
// applied with probability p. The box has sides floor(H * sqrt(1 - lambda))
// and floor(W * sqrt(1 - lambda)) around a uniformly drawn centre pixel,
// clipped at the borders, so its area fraction is 1 - lambda before clipping;
// the targets follow the box actually pasted (see cutmix()).
// Throws for alpha not positive and finite, num_classes < 1 or p outside [0, 1].
class CutMix {
 public:
  struct Draw {
    Box box;
    std::vector<int64_t> permutation;
  };

  CutMix(double alpha, int64_t num_classes, double p = 1.0);

  // The draws operator() makes for a batch of images [batch_size, C, height,
  // width]: one uniform for p, then lambda, the centre row and column, then
  // the permutation (an empty box and the identity when not applied).
  Draw draw(int64_t batch_size, int64_t height, int64_t width, Generator& generator) const;

  Batch operator()(Batch batch, Generator& generator) const;

 private:
  double alpha_;
  int64_t num_classes_;
  double p_;
};

// Applies one of `transforms` per batch, picked with probability proportional
// to `weights` (all equal when empty), as timm's switch between Mixup and
// CutMix:
//   .batch_transform = random_choice({Mixup(0.8, 10), CutMix(1.0, 10)})
// Throws for no transforms, an empty function, or weights of another length,
// negative, not finite, or summing to zero.
BatchTransform random_choice(std::vector<BatchTransform> transforms,
                             std::vector<double> weights = {});

}  // namespace ember::data
