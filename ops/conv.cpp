#include "ops/conv.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/conv_taps.h"
#include "ops/detail/gemm.h"
#include "ops/detail/im2col.h"
#include "ops/detail/profile_counts.h"
#include "ops/reduce.h"

// Legend (see ops/detail/im2col.h): an image x [C, *in] and weight
// [OC, C / G, *kernel] give y [OC, *out]; K = prod(kernel), L = prod(out),
// G = groups, R = (C / G) * K the column rows of one group. Per image and group:
//   forward       y_g [OC/G, L]  = w_g [OC/G, R] * col_g [R, L]
//   adjoint       col_g [R, L]   = w_g^T * dy_g, then col2im into dx
//   weight grad   dw_g [OC/G, R] += dy_g [OC/G, L] * col_g^T
// A transposed convolution is the adjoint as a forward op: its forward runs
// the adjoint kernel, its input gradient the forward one.
namespace ember {

ConvPadding::ConvPadding(const std::string& mode) {
  if (mode == "same") {
    mode_ = Mode::Same;
  } else if (mode == "valid") {
    mode_ = Mode::Valid;
  } else {
    detail::throw_error("conv: padding must be a size, one size per dim, \"same\" or \"valid\"; "
                        "got \"", mode, "\"");
  }
}

namespace {

using detail::ColumnWorkspace;
using detail::ConvDims;
using detail::ConvGeometry;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- work split: fixed by the shapes, never by the thread count ----

// Column tiles stay within ~this many bytes, about one core's L2, where
// im2col's writes and GEMM's reads of the same tile meet. Measured here on the
// issue's shapes (one thread; forward, input- and weight-gradient products):
// 512 KiB was within noise of the best of 64 KiB to 4 MiB, and beat building
// a whole image's columns (up to 14 MiB) by 10-25%.
constexpr int64_t kColumnBytes = int64_t{512} << 10;

// Narrower tiles leave GEMM too little to stream over and repack more often.
constexpr int64_t kMinTile = 256;

// Weight-gradient partial sums: at most this many, in at most this many
// elements, which is enough to keep 32 threads busy on any batch size.
constexpr int64_t kMaxWeightChunks = 32;
constexpr int64_t kPartialBudget = int64_t{1} << 23;

// Multiply-adds below which a task is not worth waking a thread (~30 us).
constexpr double kTaskWork = double(int64_t{1} << 17);

// Even tiles of at most `tile` columns over `positions`.
int64_t balance_tile(int64_t positions, int64_t tile) {
  if (tile >= positions) return positions;
  return ceil_div(positions, ceil_div(positions, tile));
}

// Output positions per column tile: one image's column matrix is built this
// many columns at a time, so its buffer stays near kColumnBytes whatever the
// image size. A pointwise convolution reads the image in place: one tile.
int64_t column_tile(const ConvGeometry& g, int64_t element_size) {
  const int64_t positions = g.out_numel();
  if (g.is_pointwise()) return positions;
  int64_t row_bytes = std::max<int64_t>(g.col_rows(), 1) * element_size;
  return balance_tile(positions, std::max(kColumnBytes / row_bytes, kMinTile));
}

// The weight gradient sums over (image, tile) units; a small batch is cut
// into finer tiles so that there are units enough to spread over threads.
int64_t weight_tile(const ConvGeometry& g, int64_t batch, int64_t element_size) {
  const int64_t positions = g.out_numel();
  int64_t finer = std::max(kMinTile, ceil_div(positions, ceil_div(kMaxWeightChunks, batch)));
  return balance_tile(positions, std::min(column_tile(g, element_size), finer));
}

// Runs body(i) for i in [0, count). With an item per thread or more, items run
// in parallel, each on one thread (its GEMMs serial); with fewer, one after
// another, each item's column copies and GEMMs split across the threads
// instead. Every item does the same arithmetic either way, so the results do
// not depend on the thread count.
template <typename F>
void for_each_item(int64_t count, double item_work, const F& body) {
  if (count >= get_num_threads()) {
    auto grain = static_cast<int64_t>(kTaskWork / std::max(item_work, 1.0));
    parallel_for(0, count, std::max<int64_t>(grain, 1), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) body(i);
    });
    return;
  }
  for (int64_t i = 0; i < count; ++i) body(i);
}

// The taps kernel multiplies every weight by the zeros around each image; an
// infinite or NaN weight would turn those into NaNs where no tap reaches, so
// such weights take the column path, which forms only the real products.
template <typename T>
bool all_finite(const T* values, int64_t count) {
  return std::all_of(values, values + count, [](T value) { return std::isfinite(value); });
}

// Sets row r of out [rows, cols] (row stride ld) to values[r].
template <typename T>
void fill_rows(T* out, int64_t ld, const T* values, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) std::fill(out + r * ld, out + r * ld + cols, values[r]);
}

// The FLOPs of one of the three products over `batch` images: each is, per
// image and group, [OC/G, R] x [R, L] (or its transpose), so all three come to
// 2 * N * OC * L * R. Counted on the calling thread, before the work splits.
void count_conv_flops(const ConvGeometry& g, int64_t batch) {
  detail::count_gemm_flops(batch, g.out_channels, g.out_numel(), g.group_rows());
}

// ---- kernels on contiguous buffers ----

// y [N, OC, *out] = conv(x [N, C, *in], w) (+ bias [OC] when not null). The
// (image, tile) units are independent, each writing its own output columns,
// so even a batch of one spreads over the threads.
template <typename T>
void forward_kernel(const T* x, const T* w, const T* bias, const ConvGeometry& g, int64_t batch,
                    T* y) {
  const int64_t positions = g.out_numel(), image_size = g.channels * g.in_numel();
  const int64_t oc = g.out_channels / g.groups, rows = g.group_rows();
  const int64_t tile = column_tile(g, sizeof(T)), tiles = ceil_div(positions, tile);
  const bool pointwise = g.is_pointwise();
  const T beta = bias ? T(1) : T(0);

  for_each_item(batch * tiles, double(g.out_channels) * rows * tile, [&](int64_t unit) {
    const int64_t n = unit / tiles, begin = unit % tiles * tile;
    const int64_t cols = std::min(tile, positions - begin);
    const T* image = x + n * image_size;
    T* out = y + n * g.out_channels * positions + begin;
    if (bias) fill_rows(out, positions, bias, g.out_channels, cols);

    // Pointwise: the image is its own [C, L] column matrix.
    ColumnWorkspace<T> workspace(pointwise ? 0 : g.col_rows() * tile);
    const T* col = image + begin;
    int64_t ld = positions;
    if (!pointwise) {
      detail::im2col(image, g, begin, begin + cols, workspace.data());
      col = workspace.data();
      ld = cols;
    }
    for (int64_t group = 0; group < g.groups; ++group) {
      detail::gemm<T>(false, false, oc, cols, rows, T(1), w + group * oc * rows, rows,
                      col + group * rows * ld, ld, beta, out + group * oc * positions, positions);
    }
  });
}

// dx [N, C, *in] = conv^T(dy [N, OC, *out], w) (+ bias [C] when not null):
// the input gradient of a convolution, and the forward of a transposed one.
template <typename T>
void adjoint_kernel(const T* dy, const T* w, const T* bias, const ConvGeometry& g, int64_t batch,
                    T* dx) {
  const int64_t positions = g.out_numel(), plane = g.in_numel();
  const int64_t oc = g.out_channels / g.groups, rows = g.group_rows();
  const int64_t tile = column_tile(g, sizeof(T));
  const bool pointwise = g.is_pointwise();

  // Parallel over images only: the tiles of one image overlap in dx.
  const double image_work = double(g.out_channels) * rows * positions;
  if (detail::adjoint_by_taps_applies(g) && all_finite(w, g.out_channels * rows)) {
    std::vector<T> taps(static_cast<size_t>(g.out_channels * rows));
    detail::pack_weight_taps(w, g, taps.data());
    for_each_item(batch, image_work, [&](int64_t n) {
      ColumnWorkspace<T> workspace(detail::adjoint_by_taps_scratch(g));
      detail::adjoint_by_taps(dy + n * g.out_channels * positions, taps.data(), bias, g,
                              workspace.data(), dx + n * g.channels * plane);
    });
    return;
  }

  for_each_item(batch, image_work, [&](int64_t n) {
    const T* grad = dy + n * g.out_channels * positions;
    T* image = dx + n * g.channels * plane;
    if (bias) {
      fill_rows(image, plane, bias, g.channels, plane);
    } else if (!pointwise) {
      std::fill(image, image + g.channels * plane, T(0));
    }

    // Pointwise: GEMM writes the image directly, no col2im.
    if (pointwise) {
      for (int64_t group = 0; group < g.groups; ++group) {
        detail::gemm<T>(true, false, rows, positions, oc, T(1), w + group * oc * rows, rows,
                        grad + group * oc * positions, positions, bias ? T(1) : T(0),
                        image + group * rows * plane, plane);
      }
      return;
    }

    ColumnWorkspace<T> workspace(g.col_rows() * tile);
    T* col = workspace.data();
    for (int64_t begin = 0; begin < positions; begin += tile) {
      const int64_t cols = std::min(tile, positions - begin);
      for (int64_t group = 0; group < g.groups; ++group) {
        detail::gemm<T>(true, false, rows, cols, oc, T(1), w + group * oc * rows, rows,
                        grad + group * oc * positions + begin, positions, T(0),
                        col + group * rows * cols, cols);
      }
      detail::col2im(col, g, begin, begin + cols, image);
    }
  });
}

// dw [OC, C / G, *kernel] = sum over images of dy_g * col_g^T. The (image,
// tile) units are cut into chunks fixed by the shapes; each chunk sums its
// units in order into its own partial (the first into dw, the others into
// `partials`, [chunks - 1, dw size]), and the partials are added in chunk
// order, so the result is bitwise the same for every thread count.
template <typename T>
void weight_grad_kernel(const T* x, const T* dy, const ConvGeometry& g, int64_t batch,
                        int64_t tile, int64_t chunks, T* partials, T* dw) {
  const int64_t positions = g.out_numel(), image_size = g.channels * g.in_numel();
  const int64_t oc = g.out_channels / g.groups, rows = g.group_rows();
  const int64_t weight_numel = g.out_channels * rows;
  const int64_t tiles = ceil_div(positions, tile), units = batch * tiles;
  const int64_t per_chunk = ceil_div(units, chunks);
  const bool pointwise = g.is_pointwise();

  double chunk_work = double(weight_numel) * tile * per_chunk;
  for_each_item(chunks, chunk_work, [&](int64_t chunk) {
    T* target = chunk == 0 ? dw : partials + (chunk - 1) * weight_numel;
    ColumnWorkspace<T> workspace(pointwise ? 0 : g.col_rows() * tile);
    const int64_t first = chunk * per_chunk, last = std::min(units, first + per_chunk);
    for (int64_t unit = first; unit < last; ++unit) {
      const int64_t n = unit / tiles, begin = unit % tiles * tile;
      const int64_t cols = std::min(tile, positions - begin);
      const T* image = x + n * image_size;
      const T* grad = dy + n * g.out_channels * positions;
      const T* col = image + begin;
      int64_t ld = positions;
      if (!pointwise) {
        detail::im2col(image, g, begin, begin + cols, workspace.data());
        col = workspace.data();
        ld = cols;
      }
      const T beta = unit == first ? T(0) : T(1);
      for (int64_t group = 0; group < g.groups; ++group) {
        detail::gemm<T>(false, true, oc, rows, cols, T(1), grad + group * oc * positions + begin,
                        positions, col + group * rows * ld, ld, beta, target + group * oc * rows,
                        rows);
      }
    }
  });

  if (chunks == 1) return;
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / (chunks - 1));
  parallel_for(0, weight_numel, grain, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = 1; chunk < chunks; ++chunk) {
      const T* part = partials + (chunk - 1) * weight_numel;
      for (int64_t i = begin; i < end; ++i) dw[i] += part[i];
    }
  });
}

// ---- the kernels on tensors (no autograd) ----

Shape spatial_shape(const ConvDims& sizes, int dims) {
  return Shape(sizes.end() - dims, sizes.end());
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// y [N, OC, *out] from x [N, C, *in]; bias [OC] or undefined.
Tensor apply_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeometry& g) {
  Tensor xc = x.contiguous(), wc = w.contiguous();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Shape shape = {x.size(0), g.out_channels};
  for (int64_t size : spatial_shape(g.out, g.dims)) shape.push_back(size);
  Tensor y = empty(shape, x.dtype());
  count_conv_flops(g, x.size(0));
  EMBER_DISPATCH_FLOATING(x.dtype(), "conv", [&] {
    forward_kernel<scalar_t>(xc.data_ptr<scalar_t>(), wc.data_ptr<scalar_t>(),
                             optional_data<scalar_t>(bc), g, x.size(0), y.data_ptr<scalar_t>());
  });
  return y;
}

// dx [N, C, *in] from dy [N, OC, *out]; bias [C] or undefined.
Tensor apply_adjoint(const Tensor& dy, const Tensor& w, const Tensor& bias, const ConvGeometry& g) {
  Tensor dyc = dy.contiguous(), wc = w.contiguous();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Shape shape = {dy.size(0), g.channels};
  for (int64_t size : spatial_shape(g.in, g.dims)) shape.push_back(size);
  Tensor dx = empty(shape, dy.dtype());
  count_conv_flops(g, dy.size(0));
  EMBER_DISPATCH_FLOATING(dy.dtype(), "conv", [&] {
    adjoint_kernel<scalar_t>(dyc.data_ptr<scalar_t>(), wc.data_ptr<scalar_t>(),
                             optional_data<scalar_t>(bc), g, dy.size(0), dx.data_ptr<scalar_t>());
  });
  return dx;
}

// dw of weight_shape from x [N, C, *in] and dy [N, OC, *out].
Tensor apply_weight_grad(const Tensor& x, const Tensor& dy, const ConvGeometry& g,
                         const Shape& weight_shape) {
  const int64_t batch = x.size(0), weight_numel = shape_numel(weight_shape);
  if (batch == 0) return zeros(weight_shape, x.dtype());

  // Units of (image, tile), cut into chunks; empty chunks are dropped.
  const int64_t tile = weight_tile(g, batch, element_size(x.dtype()));
  const int64_t units = batch * ceil_div(g.out_numel(), tile);
  int64_t most = std::max<int64_t>(1, kPartialBudget / std::max<int64_t>(weight_numel, 1));
  int64_t chunks = std::min({units, kMaxWeightChunks, most});
  chunks = ceil_div(units, ceil_div(units, chunks));

  Tensor xc = x.contiguous(), dyc = dy.contiguous();
  Tensor dw = empty(weight_shape, x.dtype());
  Tensor partials = empty({chunks - 1, weight_numel}, x.dtype());
  count_conv_flops(g, batch);
  EMBER_DISPATCH_FLOATING(x.dtype(), "conv", [&] {
    weight_grad_kernel<scalar_t>(xc.data_ptr<scalar_t>(), dyc.data_ptr<scalar_t>(), g, batch,
                                 tile, chunks, partials.data_ptr<scalar_t>(),
                                 dw.data_ptr<scalar_t>());
  });
  return dw;
}

// The bias gradient: dy [N, OC, *out] summed over all dims but the channels.
Tensor apply_bias_grad(const Tensor& dy) {
  Shape dims = {0};
  for (int64_t d = 2; d < dy.dim(); ++d) dims.push_back(d);
  return sum(dy, dims);
}

// ---- autograd ----

// Records a convolution (transposed: its adjoint) of the batched x. The three
// kernels trade places for the transposed op: its forward is the adjoint, its
// input gradient the forward, its weight gradient the same sum with the roles
// of x and dy swapped.
Tensor differentiable_conv(const char* op, bool transposed, const ConvGeometry& g,
                           const Tensor& x, const Tensor& weight, const Tensor& bias) {
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor b = bias.defined() ? bias.detach() : Tensor();
    out = transposed ? apply_adjoint(x.detach(), weight.detach(), b, g)
                     : apply_forward(x.detach(), weight.detach(), b, g);
  }
  if (!any_requires_grad({&x, &weight, &bias})) return out;

  bool need_x = x.requires_grad(), need_weight = weight.requires_grad();
  bool need_bias = bias.defined() && bias.requires_grad();
  SavedTensor saved_x = need_weight ? SavedTensor(x) : SavedTensor();
  SavedTensor saved_weight = need_x ? SavedTensor(weight) : SavedTensor();
  Shape weight_shape = weight.shape();
  auto backward = [=](const TensorList& grads) -> TensorList {
    const Tensor& dy = grads[0];
    TensorList result(3);
    if (need_x) {
      const Tensor& w = saved_weight.unpack(op);
      result[0] = transposed ? apply_forward(dy, w, Tensor(), g)
                             : apply_adjoint(dy, w, Tensor(), g);
    }
    if (need_weight) {
      const Tensor& input = saved_x.unpack(op);
      result[1] = transposed ? apply_weight_grad(dy, input, g, weight_shape)
                             : apply_weight_grad(input, dy, g, weight_shape);
    }
    if (need_bias) result[2] = apply_bias_grad(dy);
    return result;
  };
  return record_op("ConvolutionBackward", out, {x, weight, bias}, backward);
}

// ---- argument checks, each naming the op and the shapes ----

const char* input_layout(int dims) {
  static const char* const layouts[] = {"", "[N, C, L] or unbatched [C, L]",
                                        "[N, C, H, W] or unbatched [C, H, W]",
                                        "[N, C, D, H, W] or unbatched [C, D, H, W]"};
  return layouts[dims];
}

const char* kernel_layout(int dims) {
  static const char* const layouts[] = {"", "kL", "kH, kW", "kD, kH, kW"};
  return layouts[dims];
}

// The operand checks shared by conv and conv_transpose.
void check_operands(const char* op, int dims, const Tensor& input, const Tensor& weight,
                    const Tensor& bias, const char* weight_channels) {
  EMBER_CHECK(input.defined() && weight.defined(), op, ": input or weight is an undefined tensor");
  EMBER_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2, op, ": expected input ",
              input_layout(dims), " (", dims + 2, "-D or ", dims + 1, "-D), got ", input.shape(),
              " (", input.dim(), "-D)");
  EMBER_CHECK(weight.dim() == dims + 2, op, ": expected weight [", weight_channels, ", ",
              kernel_layout(dims), "] (", dims + 2, "-D), got ", weight.shape(), " (",
              weight.dim(), "-D)");
  EMBER_CHECK(is_floating(input.dtype()), op, ": unsupported dtype ", dtype_name(input.dtype()),
              "; expected float32 or float64");
  EMBER_CHECK(weight.dtype() == input.dtype(), op, ": dtypes differ: input ",
              dtype_name(input.dtype()), " vs weight ", dtype_name(weight.dtype()));
  EMBER_CHECK(!bias.defined() || bias.dtype() == input.dtype(), op, ": dtypes differ: input ",
              dtype_name(input.dtype()), " vs bias ", dtype_name(bias.dtype()));
  for (int64_t d = 2; d < weight.dim(); ++d) {
    EMBER_CHECK(weight.size(d) >= 1, op, ": weight ", weight.shape(), " has an empty kernel");
  }
}

void check_bias(const char* op, const Tensor& bias, int64_t out_channels) {
  if (!bias.defined()) return;
  EMBER_CHECK(bias.dim() == 1 && bias.size(0) == out_channels, op, ": expected bias [",
              out_channels, "] (out_channels), got ", bias.shape());
}

void check_groups(const char* op, int64_t groups) {
  EMBER_CHECK(groups >= 1, op, ": groups must be at least 1, got ", groups);
}

// A size list as one value per spatial dim, each at least `minimum`.
Shape per_dim(const char* op, const char* what, const ConvSizes& sizes, int dims,
              int64_t minimum) {
  const Shape& values = sizes.values();
  EMBER_CHECK(values.size() == 1 || static_cast<int>(values.size()) == dims, op, ": ", what,
              " needs 1 or ", dims, " values (one per spatial dim), got ", values);
  Shape result = values.size() == 1 ? Shape(dims, values[0]) : values;
  for (int64_t value : result) {
    EMBER_CHECK(value >= minimum, op, ": ", what, " must be at least ", minimum, " in every dim, "
                "got ", values);
  }
  return result;
}

// Writes one value per spatial dim into the right-aligned slots of `slots`.
void place(ConvDims& slots, const Shape& values) {
  std::copy(values.begin(), values.end(), slots.end() - values.size());
}

Shape spatial_of(const Tensor& t) { return Shape(t.shape().begin() + 2, t.shape().end()); }

// The geometry of conv over the batched x, after checking every argument.
ConvGeometry conv_geometry(const char* op, int dims, const Tensor& x, const Tensor& weight,
                           const Tensor& bias, const ConvOptions& options,
                           const Shape& input_shape) {
  const int64_t groups = options.groups;
  check_groups(op, groups);
  EMBER_CHECK(weight.size(0) % groups == 0, op, ": out_channels ", weight.size(0),
              " (weight.shape[0] of weight ", weight.shape(), ") is not divisible by groups ",
              groups);
  EMBER_CHECK(x.size(1) == weight.size(1) * groups, op, ": input ", input_shape, " has ",
              x.size(1), " channels but weight ", weight.shape(), " with groups ", groups,
              " expects ", weight.size(1) * groups, " (weight.shape[1] * groups)");
  check_bias(op, bias, weight.size(0));

  Shape stride = per_dim(op, "stride", options.stride, dims, 1);
  Shape dilation = per_dim(op, "dilation", options.dilation, dims, 1);
  Shape in = spatial_of(x), kernel = spatial_of(weight);

  // Zeros before and after each dim; "same" puts an odd extra one at the end.
  Shape before(dims, 0), after(dims, 0);
  const ConvPadding& padding = options.padding;
  if (padding.mode() == ConvPadding::Mode::Explicit) {
    before = after = per_dim(op, "padding", padding.sizes(), dims, 0);
  } else if (padding.mode() == ConvPadding::Mode::Same) {
    for (int64_t s : stride) {
      EMBER_CHECK(s == 1, op, ": padding \"same\" needs stride 1, got stride ", stride,
                  "; pad explicitly for a strided convolution");
    }
    for (int d = 0; d < dims; ++d) {
      int64_t total = dilation[d] * (kernel[d] - 1);
      before[d] = total / 2;
      after[d] = total - before[d];
    }
  }

  Shape padded(dims), reach(dims), out(dims);
  for (int d = 0; d < dims; ++d) {
    padded[d] = in[d] + before[d] + after[d];
    reach[d] = dilation[d] * (kernel[d] - 1) + 1;
  }
  for (int d = 0; d < dims; ++d) {
    EMBER_CHECK(reach[d] <= padded[d], op, ": the dilated kernel ", reach,
                " is larger than the padded input ", padded, "; input ", input_shape,
                ", weight ", weight.shape(), ", padding ", before, " before and ", after,
                " after, dilation ", dilation);
    out[d] = (padded[d] - reach[d]) / stride[d] + 1;
  }

  ConvGeometry g;
  g.dims = dims;
  g.channels = x.size(1);
  g.out_channels = weight.size(0);
  g.groups = groups;
  place(g.in, in);
  place(g.out, out);
  place(g.kernel, kernel);
  place(g.stride, stride);
  place(g.pad, before);
  place(g.dilation, dilation);
  return g;
}

// The geometry of conv_transpose over the batched x, seen as the convolution
// it is the adjoint of: that one maps the transposed output [N, OC, *out] to
// the transposed input [N, C, *in] with the same weight [C, OC / G, *kernel].
ConvGeometry transpose_geometry(const char* op, int dims, const Tensor& x, const Tensor& weight,
                                const Tensor& bias, const ConvTransposeOptions& options,
                                const Shape& input_shape) {
  const int64_t groups = options.groups;
  check_groups(op, groups);
  EMBER_CHECK(x.size(1) == weight.size(0), op, ": input ", input_shape, " has ", x.size(1),
              " channels but weight ", weight.shape(), " expects ", weight.size(0),
              " (weight.shape[0])");
  EMBER_CHECK(weight.size(0) % groups == 0, op, ": in_channels ", weight.size(0),
              " (weight.shape[0] of weight ", weight.shape(), ") is not divisible by groups ",
              groups);
  const int64_t out_channels = weight.size(1) * groups;
  check_bias(op, bias, out_channels);

  Shape stride = per_dim(op, "stride", options.stride, dims, 1);
  Shape padding = per_dim(op, "padding", options.padding, dims, 0);
  Shape output_padding = per_dim(op, "output_padding", options.output_padding, dims, 0);
  Shape dilation = per_dim(op, "dilation", options.dilation, dims, 1);
  Shape in = spatial_of(x), kernel = spatial_of(weight);

  Shape out(dims);
  for (int d = 0; d < dims; ++d) {
    EMBER_CHECK(output_padding[d] < stride[d] || output_padding[d] < dilation[d], op,
                ": output_padding ", output_padding, " must be smaller than either stride ",
                stride, " or dilation ", dilation, " in every dim");
    out[d] = (in[d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernel[d] - 1) +
             output_padding[d] + 1;
  }
  for (int d = 0; d < dims; ++d) {
    EMBER_CHECK(out[d] >= 1, op, ": the output size ", out, " is below 1; input ", input_shape,
                ", weight ", weight.shape(), ", stride ", stride, ", padding ", padding,
                ", dilation ", dilation, "; reduce the padding");
  }

  ConvGeometry g;
  g.dims = dims;
  g.channels = out_channels;
  g.out_channels = weight.size(0);
  g.groups = groups;
  place(g.in, out);
  place(g.out, in);
  place(g.kernel, kernel);
  place(g.stride, stride);
  place(g.pad, padding);
  place(g.dilation, dilation);
  return g;
}

// An unbatched input gains a batch of one, and its output loses it again.
Tensor conv_nd(const char* op, int dims, const Tensor& input, const Tensor& weight,
               const Tensor& bias, const ConvOptions& options) {
  EMBER_PROFILE_OP(op, input, weight, bias);
  check_operands(op, dims, input, weight, bias, "out_channels, in_channels / groups");
  const bool unbatched = input.dim() == dims + 1;
  Tensor x = unbatched ? input.unsqueeze(0) : input;
  ConvGeometry g = conv_geometry(op, dims, x, weight, bias, options, input.shape());
  Tensor out = differentiable_conv(op, false, g, x, weight, bias);
  return unbatched ? out.squeeze(0) : out;
}

Tensor conv_transpose_nd(const char* op, int dims, const Tensor& input, const Tensor& weight,
                         const Tensor& bias, const ConvTransposeOptions& options) {
  EMBER_PROFILE_OP(op, input, weight, bias);
  check_operands(op, dims, input, weight, bias, "in_channels, out_channels / groups");
  const bool unbatched = input.dim() == dims + 1;
  Tensor x = unbatched ? input.unsqueeze(0) : input;
  ConvGeometry g = transpose_geometry(op, dims, x, weight, bias, options, input.shape());
  Tensor out = differentiable_conv(op, true, g, x, weight, bias);
  return unbatched ? out.squeeze(0) : out;
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return conv_nd("conv1d", 1, input, weight, bias, options);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return conv_nd("conv2d", 2, input, weight, bias, options);
}

Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return conv_nd("conv3d", 3, input, weight, bias, options);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTransposeOptions& options) {
  return conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, options);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTransposeOptions& options) {
  return conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, options);
}

Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTransposeOptions& options) {
  return conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, options);
}

}  // namespace ember
