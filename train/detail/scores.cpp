#include "train/detail/scores.h"

#include <cstddef>
#include <limits>

namespace ember::train::detail {

int64_t row_argmax(const std::vector<double>& table, int64_t columns, int64_t row) {
  const double* values = table.data() + row * columns;
  int64_t best = 0;
  for (int64_t c = 1; c < columns; ++c) {
    if (values[c] > values[best]) best = c;
  }
  return best;
}

double accuracy(const std::vector<double>& scores, int64_t columns,
                const std::vector<int64_t>& labels) {
  if (labels.empty()) return std::numeric_limits<double>::quiet_NaN();
  int64_t correct = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    correct += row_argmax(scores, columns, static_cast<int64_t>(r)) == labels[r] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double r_squared(const std::vector<double>& outputs, const std::vector<double>& targets) {
  if (targets.empty()) return std::numeric_limits<double>::quiet_NaN();
  double mean = 0.0;
  for (double target : targets) mean += target;
  mean /= static_cast<double>(targets.size());

  double residual = 0.0;
  double total = 0.0;
  for (size_t i = 0; i < targets.size(); ++i) {
    residual += (targets[i] - outputs[i]) * (targets[i] - outputs[i]);
    total += (targets[i] - mean) * (targets[i] - mean);
  }
  if (total == 0.0) return residual == 0.0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

}  // namespace ember::train::detail
