#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>

#include "framework/tensor.h"

// Convolutions as PyTorch computes them (cross-correlation), by im2col (vol2col
// in 3-D) and GEMM through OpenBLAS, with gradients for input, weight and bias.
// Images of a batch run in parallel, each on one thread with a reused column
// buffer; results are bitwise the same for every thread count.
//
// Shapes, with d the number of spatial dims (1, 2 or 3) and g = groups:
//   conv:            input [N, C, *in] or unbatched [C, *in]
//                    weight [OC, C / g, *kernel]   bias [OC]
//                    output [N, OC, *out], out = floor((in + 2 * pad
//                            - dilation * (kernel - 1) - 1) / stride) + 1
//   conv_transpose:  input [N, C, *in] or unbatched [C, *in]
//                    weight [C, OC / g, *kernel]   bias [OC]
//                    output [N, OC, *out], out = (in - 1) * stride - 2 * pad
//                            + dilation * (kernel - 1) + output_padding + 1
// Dtypes: float32 or float64, the same for every operand.
namespace ember {

// A size given once for every spatial dim (`2`) or once per dim (`{2, 1}`).
class ConvSizes {
 public:
  ConvSizes(int64_t value) : values_{value} {}  // NOLINT: implicit on purpose
  ConvSizes(std::initializer_list<int64_t> values) : values_(values) {}
  ConvSizes(Shape values) : values_(std::move(values)) {}  // NOLINT: implicit on purpose

  const Shape& values() const { return values_; }

 private:
  Shape values_;
};

// Zero padding of a convolution: a size for every spatial dim (`1`), one per
// dim (`{1, 2}`), "valid" (none) or "same" (the output keeps the input's size;
// stride 1 only; when the dilated kernel's overhang is odd, the extra row or
// column goes at the end, as in PyTorch). Throws ember::Error on another word.
class ConvPadding {
 public:
  enum class Mode { Explicit, Same, Valid };

  ConvPadding(int64_t size = 0) : sizes_{size} {}  // NOLINT: implicit on purpose
  ConvPadding(std::initializer_list<int64_t> sizes) : sizes_(sizes) {}
  ConvPadding(Shape sizes) : sizes_(std::move(sizes)) {}  // NOLINT: implicit on purpose
  // A template, so that a literal 0 still means a size and not a null string.
  template <size_t N>
  ConvPadding(const char (&mode)[N]) : ConvPadding(std::string(mode)) {}  // NOLINT
  ConvPadding(const std::string& mode);  // NOLINT: implicit on purpose

  Mode mode() const { return mode_; }
  const Shape& sizes() const { return sizes_; }  // for Mode::Explicit

 private:
  Mode mode_ = Mode::Explicit;
  Shape sizes_;
};

// Options of conv1d/2d/3d, in PyTorch's order, so designated initializers
// read like its keyword arguments: conv2d(x, w, b, {.stride = 2, .padding = 1}).
struct ConvOptions {
  ConvSizes stride = 1;     // >= 1
  ConvPadding padding = 0;  // >= 0, or "same" / "valid"
  ConvSizes dilation = 1;   // >= 1
  int64_t groups = 1;       // divides both C and OC; groups == C is depthwise
};

// Options of conv_transpose1d/2d/3d, in PyTorch's order.
struct ConvTransposeOptions {
  ConvSizes stride = 1;          // >= 1
  ConvSizes padding = 0;         // >= 0, taken off both ends of the output
  ConvSizes output_padding = 0;  // added at the end; below stride or dilation
  int64_t groups = 1;            // divides both C and OC
  ConvSizes dilation = 1;        // >= 1
};

// Cross-correlates `input` with `weight` (plus `bias`, when defined) over 1, 2
// or 3 spatial dims; see the shapes at the top of this file. Throws
// ember::Error naming the op and the shapes for: an input rank other than
// d + 1 or d + 2, a weight rank other than d + 2, C != weight.shape[1] * groups,
// OC not divisible by groups, a bias other than [OC], a stride, dilation or
// padding with the wrong count (1 or d) or out of range, padding "same" with a
// stride above 1, a dilated kernel larger than the padded input, and dtypes
// that differ or are not floating.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const ConvOptions& options = {});
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const ConvOptions& options = {});
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const ConvOptions& options = {});

// The adjoint of conv with the same weight (the gradient of conv with respect
// to its input), as a forward op, plus `bias`; see the shapes at the top of
// this file. Throws ember::Error naming the op and the shapes for a wrong
// input or weight rank, C != weight.shape[0], C or OC not divisible by groups,
// a bias other than [OC], sizes with the wrong count or out of range, an
// output_padding not below stride or dilation, an output size below 1, and
// dtypes that differ or are not floating.
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        const ConvTransposeOptions& options = {});
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        const ConvTransposeOptions& options = {});
Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        const ConvTransposeOptions& options = {});

}  // namespace ember
