#include "ops/pooling.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/max_pool_2x2.h"
#include "ops/detail/profile_counts.h"

// Every pooling op reduces to one of two kernel families over planes of up to
// three spatial axes (depth, height, width; 1-D and 2-D problems pad the front
// with size-1 axes):
//   max family (max_pool*d, adaptive_max_pool2d): value and flat index of the
//     window maximum; backward scatters each output's gradient to its index.
//   avg family (avg_pool*d, adaptive_avg_pool*d): window sum over a divisor;
//     backward spreads each output's gradient evenly over its window.
// What differs between the ops is only where the windows lie, precomputed
// per axis, so one forward and one backward kernel serve each family.
// Forward kernels go row by row: the outputs whose windows lie whole inside
// the input along w take a loop the compiler vectorizes across outputs; the
// rest (borders, adaptive windows) go one window at a time. Both visit each
// window's elements in the same scan order, so results do not depend on the
// path. Each (sample, channel) plane belongs to one task: no thread ever
// writes another's plane, so results are the same for every thread count.
//
// Legend: x input plane [D, H, W], y output plane [OD, OH, OW], P planes (N*C).
namespace ember {
namespace {

// Windows along one axis: output o reads input positions begin[o],
// begin[o] + step, ... below end[o] (none when begin[o] >= end[o]).
// count[o] is the axis' factor of the average's divisor.
struct Axis {
  int64_t in = 1;
  int64_t out = 1;
  int64_t step = 1;
  std::vector<int64_t> begin{0};
  std::vector<int64_t> end{1};
  std::vector<int64_t> count{1};

  // Outputs [interior_begin, interior_end) have whole windows of `kernel`
  // elements, `step` apart, from o * stride - pad on (max and avg pooling;
  // adaptive windows leave this range empty).
  int64_t interior_begin = 0;
  int64_t interior_end = 0;
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t pad = 0;
};

// One pooling problem: P planes, each pooled over the same three axes.
struct Geometry {
  int64_t planes = 0;
  std::array<Axis, 3> axes;  // depth, height, width
  Shape input_shape;
  Shape output_shape;

  int64_t in_plane() const { return axes[0].in * axes[1].in * axes[2].in; }
  int64_t out_plane() const { return axes[0].out * axes[1].out * axes[2].out; }
};

// Planes per task: enough elements that waking a worker pays off.
int64_t plane_grain(const Geometry& g) {
  const int64_t per_plane = std::max<int64_t>(1, g.in_plane() + g.out_plane());
  return std::max<int64_t>(1, kElementwiseGrain / per_plane);
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// ---- argument checks ----

// The leading [N, C] or [C] dims and the d spatial sizes of a pooling input.
struct Frame {
  Shape lead;
  Shape spatial;
  int64_t planes = 1;
};

Frame check_input(const Tensor& input, int64_t d, const char* op) {
  const Shape& shape = input.shape();
  const int64_t rank = input.dim();
  EMBER_CHECK(rank == d + 1 || rank == d + 2, op, ": expected a ", d + 1, "-D (unbatched) or ",
              d + 2, "-D (batched) input, got ", shape);
  EMBER_CHECK(input.is_floating_point(), op, ": expected a float32 or float64 input, got ",
              dtype_name(input.dtype()), " of shape ", shape);
  for (int64_t i = rank - d - 1; i < rank; ++i) {
    EMBER_CHECK(shape[i] > 0, op, ": input ", shape,
                " has an empty channel or spatial dim; only the batch dim may be 0");
  }

  Frame frame;
  frame.lead.assign(shape.begin(), shape.end() - d);
  frame.spatial.assign(shape.end() - d, shape.end());
  for (int64_t size : frame.lead) frame.planes *= size;
  return frame;
}

// `sizes` spread to d values (one value stands for every dim).
Shape per_dim(const PoolSizes& sizes, int64_t d, const char* op, const char* name,
              const Shape& input_shape) {
  const Shape& values = sizes.values();
  EMBER_CHECK(values.size() == 1 || static_cast<int64_t>(values.size()) == d, op, ": ", name,
              " needs 1 or ", d, " values, got ", values, " (input ", input_shape, ")");
  return values.size() == 1 ? Shape(d, values[0]) : values;
}

void check_at_least(const Shape& values, int64_t minimum, const char* op, const char* name,
                    const Shape& input_shape) {
  for (int64_t value : values) {
    EMBER_CHECK(value >= minimum, op, ": ", name, " must be at least ", minimum, ", got ",
                values, " (input ", input_shape, ")");
  }
}

// A window (kernel, stride, padding, dilation) pooling option set, checked.
struct Window {
  Shape kernel, stride, padding, dilation;
};

Window check_window(const PoolSizes& kernel_size, const PoolSizes& stride,
                    const PoolSizes& padding, const PoolSizes& dilation, int64_t d,
                    const char* op, const Shape& input_shape) {
  EMBER_CHECK(!kernel_size.empty(), op, ": kernel_size is required (input ", input_shape, ")");
  Window w;
  w.kernel = per_dim(kernel_size, d, op, "kernel_size", input_shape);
  w.stride = stride.empty() ? w.kernel : per_dim(stride, d, op, "stride", input_shape);
  w.padding = per_dim(padding, d, op, "padding", input_shape);
  w.dilation = per_dim(dilation, d, op, "dilation", input_shape);
  check_at_least(w.kernel, 1, op, "kernel_size", input_shape);
  check_at_least(w.stride, 1, op, "stride", input_shape);
  check_at_least(w.padding, 0, op, "padding", input_shape);
  check_at_least(w.dilation, 1, op, "dilation", input_shape);
  for (int64_t i = 0; i < d; ++i) {
    EMBER_CHECK(w.padding[i] <= w.kernel[i] / 2, op, ": padding ", w.padding,
                " must be at most half of kernel_size ", w.kernel, " (input ", input_shape, ")");
  }
  return w;
}

// PyTorch's pooling output size; under ceil_mode the last window must still
// start inside the input or its left padding.
int64_t pooled_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation,
                    bool ceil_mode) {
  int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = floor_div(span, stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

Shape output_sizes(const Frame& frame, const Window& w, bool ceil_mode, const char* op) {
  const int64_t d = static_cast<int64_t>(frame.spatial.size());
  Shape out(d);
  for (int64_t i = 0; i < d; ++i) {
    out[i] = pooled_size(frame.spatial[i], w.kernel[i], w.stride[i], w.padding[i],
                         w.dilation[i], ceil_mode);
  }
  for (int64_t size : out) {
    EMBER_CHECK(size >= 1, op, ": output size ", out, " is too small for spatial size ",
                frame.spatial, " with kernel_size ", w.kernel, ", stride ", w.stride,
                ", padding ", w.padding, ", dilation ", w.dilation,
                "; every output size must be at least 1");
  }
  return out;
}

// ---- window tables ----

// Geometry with the spatial axes right-aligned into (depth, height, width).
Geometry make_geometry(const Frame& frame, const Shape& out, const std::vector<Axis>& axes) {
  Geometry g;
  g.planes = frame.planes;
  const size_t first = 3 - axes.size();
  for (size_t i = 0; i < axes.size(); ++i) g.axes[first + i] = axes[i];
  g.input_shape = frame.lead;
  g.input_shape.insert(g.input_shape.end(), frame.spatial.begin(), frame.spatial.end());
  g.output_shape = frame.lead;
  g.output_shape.insert(g.output_shape.end(), out.begin(), out.end());
  return g;
}

Axis sized_axis(int64_t in, int64_t out, int64_t step) {
  Axis a;
  a.in = in;
  a.out = out;
  a.step = step;
  a.begin.assign(out, 0);
  a.end.assign(out, 0);
  a.count.assign(out, 0);
  return a;
}

// Max windows: elements o * stride - pad + j * dilation, j < kernel, that lie
// in the input; begin is the first of them.
Axis max_axis(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t dil) {
  Axis a = sized_axis(in, out, dil);
  a.kernel = k;
  a.stride = s;
  a.pad = p;
  a.interior_begin = out;
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * s - p;
    int64_t last = start + (k - 1) * dil;
    if (start >= 0 && last < in) {
      a.interior_begin = std::min(a.interior_begin, o);
      a.interior_end = o + 1;
    }
    a.end[o] = std::min(last + 1, in);
    if (start < 0) start += (-start + dil - 1) / dil * dil;
    a.begin[o] = start;
    a.count[o] = 1;
  }
  a.interior_end = std::max(a.interior_end, a.interior_begin);
  return a;
}

// Average windows: clipped to the padded input for the divisor's count with
// padding, then to the input for the elements summed.
Axis avg_axis(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, bool include_pad) {
  Axis a = sized_axis(in, out, 1);
  a.kernel = k;
  a.stride = s;
  a.pad = p;
  a.interior_begin = out;
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * s - p;
    int64_t stop = std::min(start + k, in + p);
    int64_t padded_count = stop - start;
    if (start >= 0 && start + k <= in) {
      a.interior_begin = std::min(a.interior_begin, o);
      a.interior_end = o + 1;
    }
    a.begin[o] = std::max<int64_t>(start, 0);
    a.end[o] = std::min(stop, in);
    a.count[o] = include_pad ? padded_count : a.end[o] - a.begin[o];
  }
  a.interior_end = std::max(a.interior_end, a.interior_begin);
  return a;
}

// Adaptive windows: [floor(o * in / out), ceil((o + 1) * in / out)).
Axis adaptive_axis(int64_t in, int64_t out) {
  Axis a = sized_axis(in, out, 1);
  for (int64_t o = 0; o < out; ++o) {
    a.begin[o] = o * in / out;
    a.end[o] = ((o + 1) * in + out - 1) / out;
    a.count[o] = a.end[o] - a.begin[o];
  }
  return a;
}

Geometry adaptive_geometry(const Tensor& input, const PoolSizes& output_size, int64_t d,
                           const char* op) {
  Frame frame = check_input(input, d, op);
  Shape out = per_dim(output_size, d, op, "output_size", input.shape());
  check_at_least(out, 1, op, "output_size", input.shape());
  std::vector<Axis> axes;
  for (int64_t i = 0; i < d; ++i) axes.push_back(adaptive_axis(frame.spatial[i], out[i]));
  return make_geometry(frame, out, axes);
}

// ---- kernels ----

// The outputs [lo, hi) of row (od, oh) whose windows lie whole inside the
// input along w, for the row-at-a-time path; lo = hi = out when there are none
// (or the row's depth/height range is empty).
std::pair<int64_t, int64_t> row_interior(const Geometry& g, int64_t od, int64_t oh) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  if (ad.begin[od] >= ad.end[od] || ah.begin[oh] >= ah.end[oh]) return {aw.out, aw.out};
  return {aw.interior_begin, aw.interior_end};
}

// ---- kernels: max family ----

// The max of output (od, oh, ow)'s window and its flat position in x; -inf
// and -1 for a window without input elements.
template <typename T>
std::pair<T, int64_t> window_max(const T* x, const Geometry& g, int64_t od, int64_t oh,
                                 int64_t ow) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  const int64_t W = aw.in;
  const int64_t HW = ah.in * W;
  T best = -std::numeric_limits<T>::infinity();
  if (ad.begin[od] >= ad.end[od] || ah.begin[oh] >= ah.end[oh] || aw.begin[ow] >= aw.end[ow]) {
    return {best, -1};
  }

  // Until something beats -inf, the first element in the window is the pick.
  int64_t best_at = ad.begin[od] * HW + ah.begin[oh] * W + aw.begin[ow];
  for (int64_t id = ad.begin[od]; id < ad.end[od]; id += ad.step) {
    for (int64_t ih = ah.begin[oh]; ih < ah.end[oh]; ih += ah.step) {
      const int64_t row = id * HW + ih * W;
      for (int64_t iw = aw.begin[ow]; iw < aw.end[ow]; iw += aw.step) {
        // Strictly greater keeps the first of tied maxima; a NaN always wins.
        const T value = x[row + iw];
        if (value > best || std::isnan(value)) {
          best = value;
          best_at = row + iw;
        }
      }
    }
  }
  return {best, best_at};
}

// Outputs [lo, hi) of row (od, oh), whose windows lie inside the input along
// w: the window elements go in the outer loops, in scan order, and the
// outputs in the inner one, a compare-and-select loop the compiler
// vectorizes (a branch per element would be mispredicted about half the time
// on real data). The inner loop tracks the pick as an int32 offset inside
// the window (`pick`, scratch of the row's size), the same width as a float
// lane; flat int64 indices are formed once at the end.
template <typename T, bool kIndex, int64_t kStride>
void max_row_interior(const T* __restrict x, T* __restrict y_row, int64_t* __restrict i_row,
                      int32_t* __restrict pick, const Geometry& g, int64_t od, int64_t oh,
                      int64_t lo, int64_t hi) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  const int64_t W = aw.in;
  const int64_t HW = ah.in * W;
  const int64_t s = kStride > 0 ? kStride : aw.stride;
  // Flat position of output lo's first window element; output ow's is s * (ow - lo) further.
  const int64_t first = ad.begin[od] * HW + ah.begin[oh] * W + lo * s - aw.pad;
  for (int64_t ow = lo; ow < hi; ++ow) {
    y_row[ow] = -std::numeric_limits<T>::infinity();
    if constexpr (kIndex) pick[ow] = 0;
  }

  for (int64_t id = ad.begin[od]; id < ad.end[od]; id += ad.step) {
    for (int64_t ih = ah.begin[oh]; ih < ah.end[oh]; ih += ah.step) {
      for (int64_t k = 0; k < aw.kernel; ++k) {
        const int64_t at = id * HW + ih * W + lo * s - aw.pad + k * aw.step;
        const auto offset = static_cast<int32_t>(at - first);
        const T* src = x + at;
        for (int64_t ow = lo; ow < hi; ++ow) {
          const T value = src[(ow - lo) * s];
          const bool take = (value > y_row[ow]) | (value != value);
          y_row[ow] = take ? value : y_row[ow];
          if constexpr (kIndex) pick[ow] = take ? offset : pick[ow];
        }
      }
    }
  }

  if constexpr (kIndex) {
    for (int64_t ow = lo; ow < hi; ++ow) i_row[ow] = first + (ow - lo) * s + pick[ow];
  }
}

// Whether g pools 2-D planes with 2x2 windows at stride 2, without padding,
// dilation or partial windows: the pooling of most CNNs, which
// max_plane_2x2 runs without the general kernel's set-up per output row.
bool is_plain_2x2(const Geometry& g) {
  const Axis& ad = g.axes[0];
  if (ad.in != 1 || ad.out != 1 || ad.kernel != 1) return false;
  for (const Axis* axis : {&g.axes[1], &g.axes[2]}) {
    if (axis->kernel != 2 || axis->stride != 2 || axis->pad != 0 || axis->step != 1 ||
        axis->interior_begin != 0 || axis->interior_end != axis->out) {
      return false;
    }
  }
  return true;
}

// max_plane_forward for is_plain_2x2 geometries. The window is scanned in
// the general kernel's order (row by row) with its rule: strictly greater
// wins, keeping the first of tied maxima, and a NaN always wins.
template <typename T, bool kIndex>
void max_plane_2x2(const T* __restrict x, T* __restrict y, int64_t* __restrict index,
                   const Geometry& g) {
  const int64_t W = g.axes[2].in;
  const int64_t out_h = g.axes[1].out;
  const int64_t out_w = g.axes[2].out;
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const T* top = x + 2 * oh * W;
    const T* bottom = top + W;
    T* y_row = y + oh * out_w;
    for (int64_t ow = 0; ow < out_w; ++ow) {
      const T candidates[4] = {top[2 * ow], top[2 * ow + 1], bottom[2 * ow], bottom[2 * ow + 1]};
      T best = -std::numeric_limits<T>::infinity();
      int64_t at = 0;
      for (int64_t k = 0; k < 4; ++k) {
        const bool take = (candidates[k] > best) | (candidates[k] != candidates[k]);
        best = take ? candidates[k] : best;
        at = take ? k : at;
      }
      y_row[ow] = best;
      if constexpr (kIndex) {
        // Window element k sits (k / 2) rows and (k % 2) columns in.
        index[oh * out_w + ow] = (2 * oh + at / 2) * W + 2 * ow + at % 2;
      }
    }
  }
}

// y = max of each window of plane x, index = its flat position in x.
// `pick`: scratch for one output row.
template <typename T, bool kIndex>
void max_plane_forward(const T* x, T* y, int64_t* index, int32_t* pick, const Geometry& g) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  // The fast path's int32 window offsets need planes below 2^31 elements.
  const bool offsets_fit = g.in_plane() <= std::numeric_limits<int32_t>::max();
  for (int64_t od = 0; od < ad.out; ++od) {
    for (int64_t oh = 0; oh < ah.out; ++oh) {
      const int64_t row = (od * ah.out + oh) * aw.out;
      T* y_row = y + row;
      int64_t* i_row = kIndex ? index + row : nullptr;
      auto [lo, hi] = offsets_fit ? row_interior(g, od, oh) : std::pair(aw.out, aw.out);

      auto edge = [&](int64_t from, int64_t to) {
        for (int64_t ow = from; ow < to; ++ow) {
          auto [best, best_at] = window_max(x, g, od, oh, ow);
          y_row[ow] = best;
          if constexpr (kIndex) i_row[ow] = best_at;
        }
      };
      edge(0, lo);
      if (lo < hi) {
        // A stride known at compile time lets the compiler load whole vectors.
        auto interior = aw.stride == 1   ? max_row_interior<T, kIndex, 1>
                        : aw.stride == 2 ? max_row_interior<T, kIndex, 2>
                                         : max_row_interior<T, kIndex, 0>;
        interior(x, y_row, i_row, pick, g, od, oh, lo, hi);
      }
      edge(hi, aw.out);
    }
  }
}

// x, y: [P, plane] contiguous; index may be null when no one needs it.
template <typename T>
void max_pool_forward(const T* x, T* y, int64_t* index, const Geometry& g) {
  const int64_t in_plane = g.in_plane();
  const int64_t out_plane = g.out_plane();
  if (is_plain_2x2(g)) {
    const int64_t width = g.axes[2].in, out_h = g.axes[1].out, out_w = g.axes[2].out;
    const bool vectorized =
        std::is_same_v<T, float> && detail::max_pool_2x2_vectorizes(out_w, in_plane);
    parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        int64_t* plane_index = index != nullptr ? index + p * out_plane : nullptr;
        if constexpr (std::is_same_v<T, float>) {
          if (vectorized) {
            detail::max_pool_2x2_plane(x + p * in_plane, width, out_h, out_w, y + p * out_plane,
                                       plane_index);
            continue;
          }
        }
        if (index != nullptr) {
          max_plane_2x2<T, true>(x + p * in_plane, y + p * out_plane, index + p * out_plane, g);
        } else {
          max_plane_2x2<T, false>(x + p * in_plane, y + p * out_plane, nullptr, g);
        }
      }
    });
    return;
  }
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    std::vector<int32_t> pick(index != nullptr ? g.axes[2].out : 0);
    for (int64_t p = begin; p < end; ++p) {
      const T* xp = x + p * in_plane;
      T* yp = y + p * out_plane;
      if (index != nullptr) {
        max_plane_forward<T, true>(xp, yp, index + p * out_plane, pick.data(), g);
      } else {
        max_plane_forward<T, false>(xp, yp, nullptr, nullptr, g);
      }
    }
  });
}

// gx[index[o]] += gy[o]. The task owning a plane writes all of it, in output
// order, so overlapping windows sum in the same order for any thread count.
template <typename T>
void max_pool_backward(const T* gy, const int64_t* index, T* gx, const Geometry& g) {
  const int64_t in_plane = g.in_plane();
  const int64_t out_plane = g.out_plane();
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* gxp = gx + p * in_plane;
      const T* gyp = gy + p * out_plane;
      const int64_t* ip = index + p * out_plane;
      std::fill(gxp, gxp + in_plane, T(0));
      for (int64_t o = 0; o < out_plane; ++o) {
        // -1 marks a window without input elements: no gradient.
        if (static_cast<uint64_t>(ip[o]) < static_cast<uint64_t>(in_plane)) gxp[ip[o]] += gyp[o];
      }
    }
  });
}

// ---- kernels: avg family ----

// The divisor of every output of a plane (the same for all planes).
std::vector<int64_t> avg_divisors(const Geometry& g, std::optional<int64_t> divisor_override) {
  std::vector<int64_t> divisors;
  divisors.reserve(g.out_plane());
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  for (int64_t od = 0; od < ad.out; ++od) {
    for (int64_t oh = 0; oh < ah.out; ++oh) {
      for (int64_t ow = 0; ow < aw.out; ++ow) {
        divisors.push_back(divisor_override ? *divisor_override
                                            : ad.count[od] * ah.count[oh] * aw.count[ow]);
      }
    }
  }
  return divisors;
}

// Calls visit(o, offsets of o's window: d * HW + h * W + w) for every output
// o of a plane whose window holds input elements, with the window's rows.
template <typename Visit>
void for_each_window(const Geometry& g, const Visit& visit) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  const int64_t W = aw.in;
  const int64_t HW = ah.in * W;
  int64_t o = 0;
  for (int64_t od = 0; od < ad.out; ++od) {
    for (int64_t oh = 0; oh < ah.out; ++oh) {
      for (int64_t ow = 0; ow < aw.out; ++ow, ++o) {
        visit(o, ad.begin[od], ad.end[od], ah.begin[oh], ah.end[oh], aw.begin[ow], aw.end[ow],
              HW, W);
      }
    }
  }
}

// The sum of output (od, oh, ow)'s window (0 when it holds no element).
template <typename T>
T window_sum(const T* x, const Geometry& g, int64_t od, int64_t oh, int64_t ow) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  const int64_t W = aw.in;
  const int64_t HW = ah.in * W;
  T sum = 0;
  for (int64_t id = ad.begin[od]; id < ad.end[od]; ++id) {
    for (int64_t ih = ah.begin[oh]; ih < ah.end[oh]; ++ih) {
      const T* row = x + id * HW + ih * W;
      for (int64_t iw = aw.begin[ow]; iw < aw.end[ow]; ++iw) sum += row[iw];
    }
  }
  return sum;
}

// Window sums of outputs [lo, hi) of row (od, oh), window elements outside
// and outputs inside as in max_row_interior; each output still adds its
// elements in scan order, so the sums equal window_sum's bit for bit.
template <typename T, int64_t kStride>
void avg_row_interior(const T* __restrict x, T* __restrict y_row, const Geometry& g,
                      int64_t od, int64_t oh, int64_t lo, int64_t hi) {
  const Axis& ad = g.axes[0];
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  const int64_t W = aw.in;
  const int64_t HW = ah.in * W;
  const int64_t s = kStride > 0 ? kStride : aw.stride;
  for (int64_t ow = lo; ow < hi; ++ow) y_row[ow] = 0;

  for (int64_t id = ad.begin[od]; id < ad.end[od]; ++id) {
    for (int64_t ih = ah.begin[oh]; ih < ah.end[oh]; ++ih) {
      for (int64_t k = 0; k < aw.kernel; ++k) {
        const T* src = x + id * HW + ih * W + lo * s - aw.pad + k;
        for (int64_t ow = lo; ow < hi; ++ow) y_row[ow] += src[(ow - lo) * s];
      }
    }
  }
}

// y[o] = sum of o's window / divisor[o]; 0 for a window without elements.
template <typename T>
void avg_plane_forward(const T* x, T* y, const int64_t* divisor, const Geometry& g) {
  const Axis& ah = g.axes[1];
  const Axis& aw = g.axes[2];
  for (int64_t od = 0; od < g.axes[0].out; ++od) {
    for (int64_t oh = 0; oh < ah.out; ++oh) {
      const int64_t row = (od * ah.out + oh) * aw.out;
      T* y_row = y + row;
      auto [lo, hi] = row_interior(g, od, oh);

      if (lo < hi) {
        auto interior = aw.stride == 1   ? avg_row_interior<T, 1>
                        : aw.stride == 2 ? avg_row_interior<T, 2>
                                         : avg_row_interior<T, 0>;
        interior(x, y_row, g, od, oh, lo, hi);
      }
      for (int64_t ow = 0; ow < aw.out; ++ow) {
        T sum = ow >= lo && ow < hi ? y_row[ow] : window_sum(x, g, od, oh, ow);
        // Only a count-without-padding divisor can be 0, for an empty window.
        y_row[ow] = divisor[row + ow] == 0 ? T(0) : sum / static_cast<T>(divisor[row + ow]);
      }
    }
  }
}

template <typename T>
void avg_pool_forward(const T* x, T* y, const std::vector<int64_t>& divisor,
                      const Geometry& g) {
  const int64_t in_plane = g.in_plane();
  const int64_t out_plane = g.out_plane();
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      avg_plane_forward(x + p * in_plane, y + p * out_plane, divisor.data(), g);
    }
  });
}

// gx[window of o] += gy[o] / divisor[o], one task per plane (deterministic).
template <typename T>
void avg_pool_backward(const T* gy, T* gx, const std::vector<int64_t>& divisor,
                       const Geometry& g) {
  const int64_t in_plane = g.in_plane();
  const int64_t out_plane = g.out_plane();
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* gxp = gx + p * in_plane;
      const T* gyp = gy + p * out_plane;
      std::fill(gxp, gxp + in_plane, T(0));
      for_each_window(g, [&](int64_t o, int64_t d0, int64_t d1, int64_t h0, int64_t h1,
                             int64_t w0, int64_t w1, int64_t HW, int64_t W) {
        const T share = gyp[o] / static_cast<T>(divisor[o]);
        for (int64_t id = d0; id < d1; ++id) {
          for (int64_t ih = h0; ih < h1; ++ih) {
            T* row = gxp + id * HW + ih * W;
            for (int64_t iw = w0; iw < w1; ++iw) row[iw] += share;
          }
        }
      });
    }
  });
}

// ---- differentiable wrappers ----

// The elements of `t` in row-major order, without autograd.
// Limitation: strided inputs (channels-last included) are copied to
// contiguous first, one extra pass over memory.
Tensor contiguous_data(const Tensor& t) { return t.detach().contiguous(); }

std::pair<Tensor, Tensor> max_family(const Tensor& input, const Geometry& g, bool want_indices,
                                     const char* op, const char* node_name) {
  Tensor x = contiguous_data(input);
  Tensor y = empty(g.output_shape, input.dtype());
  const bool needs_grad = any_requires_grad({&input});
  Tensor index = want_indices || needs_grad ? empty(g.output_shape, kInt64) : Tensor();
  int64_t* index_data = index.defined() ? index.data_ptr<int64_t>() : nullptr;
  detail::count_bytes(x, y, index);
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    max_pool_forward(x.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), index_data, g);
  });
  if (!needs_grad) return {y, index};

  SavedTensor saved_index(index);
  y = record_op(node_name, y, {input},
                [saved_index, g, op](const TensorList& grads) -> TensorList {
                  Tensor gy = contiguous_data(grads[0]);
                  const Tensor& where = saved_index.unpack(op);
                  Tensor gx = empty(g.input_shape, gy.dtype());
                  detail::count_bytes(gy, where, gx);
                  EMBER_DISPATCH_FLOATING(gy.dtype(), op, [&] {
                    max_pool_backward(gy.data_ptr<scalar_t>(), where.data_ptr<int64_t>(),
                                      gx.data_ptr<scalar_t>(), g);
                  });
                  return {gx};
                });
  return {y, index};
}

Tensor avg_family(const Tensor& input, const Geometry& g,
                  std::optional<int64_t> divisor_override, const char* op,
                  const char* node_name) {
  Tensor x = contiguous_data(input);
  Tensor y = empty(g.output_shape, input.dtype());
  std::vector<int64_t> divisor = avg_divisors(g, divisor_override);
  detail::count_bytes(x, y);
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    avg_pool_forward(x.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), divisor, g);
  });
  if (!any_requires_grad({&input})) return y;

  return record_op(node_name, y, {input},
                   [g, divisor, op](const TensorList& grads) -> TensorList {
                     Tensor gy = contiguous_data(grads[0]);
                     Tensor gx = empty(g.input_shape, gy.dtype());
                     detail::count_bytes(gy, gx);
                     EMBER_DISPATCH_FLOATING(gy.dtype(), op, [&] {
                       avg_pool_backward(gy.data_ptr<scalar_t>(), gx.data_ptr<scalar_t>(),
                                         divisor, g);
                     });
                     return {gx};
                   });
}

// ---- per-op entry points, by spatial rank d ----

const char* const kMaxPoolOps[] = {"max_pool1d", "max_pool2d", "max_pool3d"};
const char* const kMaxPoolNodes[] = {"MaxPool1DWithIndicesBackward0",
                                     "MaxPool2DWithIndicesBackward0",
                                     "MaxPool3DWithIndicesBackward0"};
const char* const kAvgPoolOps[] = {"avg_pool1d", "avg_pool2d", "avg_pool3d"};
const char* const kAvgPoolNodes[] = {"AvgPool1DBackward0", "AvgPool2DBackward0",
                                     "AvgPool3DBackward0"};
const char* const kAdaptiveAvgOps[] = {"adaptive_avg_pool1d", "adaptive_avg_pool2d",
                                       "adaptive_avg_pool3d"};
const char* const kAdaptiveAvgNodes[] = {"AdaptiveAvgPool1DBackward0",
                                         "AdaptiveAvgPool2DBackward0",
                                         "AdaptiveAvgPool3DBackward0"};

std::pair<Tensor, Tensor> max_pool(const Tensor& input, const MaxPoolOptions& options,
                                   int64_t d, bool want_indices) {
  const char* op = kMaxPoolOps[d - 1];
  EMBER_PROFILE_OP(op, input);
  Frame frame = check_input(input, d, op);
  Window w = check_window(options.kernel_size, options.stride, options.padding,
                          options.dilation, d, op, input.shape());
  Shape out = output_sizes(frame, w, options.ceil_mode, op);

  std::vector<Axis> axes;
  for (int64_t i = 0; i < d; ++i) {
    axes.push_back(max_axis(frame.spatial[i], out[i], w.kernel[i], w.stride[i], w.padding[i],
                            w.dilation[i]));
  }
  return max_family(input, make_geometry(frame, out, axes), want_indices, op,
                    kMaxPoolNodes[d - 1]);
}

Tensor avg_pool(const Tensor& input, const AvgPoolOptions& options, int64_t d) {
  const char* op = kAvgPoolOps[d - 1];
  EMBER_PROFILE_OP(op, input);
  Frame frame = check_input(input, d, op);
  Window w = check_window(options.kernel_size, options.stride, options.padding, 1, d, op,
                          input.shape());
  EMBER_CHECK(!options.divisor_override || d > 1, op,
              ": divisor_override is not an option of avg_pool1d (PyTorch has none); input ",
              input.shape());
  EMBER_CHECK(!options.divisor_override || *options.divisor_override != 0, op,
              ": divisor_override must not be zero (input ", input.shape(), ")");
  Shape out = output_sizes(frame, w, options.ceil_mode, op);

  std::vector<Axis> axes;
  for (int64_t i = 0; i < d; ++i) {
    axes.push_back(avg_axis(frame.spatial[i], out[i], w.kernel[i], w.stride[i], w.padding[i],
                            options.count_include_pad));
  }
  return avg_family(input, make_geometry(frame, out, axes), options.divisor_override, op,
                    kAvgPoolNodes[d - 1]);
}

Tensor adaptive_avg_pool(const Tensor& input, const PoolSizes& output_size, int64_t d) {
  const char* op = kAdaptiveAvgOps[d - 1];
  EMBER_PROFILE_OP(op, input);
  Geometry g = adaptive_geometry(input, output_size, d, op);
  return avg_family(input, g, std::nullopt, op, kAdaptiveAvgNodes[d - 1]);
}

std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& input, const PoolSizes& output_size,
                                            bool want_indices) {
  const char* op = "adaptive_max_pool2d";
  EMBER_PROFILE_OP(op, input);
  Geometry g = adaptive_geometry(input, output_size, 2, op);
  return max_family(input, g, want_indices, op, "AdaptiveMaxPool2DBackward0");
}

}  // namespace

Tensor max_pool1d(const Tensor& input, const MaxPoolOptions& options) {
  return max_pool(input, options, 1, false).first;
}

Tensor max_pool2d(const Tensor& input, const MaxPoolOptions& options) {
  return max_pool(input, options, 2, false).first;
}

Tensor max_pool3d(const Tensor& input, const MaxPoolOptions& options) {
  return max_pool(input, options, 3, false).first;
}

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                  const MaxPoolOptions& options) {
  return max_pool(input, options, 1, true);
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                  const MaxPoolOptions& options) {
  return max_pool(input, options, 2, true);
}

std::pair<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input,
                                                  const MaxPoolOptions& options) {
  return max_pool(input, options, 3, true);
}

Tensor avg_pool1d(const Tensor& input, const AvgPoolOptions& options) {
  return avg_pool(input, options, 1);
}

Tensor avg_pool2d(const Tensor& input, const AvgPoolOptions& options) {
  return avg_pool(input, options, 2);
}

Tensor avg_pool3d(const Tensor& input, const AvgPoolOptions& options) {
  return avg_pool(input, options, 3);
}

Tensor adaptive_avg_pool1d(const Tensor& input, const PoolSizes& output_size) {
  return adaptive_avg_pool(input, output_size, 1);
}

Tensor adaptive_avg_pool2d(const Tensor& input, const PoolSizes& output_size) {
  return adaptive_avg_pool(input, output_size, 2);
}

Tensor adaptive_avg_pool3d(const Tensor& input, const PoolSizes& output_size) {
  return adaptive_avg_pool(input, output_size, 3);
}

Tensor adaptive_max_pool2d(const Tensor& input, const PoolSizes& output_size) {
  return adaptive_max_pool(input, output_size, false).first;
}

std::pair<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                           const PoolSizes& output_size) {
  return adaptive_max_pool(input, output_size, true);
}

}  // namespace ember
