#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "framework/error.h"

namespace ember::train {
namespace {

// Logits as doubles, row-major [N, C]. Checks they are a floating matrix.
std::vector<double> read_logits(const Tensor& logits, const char* op) {
  EMBER_CHECK(logits.defined(), op, ": logits are undefined");
  EMBER_CHECK(logits.dim() == 2 && logits.is_floating_point(), op,
              ": expected logits as a floating [N, C] tensor, got ", dtype_name(logits.dtype()),
              " ", logits.shape());
  return logits.detach().to_vector<double>();
}

// Whether class c ranks ahead of class t in one row of scores: higher first,
// NaN above every number, ties to the lower index.
bool ranks_ahead(const double* row, int64_t c, int64_t t) {
  double xc = row[c];
  double xt = row[t];
  if (std::isnan(xc) || std::isnan(xt)) {
    if (std::isnan(xc) && std::isnan(xt)) return c < t;
    return std::isnan(xc);
  }
  return xc > xt || (xc == xt && c < t);
}

// The top-ranked class of one row of C scores.
int64_t row_argmax(const double* row, int64_t num_classes) {
  int64_t best = 0;
  for (int64_t c = 1; c < num_classes; ++c) {
    if (ranks_ahead(row, c, best)) best = c;
  }
  return best;
}

// Targets as class indices in [0, num_classes): int64 [N] as they are, soft
// [N, C] targets by their argmax.
std::vector<int64_t> read_targets(const Tensor& targets, int64_t batch, int64_t num_classes,
                                  const char* op) {
  EMBER_CHECK(targets.defined(), op, ": targets are undefined");
  std::vector<int64_t> labels;
  if (targets.dtype() == kInt64) {
    EMBER_CHECK(targets.shape() == Shape{batch}, op, ": expected int64 targets [", batch,
                "] (one class index per sample), got ", targets.shape());
    labels = targets.to_vector<int64_t>();
  } else {
    EMBER_CHECK(targets.is_floating_point() && (targets.shape() == Shape{batch, num_classes}), op,
                ": expected int64 class indices [", batch, "] or soft targets [", batch, ", ",
                num_classes, "], got ", dtype_name(targets.dtype()), " ", targets.shape());
    std::vector<double> soft = targets.detach().to_vector<double>();
    labels.resize(static_cast<size_t>(batch));
    for (int64_t n = 0; n < batch; ++n) {
      labels[n] = row_argmax(soft.data() + n * num_classes, num_classes);
    }
  }

  for (int64_t n = 0; n < batch; ++n) {
    EMBER_CHECK(labels[n] >= 0 && labels[n] < num_classes, op, ": target ", labels[n],
                " of sample ", n, " is outside [0, ", num_classes, ")");
  }
  return labels;
}

}  // namespace

int64_t count_correct(const Tensor& logits, const Tensor& targets, int64_t k) {
  const char* op = "count_correct";
  std::vector<double> scores = read_logits(logits, op);
  int64_t batch = logits.size(0);
  int64_t num_classes = logits.size(1);
  EMBER_CHECK(k >= 1 && k <= num_classes, op, ": k = ", k, " is outside [1, ", num_classes,
              "] for logits ", logits.shape());
  std::vector<int64_t> labels = read_targets(targets, batch, num_classes, op);

  // A sample is correct when fewer than k classes rank ahead of its target.
  int64_t correct = 0;
  for (int64_t n = 0; n < batch; ++n) {
    const double* row = scores.data() + n * num_classes;
    int64_t ahead = 0;
    for (int64_t c = 0; c < num_classes && ahead < k; ++c) {
      if (c != labels[n] && ranks_ahead(row, c, labels[n])) ++ahead;
    }
    if (ahead < k) ++correct;
  }
  return correct;
}

double accuracy(const Tensor& logits, const Tensor& targets) {
  return top_k_accuracy(logits, targets, 1);
}

double top_k_accuracy(const Tensor& logits, const Tensor& targets, int64_t k) {
  int64_t correct = count_correct(logits, targets, k);
  int64_t batch = logits.size(0);
  if (batch == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(correct) / static_cast<double>(batch);
}

ConfusionMatrix::ConfusionMatrix(int64_t num_classes, std::vector<std::string> class_names)
    : num_classes_(num_classes), class_names_(std::move(class_names)) {
  EMBER_CHECK(num_classes >= 1, "ConfusionMatrix: num_classes must be at least 1, got ",
              num_classes);
  EMBER_CHECK(class_names_.empty() || static_cast<int64_t>(class_names_.size()) == num_classes,
              "ConfusionMatrix: ", class_names_.size(), " class names for ", num_classes,
              " classes; give one name per class or none");
  counts_.assign(static_cast<size_t>(num_classes * num_classes), 0);
}

void ConfusionMatrix::update(const Tensor& predictions, const Tensor& targets) {
  const char* op = "ConfusionMatrix::update";
  EMBER_CHECK(predictions.defined(), op, ": predictions are undefined");

  // Predicted classes: given as indices, or the argmax of each logit row.
  std::vector<int64_t> predicted;
  if (predictions.dtype() == kInt64) {
    EMBER_CHECK(predictions.dim() == 1, op, ": expected int64 predictions [N], got ",
                predictions.shape());
    predicted = predictions.to_vector<int64_t>();
  } else {
    std::vector<double> scores = read_logits(predictions, op);
    EMBER_CHECK(predictions.size(1) == num_classes_, op, ": logits ", predictions.shape(),
                " have ", predictions.size(1), " classes; this matrix counts ", num_classes_);
    predicted.resize(static_cast<size_t>(predictions.size(0)));
    for (size_t n = 0; n < predicted.size(); ++n) {
      predicted[n] = row_argmax(scores.data() + n * num_classes_, num_classes_);
    }
  }
  int64_t batch = static_cast<int64_t>(predicted.size());
  std::vector<int64_t> labels = read_targets(targets, batch, num_classes_, op);

  for (int64_t n = 0; n < batch; ++n) {
    EMBER_CHECK(predicted[n] >= 0 && predicted[n] < num_classes_, op, ": prediction ",
                predicted[n], " of sample ", n, " is outside [0, ", num_classes_, ")");
  }
  for (int64_t n = 0; n < batch; ++n) ++counts_[labels[n] * num_classes_ + predicted[n]];
}

void ConfusionMatrix::reset() { std::fill(counts_.begin(), counts_.end(), 0); }

int64_t ConfusionMatrix::count(int64_t target, int64_t predicted) const {
  EMBER_CHECK(target >= 0 && target < num_classes_ && predicted >= 0 &&
                  predicted < num_classes_,
              "ConfusionMatrix::count: classes (", target, ", ", predicted,
              ") outside [0, ", num_classes_, ")");
  return counts_[target * num_classes_ + predicted];
}

Tensor ConfusionMatrix::counts() const { return tensor(counts_, {num_classes_, num_classes_}); }

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t value : counts_) sum += value;
  return sum;
}

double ConfusionMatrix::accuracy() const {
  int64_t all = total();
  if (all == 0) return std::numeric_limits<double>::quiet_NaN();
  int64_t diagonal = 0;
  for (int64_t c = 0; c < num_classes_; ++c) diagonal += counts_[c * num_classes_ + c];
  return static_cast<double>(diagonal) / static_cast<double>(all);
}

double ConfusionMatrix::precision(int64_t class_index) const {
  int64_t hits = count(class_index, class_index);
  int64_t predicted = 0;
  for (int64_t t = 0; t < num_classes_; ++t) predicted += counts_[t * num_classes_ + class_index];
  return predicted == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(predicted);
}

double ConfusionMatrix::recall(int64_t class_index) const {
  int64_t hits = count(class_index, class_index);
  int64_t actual = 0;
  for (int64_t p = 0; p < num_classes_; ++p) actual += counts_[class_index * num_classes_ + p];
  return actual == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(actual);
}

double ConfusionMatrix::f1(int64_t class_index) const {
  double p = precision(class_index);
  double r = recall(class_index);
  return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}

std::string ConfusionMatrix::to_string() const {
  // Column widths: counts as wide as the largest one (at least the header's
  // class index), row labels as wide as the longest "index name".
  int count_width = static_cast<int>(std::to_string(num_classes_ - 1).size());
  for (int64_t value : counts_) {
    count_width = std::max(count_width, static_cast<int>(std::to_string(value).size()));
  }
  std::vector<std::string> labels;
  size_t label_width = std::string("true \\ predicted").size();
  for (int64_t c = 0; c < num_classes_; ++c) {
    std::string label = std::to_string(c);
    if (!class_names_.empty()) label += " " + class_names_[c];
    label_width = std::max(label_width, label.size());
    labels.push_back(std::move(label));
  }

  std::ostringstream out;
  char cell[64];
  out << std::string("true \\ predicted") + std::string(label_width - 16, ' ');
  for (int64_t c = 0; c < num_classes_; ++c) {
    std::snprintf(cell, sizeof(cell), " %*lld", count_width, static_cast<long long>(c));
    out << cell;
  }
  out << "  recall  precision\n";
  for (int64_t t = 0; t < num_classes_; ++t) {
    out << labels[t] << std::string(label_width - labels[t].size(), ' ');
    for (int64_t p = 0; p < num_classes_; ++p) {
      std::snprintf(cell, sizeof(cell), " %*lld", count_width,
                    static_cast<long long>(counts_[t * num_classes_ + p]));
      out << cell;
    }
    std::snprintf(cell, sizeof(cell), "  %6.4f  %9.4f\n", recall(t), precision(t));
    out << cell;
  }
  std::snprintf(cell, sizeof(cell), "%lld samples, accuracy %.4f\n",
                static_cast<long long>(total()), accuracy());
  out << cell;
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const ConfusionMatrix& matrix) {
  return out << matrix.to_string();
}

}  // namespace ember::train
