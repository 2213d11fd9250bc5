#pragma once

#include <cstdint>

#include "ops/detail/im2col.h"

// The input gradient of a stride-1 convolution without a column matrix: one
// GEMM per kernel tap, each adding w_tap^T * dy into a zero-padded copy of the
// image at the tap's offset. No autograd, no tensors.
//
// Why: im2col's adjoint writes a [C * K, L] column matrix and then scatters it
// back (col2im), both passes through memory K times the image's size. Here
// dy is laid out on the padded grid ("wide": each output row followed by the
// padding columns, zeroed), so that shifting the whole grid by a tap's offset
// lands every output position on the input element that tap read. The K
// products then accumulate in place: no column matrix, no scatter. The zeroed
// padding columns add a few percent of products that contribute zeros (7% at
// 28x28 with padding 1).
//
// Legend as in im2col.h; P = out + dilation * (kernel - 1) per dim, the padded
// extent the kernel sweeps; Lw the wide span of the outputs on that grid.
namespace ember::detail {

// True when the kernel applies and pays: every stride 1, not pointwise (which
// needs no columns at all), one image's scratch within a fixed budget, and
// channels per group enough to fill the GEMM's tiles (or filters per group too
// few for either path's GEMM to matter).
bool adjoint_by_taps_applies(const ConvGeometry& g);

// Elements of scratch adjoint_by_taps needs for one image.
int64_t adjoint_by_taps_scratch(const ConvGeometry& g);

// taps [K, OC, C / G]: weight [OC, C / G, *kernel] regrouped so that each
// tap's [OC, C / G] matrix is contiguous.
template <typename T>
void pack_weight_taps(const T* weight, const ConvGeometry& g, T* taps);

// dx [C, *in] of one image from its dy [OC, *out] and the packed taps, plus
// bias [C] when not null. Runs its GEMMs across the threads outside parallel
// regions, serially inside one; the arithmetic is the same either way.
template <typename T>
void adjoint_by_taps(const T* dy, const T* taps, const T* bias, const ConvGeometry& g,
                     T* scratch, T* dx);

}  // namespace ember::detail
