#include "ops/detail/im2col.h"

#include <algorithm>
#include <cstring>

#include "framework/error.h"
#include "framework/parallel.h"

namespace ember::detail {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// One kernel tap: its offset along each dim, and along the last (contiguous)
// dim the run of output positions [lo, hi) whose input lies inside the image.
struct Tap {
  ConvDims k{0, 0, 0};
  int64_t shift = 0;  // input x = output x * stride + shift
  int64_t lo = 0;
  int64_t hi = 0;
};

Tap make_tap(const ConvGeometry& g, int64_t tap) {
  Tap t;
  t.k[2] = tap % g.kernel[2];
  t.k[1] = tap / g.kernel[2] % g.kernel[1];
  t.k[0] = tap / (g.kernel[2] * g.kernel[1]);

  // ox * stride + shift must land in [0, in): solve for the range of ox.
  const int64_t stride = g.stride[2], width = g.in[2];
  t.shift = t.k[2] * g.dilation[2] - g.pad[2];
  t.lo = t.shift >= 0 ? 0 : ceil_div(-t.shift, stride);
  t.hi = width - 1 - t.shift >= 0 ? (width - 1 - t.shift) / stride + 1 : 0;
  t.lo = std::min(t.lo, g.out[2]);
  t.hi = std::clamp(t.hi, t.lo, g.out[2]);
  return t;
}

// Walks output positions [begin, end) of one tap as runs along the last dim:
// visit(input_row, x0, x1, at) for output x in [x0, x1) of one output row,
// `at` being the position of x0 relative to begin. input_row indexes the rows
// of the image plane ([in0 * in1] rows of in2), or is -1 when the tap reads
// padding for the whole run.
template <typename Visit>
void for_each_run(const ConvGeometry& g, const Tap& t, int64_t begin, int64_t end,
                  const Visit& visit) {
  const int64_t width = g.out[2], count = end - begin;
  const int64_t shift0 = t.k[0] * g.dilation[0] - g.pad[0];
  const int64_t shift1 = t.k[1] * g.dilation[1] - g.pad[1];
  int64_t row = begin / width, x0 = begin % width;
  int64_t o0 = row / g.out[1], o1 = row % g.out[1];
  for (int64_t at = 0; at < count; x0 = 0) {
    const int64_t x1 = std::min(width, x0 + (count - at));
    const int64_t i0 = o0 * g.stride[0] + shift0, i1 = o1 * g.stride[1] + shift1;
    const bool inside = i0 >= 0 && i0 < g.in[0] && i1 >= 0 && i1 < g.in[1];
    visit(inside ? i0 * g.in[1] + i1 : int64_t{-1}, x0, x1, at);
    at += x1 - x0;
    if (++o1 == g.out[1]) {
      o1 = 0;
      ++o0;
    }
  }
}

}  // namespace

bool ConvGeometry::is_pointwise() const {
  for (int d = 0; d < kMaxConvDims; ++d) {
    if (kernel[d] != 1 || stride[d] != 1 || pad[d] != 0 || in[d] != out[d]) return false;
  }
  return true;
}

namespace {

// Column row (c, tap) over positions [begin, end), one run of output x at a
// time; taps on the padding read zero.
template <typename T>
void im2col_runs(const T* plane, const ConvGeometry& g, const Tap& t, int64_t begin,
                 int64_t end, T* row) {
  const int64_t stride = g.stride[2], in_width = g.in[2];
  for_each_run(g, t, begin, end, [&](int64_t input_row, int64_t x0, int64_t x1, int64_t at) {
    T* dst = row + at;  // output x lands at dst[x - x0]
    if (input_row < 0) {
      std::fill(dst, dst + (x1 - x0), T(0));
      return;
    }
    const int64_t lo = std::clamp(t.lo, x0, x1), hi = std::clamp(t.hi, lo, x1);
    const T* src = plane + input_row * in_width + t.shift + lo * stride;  // x = lo
    std::fill(dst, dst + (lo - x0), T(0));
    T* out = dst + (lo - x0);
    if (stride == 1) {
      for (int64_t i = 0; i < hi - lo; ++i) out[i] = src[i];  // short runs: no memcpy call
    } else {
      for (int64_t i = 0; i < hi - lo; ++i) out[i] = src[i * stride];
    }
    std::fill(dst + (hi - x0), dst + (x1 - x0), T(0));
  });
}

// True when output rows line up with input rows: stride 1 in the last two dims
// and the width kept (padding "same" along it). Then consecutive output rows
// of a tap read consecutive input rows, one contiguous stretch of the plane.
bool rows_align(const ConvGeometry& g) {
  return g.stride[2] == 1 && g.stride[1] == 1 && g.out[2] == g.in[2];
}

// im2col_runs for aligned geometries: whole output rows whose input rows lie
// inside the plane are copied as one block per depth slice, then the |shift|
// columns that wrapped around from the neighbouring input row are zeroed. Cuts
// the per-row overhead that dominates narrow images (a 28-wide row is a few
// vector stores, about what setting up its run costs).
template <typename T>
void im2col_aligned(const T* plane, const ConvGeometry& g, const Tap& t, int64_t begin,
                    int64_t end, T* row) {
  const int64_t width = g.out[2], count = end - begin;
  const int64_t shift0 = t.k[0] * g.dilation[0] - g.pad[0];
  const int64_t shift1 = t.k[1] * g.dilation[1] - g.pad[1];
  int64_t at = 0;
  while (at < count) {
    const int64_t position = begin + at, x0 = position % width;
    const int64_t o0 = position / width / g.out[1], o1 = position / width % g.out[1];
    const int64_t i0 = o0 * g.stride[0] + shift0, i1 = o1 + shift1;
    const bool inside = i0 >= 0 && i0 < g.in[0] && i1 >= 0 && i1 < g.in[1];
    const int64_t rows = std::min({(count - at) / width, g.out[1] - o1, g.in[1] - i1});
    if (!inside || x0 != 0 || rows < 1 || t.hi <= t.lo) {
      // A partial row, or one on the padding: the general path, one run.
      const int64_t run = std::min(width - x0, count - at);
      im2col_runs(plane, g, t, position, position + run, row + at);
      at += run;
      continue;
    }

    T* dst = row + at;
    const T* src = plane + (i0 * g.in[1] + i1) * width + t.shift;  // indexed by output x
    const int64_t first = t.lo, last = (rows - 1) * width + t.hi;  // in-plane span
    std::memcpy(dst + first, src + first, sizeof(T) * static_cast<size_t>(last - first));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t x = 0; x < t.lo; ++x) dst[r * width + x] = T(0);
      for (int64_t x = t.hi; x < width; ++x) dst[r * width + x] = T(0);
    }
    at += rows * width;
  }
}

}  // namespace

template <typename T>
void im2col(const T* image, const ConvGeometry& g, int64_t begin, int64_t end, T* col) {
  const int64_t taps = g.kernel_numel(), width = end - begin, plane = g.in_numel();
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(width, 1));
  const bool aligned = rows_align(g);

  parallel_for(0, g.col_rows(), grain, [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const Tap t = make_tap(g, r % taps);
      const T* source = image + r / taps * plane;
      if (aligned) {
        im2col_aligned(source, g, t, begin, end, col + r * width);
      } else {
        im2col_runs(source, g, t, begin, end, col + r * width);
      }
    }
  });
}

template <typename T>
void col2im(const T* col, const ConvGeometry& g, int64_t begin, int64_t end, T* image) {
  const int64_t taps = g.kernel_numel(), width = end - begin, plane = g.in_numel();
  const int64_t stride = g.stride[2], in_width = g.in[2];
  const int64_t grain =
      std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(taps * width, 1));

  // Parallel over channels only: the taps of one channel overlap in the image.
  parallel_for(0, g.channels, grain, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) {
      T* target = image + c * plane;
      for (int64_t tap = 0; tap < taps; ++tap) {
        const Tap t = make_tap(g, tap);
        const T* row = col + (c * taps + tap) * width;
        for_each_run(g, t, begin, end,
                     [&](int64_t input_row, int64_t x0, int64_t x1, int64_t at) {
          if (input_row < 0) return;
          const int64_t lo = std::clamp(t.lo, x0, x1), hi = std::clamp(t.hi, lo, x1);
          const T* src = row + at + (lo - x0);  // x = lo
          T* dst = target + input_row * in_width + t.shift + lo * stride;
          if (stride == 1) {
            for (int64_t i = 0; i < hi - lo; ++i) dst[i] += src[i];
          } else {
            for (int64_t i = 0; i < hi - lo; ++i) dst[i * stride] += src[i];
          }
        });
      }
    }
  });
}

namespace {

// The buffer a thread lends to its convolutions.
template <typename T>
struct ThreadBuffer {
  std::vector<T> data;
  bool lent = false;
};

template <typename T>
ThreadBuffer<T>& thread_buffer() {
  thread_local ThreadBuffer<T> buffer;
  return buffer;
}

}  // namespace

template <typename T>
ColumnWorkspace<T>::ColumnWorkspace(int64_t count) {
  EMBER_ASSERT(count >= 0);
  ThreadBuffer<T>& buffer = thread_buffer<T>();
  std::vector<T>& target = buffer.lent ? own_ : buffer.data;
  borrowed_ = !buffer.lent;
  buffer.lent = true;
  if (static_cast<int64_t>(target.size()) < count) {
    // Drop the old block first, so growing never holds both.
    target = std::vector<T>();
    target.resize(static_cast<size_t>(count));
  }
  data_ = target.data();
}

template <typename T>
ColumnWorkspace<T>::~ColumnWorkspace() {
  if (borrowed_) thread_buffer<T>().lent = false;
}

#define EMBER_INSTANTIATE_IM2COL(T)                                                       \
  template void im2col<T>(const T*, const ConvGeometry&, int64_t, int64_t, T*);           \
  template void col2im<T>(const T*, const ConvGeometry&, int64_t, int64_t, T*);           \
  template class ColumnWorkspace<T>;

EMBER_INSTANTIATE_IM2COL(float)
EMBER_INSTANTIATE_IM2COL(double)

#undef EMBER_INSTANTIATE_IM2COL

}  // namespace ember::detail
