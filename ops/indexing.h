#pragma once

#include <vector>

#include "framework/tensor.h"

// Joining, selecting and scattering. Indices are int64 tensors; negative
// indices are not wrapped (as PyTorch's gather/index_select), and an index out
// of range throws naming the op, the index and the size.
namespace ember {

// Joins tensors along an existing dim; all other dims must match.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Joins tensors of one shape along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Splits into pieces of `split_size` along dim (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);

// x's slices at `index` (1-D) along dim.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[i][j] = x[index[i][j]][j] for dim 0 (and likewise for other dims);
// index has x's number of dims and sizes no larger than x's outside dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// A copy of x with src added at the positions index names along dim.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// int64 labels [...] -> int64 one-hot [..., num_classes]; num_classes = -1
// means one more than the largest label.
Tensor one_hot(const Tensor& labels, int64_t num_classes = -1);

}  // namespace ember
