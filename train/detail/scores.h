#pragma once

#include <cstdint>
#include <vector>

// Scores of predictions held as plain numbers, which the ensembles compute
// over arbitrary subsets of the training rows (out-of-bag rows).
namespace ember::train::detail {

// The row's argmax in a row-major [R, C] table: the lowest index among equal
// maxima, as Tensor::argmax.
int64_t row_argmax(const std::vector<double>& table, int64_t columns, int64_t row);

// The share of rows of scores [R, C] whose argmax is labels[r]; NaN for R = 0.
double accuracy(const std::vector<double>& scores, int64_t columns,
                const std::vector<int64_t>& labels);

// 1 - SS_res / SS_tot over every element (scikit-learn's r2_score for one
// output); with constant targets, 1 for a perfect fit and 0 otherwise (its
// force_finite rule); NaN when empty.
double r_squared(const std::vector<double>& outputs, const std::vector<double>& targets);

}  // namespace ember::train::detail
