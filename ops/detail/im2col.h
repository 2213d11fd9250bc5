#pragma once

#include <array>
#include <cstdint>
#include <vector>

// Column matrices for convolution by GEMM (im2col; vol2col in 3-D) and their
// adjoint (col2im), on raw contiguous buffers. No autograd, no tensors.
//
// Legend: C channels, in / out the spatial sizes of the image and of the
// output, K = prod(kernel) taps, L = prod(out) output positions. The column
// matrix of an image is [C * K, L]: row (c, tap), column = output position,
// so the weight [OC, C * K] times it gives the output [OC, L]. A group's rows
// (C / groups) * K are contiguous, so one GEMM per group reads them in place.
namespace ember::detail {

inline constexpr int kMaxConvDims = 3;

// Per spatial dim, right-aligned: a 1-D convolution uses slot 2 only, a 2-D
// one slots 1-2; unused slots hold size 1, stride 1, dilation 1, padding 0, so
// every kernel walks three dims and the last one stays the contiguous one.
using ConvDims = std::array<int64_t, kMaxConvDims>;

// One convolution in its forward orientation: image [C, *in] cross-correlated
// with weight [OC, C / groups, *kernel] gives [OC, *out].
struct ConvGeometry {
  int dims = 0;              // spatial dims in use: 1, 2 or 3
  int64_t channels = 0;      // C
  int64_t out_channels = 0;  // OC
  int64_t groups = 1;
  ConvDims in{1, 1, 1};
  ConvDims out{1, 1, 1};
  ConvDims kernel{1, 1, 1};
  ConvDims stride{1, 1, 1};
  ConvDims pad{0, 0, 0};  // zeros before each dim; the end needs no number
  ConvDims dilation{1, 1, 1};

  int64_t in_numel() const { return in[0] * in[1] * in[2]; }
  int64_t out_numel() const { return out[0] * out[1] * out[2]; }  // L
  int64_t kernel_numel() const { return kernel[0] * kernel[1] * kernel[2]; }  // K
  int64_t col_rows() const { return channels * kernel_numel(); }
  int64_t group_rows() const { return col_rows() / groups; }  // (C / groups) * K

  // True when the column matrix is the image itself ([C, L] with L = prod(in)):
  // a 1x1 kernel, stride 1, no padding. Such convolutions skip im2col.
  bool is_pointwise() const;
};

// Writes columns [begin, end) of the column matrix of `image` (contiguous
// [C, *in]) to `col`, a dense [C * K, end - begin]; taps that fall on the
// padding read zero. Splits its rows across threads outside parallel regions.
template <typename T>
void im2col(const T* image, const ConvGeometry& g, int64_t begin, int64_t end, T* col);

// The adjoint of im2col: adds every element of `col` ([C * K, end - begin],
// columns [begin, end) of a column matrix) onto the image element it was
// copied from; taps on the padding are dropped. Each channel is summed by one
// thread in a fixed order, so the result does not depend on the thread count.
template <typename T>
void col2im(const T* col, const ConvGeometry& g, int64_t begin, int64_t end, T* image);

// Scratch memory for column matrices, lent by the calling thread: every
// convolution on a thread reuses its one buffer, which grows to the largest
// request and is kept (callers bound requests by tiling). Should the thread's
// buffer already be lent (a task stolen while an outer one waits, on the same
// thread), a private buffer serves instead, freed with the workspace.
template <typename T>
class ColumnWorkspace {
 public:
  explicit ColumnWorkspace(int64_t count);
  ~ColumnWorkspace();
  ColumnWorkspace(const ColumnWorkspace&) = delete;
  ColumnWorkspace& operator=(const ColumnWorkspace&) = delete;

  T* data() const { return data_; }

 private:
  T* data_ = nullptr;
  bool borrowed_ = false;  // holds the thread's buffer, to hand back on destruction
  std::vector<T> own_;
};

}  // namespace ember::detail
