#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "framework/tensor.h"

// Classification metrics for training loops: accuracy, top-k accuracy and a
// confusion matrix with per-class precision and recall.
//
// Shared conventions:
//   logits   [N, C] float32 or float64 (scores; any monotone transform of
//            them, such as probabilities, gives the same results)
//   targets  int64 [N] class indices in [0, C), or soft targets [N, C] of
//            the logits' dtype (Mixup/CutMix, label smoothing), read as their
//            argmax
// Ranking ties go to the lower class index, as argmax does: class c ranks
// ahead of class t when logit[c] > logit[t], or when they are equal and c < t.
// A NaN logit ranks ahead of every number, as in PyTorch's argmax, so top-1
// always agrees with the argmax.
namespace ember::train {

// Samples whose target class is among the k highest-ranked logits.
// Throws ember::Error when logits are not a floating [N, C] tensor, targets
// do not fit them (shape, dtype, a class index outside [0, C)), or k is
// outside [1, C].
int64_t count_correct(const Tensor& logits, const Tensor& targets, int64_t k = 1);

// The fraction of samples whose highest logit is the target class, in
// [0, 1]; NaN for an empty batch. Throws as count_correct.
double accuracy(const Tensor& logits, const Tensor& targets);

// The fraction of samples whose target is among the k highest logits, in
// [0, 1]; NaN for an empty batch. Throws as count_correct.
double top_k_accuracy(const Tensor& logits, const Tensor& targets, int64_t k);

// Counts of (true class, predicted class) pairs over any number of batches:
// row = true class, column = predicted class (scikit-learn's layout).
//   train::ConfusionMatrix matrix(10, {"T-shirt/top", "Trouser", ...});
//   for (Batch& batch : test_loader) matrix.update(model(batch.input), batch.target);
//   std::cout << matrix;
class ConfusionMatrix {
 public:
  // `class_names` label the printed table: empty (classes print as numbers)
  // or one name per class. Throws ember::Error for num_classes < 1 or a
  // name count other than num_classes.
  explicit ConfusionMatrix(int64_t num_classes, std::vector<std::string> class_names = {});

  // Adds one count per sample. predictions: int64 [N] class indices, or
  // logits [N, C] (their argmax); targets as in the conventions above.
  // Throws ember::Error for shapes that do not fit or classes outside
  // [0, num_classes); nothing is counted then.
  void update(const Tensor& predictions, const Tensor& targets);
  void reset();

  int64_t num_classes() const { return num_classes_; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  // Samples of class `target` predicted as `predicted`. Throws for classes
  // out of range.
  int64_t count(int64_t target, int64_t predicted) const;
  // Every count, int64 [C, C] (row: true class, column: predicted class).
  Tensor counts() const;
  int64_t total() const;

  // The diagonal's share of the total; NaN when nothing was counted.
  double accuracy() const;
  // Of the samples predicted as `class_index`, the share that are; 0 when
  // none were predicted as it (scikit-learn's zero_division default).
  double precision(int64_t class_index) const;
  // Of the samples of `class_index`, the share predicted as it; 0 when the
  // class never occurred.
  double recall(int64_t class_index) const;
  // 2 precision recall / (precision + recall); 0 when both are 0.
  double f1(int64_t class_index) const;

  // A table: one row per true class (its index and name), one column per
  // predicted class (its index), then the class's recall and precision, and
  // a last line with the total and the accuracy.
  std::string to_string() const;

 private:
  int64_t num_classes_;
  std::vector<std::string> class_names_;
  std::vector<int64_t> counts_;  // [target * C + predicted]
};

std::ostream& operator<<(std::ostream& out, const ConfusionMatrix& matrix);

}  // namespace ember::train
