#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include "framework/tensor.h"

// Max, average and adaptive pooling over 1, 2 or 3 spatial dims, as PyTorch
// 1.13 computes them, with gradients. Every (sample, channel) plane is pooled
// by one task, so forward and backward results are bitwise the same for any
// thread count.
//
// Shapes, with d the number of spatial dims (1, 2 or 3):
//   input   [N, C, *in] or unbatched [C, *in]; C and *in nonzero, N may be 0
//   output  the same leading dims, then *out (one size per spatial dim)
//   indices int64, shaped like the output: the flat position of the chosen
//           element inside its input plane (h * W + w in 2-D), as PyTorch
// For max and avg pooling, per spatial dim:
//   out = floor((in + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1
// with ceil instead of floor under ceil_mode, minus one when the last window
// would then start past the input and its left padding (PyTorch's rule).
// Dtypes: float32 or float64. Non-contiguous inputs (channels-last included)
// are copied to contiguous first; the output is always contiguous.
namespace ember {

// A size given once for every spatial dim (`2`) or once per dim (`{2, 1}`).
// Empty (default) means "not given" where an option allows it (stride).
class PoolSizes {
 public:
  PoolSizes() = default;
  PoolSizes(int64_t value) : values_{value} {}  // NOLINT: implicit on purpose
  PoolSizes(std::initializer_list<int64_t> values) : values_(values) {}
  PoolSizes(Shape values) : values_(std::move(values)) {}  // NOLINT: implicit on purpose

  const Shape& values() const { return values_; }
  bool empty() const { return values_.empty(); }

 private:
  Shape values_;
};

// Options of max_pool1d/2d/3d, in PyTorch's argument order, so both
// max_pool2d(x, {2}) and max_pool2d(x, {.kernel_size = 3, .stride = 2}) read
// like F.max_pool2d. Note {3, 2} means kernel 3, stride 2 (not a 3x2 kernel;
// write {.kernel_size = {3, 2}} for that).
struct MaxPoolOptions {
  PoolSizes kernel_size = {};  // required, >= 1
  PoolSizes stride = {};       // >= 1; empty means kernel_size
  PoolSizes padding = 0;       // implicit -inf padding on both sides, <= kernel_size / 2
  PoolSizes dilation = 1;      // >= 1, spacing between window elements
  bool ceil_mode = false;      // round the output size up (see the rule above)
};

// Options of avg_pool1d/2d/3d, in PyTorch's argument order.
struct AvgPoolOptions {
  PoolSizes kernel_size = {};     // required, >= 1
  PoolSizes stride = {};          // >= 1; empty means kernel_size
  PoolSizes padding = 0;          // zero padding on both sides, <= kernel_size / 2
  bool ceil_mode = false;         // round the output size up (see the rule above)
  bool count_include_pad = true;  // padded zeros count in the divisor
  // Divides every window sum by this instead (nonzero); 2-D and 3-D only, as in
  // PyTorch, where avg_pool1d has no such argument.
  std::optional<int64_t> divisor_override = std::nullopt;
};

// Max pooling: each output is the largest element of its window. On ties the
// first maximum in scan order (depth, then row, then column) wins; a NaN
// replaces the running maximum wherever it appears, so the last NaN of a
// window wins. The gradient flows to the chosen element only (summed where
// windows overlap). A window that dilation and padding leave without any
// input element yields -inf, index -1 and no gradient (PyTorch returns an
// index outside the window there).
// Throws ember::Error naming the op and the shapes for: an input rank other
// than d + 1 or d + 2, an empty C or spatial dim, a missing kernel_size, an
// option with a count other than 1 or d, a kernel, stride or dilation below 1,
// padding below 0 or above kernel_size / 2, an output size below 1, and a
// dtype other than float32/float64.
Tensor max_pool1d(const Tensor& input, const MaxPoolOptions& options);
Tensor max_pool2d(const Tensor& input, const MaxPoolOptions& options);
Tensor max_pool3d(const Tensor& input, const MaxPoolOptions& options);

// Max pooling returning (values, indices): PyTorch's return_indices=True.
// Values carry the gradient; indices (int64) do not. Throws as max_pool*d.
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                  const MaxPoolOptions& options);
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                  const MaxPoolOptions& options);
std::pair<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input,
                                                  const MaxPoolOptions& options);

// Average pooling: each output is its window's sum divided by the window
// size counted with padding (count_include_pad), without it, or by
// divisor_override. Windows are clipped at the padded input's end, so under
// ceil_mode the extra outputs divide by fewer elements, as in PyTorch.
// Throws as max_pool*d (no dilation here), and also for a zero
// divisor_override or one given to avg_pool1d.
Tensor avg_pool1d(const Tensor& input, const AvgPoolOptions& options);
Tensor avg_pool2d(const Tensor& input, const AvgPoolOptions& options);
Tensor avg_pool3d(const Tensor& input, const AvgPoolOptions& options);

// Adaptive pooling to a fixed output size (one size for every spatial dim or
// one per dim, each >= 1; larger than the input is allowed). Output i along
// a dim of input size `in` and output size `out` covers the input range
// [floor(i * in / out), ceil((i + 1) * in / out)), so windows may differ in
// size and overlap. Throws ember::Error naming the op and the shapes for a
// wrong input rank, an empty C or spatial dim, a size count other than 1 or
// d, an output size below 1, and a dtype other than float32/float64.
Tensor adaptive_avg_pool1d(const Tensor& input, const PoolSizes& output_size);
Tensor adaptive_avg_pool2d(const Tensor& input, const PoolSizes& output_size);
Tensor adaptive_avg_pool3d(const Tensor& input, const PoolSizes& output_size);

// Adaptive max pooling with the windows above and the tie, NaN and gradient
// rules of max_pool2d. Throws as adaptive_avg_pool2d.
Tensor adaptive_max_pool2d(const Tensor& input, const PoolSizes& output_size);
std::pair<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                           const PoolSizes& output_size);

}  // namespace ember
