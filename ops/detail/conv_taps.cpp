#include "ops/detail/conv_taps.h"

#include <algorithm>

#include "framework/error.h"
#include "ops/detail/gemm.h"

namespace ember::detail {
namespace {

// One image's scratch stays within this many elements (16 MiB of float32);
// larger images take the column path, whose buffers are tiled.
constexpr int64_t kScratchBudget = int64_t{1} << 22;

// Fewest channels per group for which the taps' GEMMs beat the column path's.
constexpr int64_t kMinTapRows = 4;

// The padded grid of one image: its extent per dim and the wide span of the
// output positions on it.
struct PaddedGrid {
  ConvDims extent{1, 1, 1};
  int64_t plane = 0;  // prod(extent)
  int64_t span = 0;   // Lw: last output position's wide index + 1

  explicit PaddedGrid(const ConvGeometry& g) {
    for (int d = 0; d < kMaxConvDims; ++d) {
      extent[d] = g.out[d] + g.dilation[d] * (g.kernel[d] - 1);
    }
    plane = extent[0] * extent[1] * extent[2];
    span = ((g.out[0] - 1) * extent[1] + (g.out[1] - 1)) * extent[2] + g.out[2];
  }

  // The wide offset a tap shifts the grid by.
  int64_t offset(const ConvGeometry& g, int64_t tap) const {
    const int64_t k2 = tap % g.kernel[2], k1 = tap / g.kernel[2] % g.kernel[1];
    const int64_t k0 = tap / (g.kernel[2] * g.kernel[1]);
    return (k0 * g.dilation[0] * extent[1] + k1 * g.dilation[1]) * extent[2] +
           k2 * g.dilation[2];
  }
};

// wide [OC, Lw] from dy [OC, L]: each output row at its place on the padded
// grid, the padding columns and rows between zeroed.
template <typename T>
void widen(const T* dy, const ConvGeometry& g, const PaddedGrid& grid, T* wide) {
  const int64_t width = g.out[2], stride = grid.extent[2];
  for (int64_t channel = 0; channel < g.out_channels; ++channel) {
    const T* src = dy + channel * g.out_numel();
    T* dst = wide + channel * grid.span;
    for (int64_t o0 = 0; o0 < g.out[0]; ++o0) {
      for (int64_t o1 = 0; o1 < grid.extent[1]; ++o1) {
        const int64_t start = (o0 * grid.extent[1] + o1) * stride;
        if (start >= grid.span) break;
        const int64_t count = std::min(stride, grid.span - start);
        int64_t copied = 0;
        if (o1 < g.out[1]) {
          std::copy(src, src + width, dst + start);
          src += width;
          copied = width;
        }
        std::fill(dst + start + copied, dst + start + count, T(0));
      }
    }
  }
}

// dx [C, *in] = the interior of padded [C, P] (+ bias); input elements beyond
// the grid, which no output reads, get the bias alone.
template <typename T>
void unpad(const T* padded, const T* bias, const ConvGeometry& g, const PaddedGrid& grid,
           T* dx) {
  ConvDims inside{};
  for (int d = 0; d < kMaxConvDims; ++d) {
    inside[d] = std::clamp<int64_t>(grid.extent[d] - g.pad[d], 0, g.in[d]);
  }
  for (int64_t channel = 0; channel < g.channels; ++channel) {
    const T base = bias ? bias[channel] : T(0);
    const T* src = padded + channel * grid.plane;
    T* dst = dx + channel * g.in_numel();
    for (int64_t i0 = 0; i0 < g.in[0]; ++i0) {
      for (int64_t i1 = 0; i1 < g.in[1]; ++i1, dst += g.in[2]) {
        if (i0 >= inside[0] || i1 >= inside[1]) {
          std::fill(dst, dst + g.in[2], base);
          continue;
        }
        const T* row = src + ((i0 + g.pad[0]) * grid.extent[1] + i1 + g.pad[1]) * grid.extent[2] +
                       g.pad[2];
        for (int64_t i2 = 0; i2 < inside[2]; ++i2) dst[i2] = base + row[i2];
        std::fill(dst + inside[2], dst + g.in[2], base);
      }
    }
  }
}

}  // namespace

bool adjoint_by_taps_applies(const ConvGeometry& g) {
  for (int d = 0; d < kMaxConvDims; ++d) {
    if (g.stride[d] != 1) return false;
  }
  if (g.is_pointwise() || adjoint_by_taps_scratch(g) > kScratchBudget) return false;

  // Each tap's GEMM has C / G rows, the column path's one C / G * K. Under
  // kMinTapRows the taps leave the GEMM's register tiles mostly empty (3
  // channels to 64 filters at 112x112: 2x slower than columns); unless the
  // filters per group are that few too, when both GEMMs are tiny and the
  // column path's extra passes over memory decide (depthwise: 2x faster here).
  const int64_t channels = g.channels / g.groups, filters = g.out_channels / g.groups;
  return channels >= kMinTapRows || filters < kMinTapRows;
}

int64_t adjoint_by_taps_scratch(const ConvGeometry& g) {
  PaddedGrid grid(g);
  return g.channels * grid.plane + g.out_channels * grid.span;
}

template <typename T>
void pack_weight_taps(const T* weight, const ConvGeometry& g, T* taps) {
  const int64_t taps_count = g.kernel_numel(), rows = g.channels / g.groups;
  const int64_t matrix = g.out_channels * rows;
  for (int64_t oc = 0; oc < g.out_channels; ++oc) {
    for (int64_t c = 0; c < rows; ++c) {
      const T* src = weight + (oc * rows + c) * taps_count;
      for (int64_t tap = 0; tap < taps_count; ++tap) taps[tap * matrix + oc * rows + c] = src[tap];
    }
  }
}

template <typename T>
void adjoint_by_taps(const T* dy, const T* taps, const T* bias, const ConvGeometry& g,
                     T* scratch, T* dx) {
  const PaddedGrid grid(g);
  const int64_t channels = g.channels / g.groups, filters = g.out_channels / g.groups;
  const int64_t matrix = g.out_channels * channels;
  T* padded = scratch;
  T* wide = scratch + g.channels * grid.plane;
  widen(dy, g, grid, wide);

  // Tap 0 shifts by nothing and writes [0, Lw) of every channel; the rest of
  // the grid starts at zero for the other taps to add onto.
  for (int64_t channel = 0; channel < g.channels; ++channel) {
    T* plane = padded + channel * grid.plane;
    std::fill(plane + grid.span, plane + grid.plane, T(0));
  }
  for (int64_t tap = 0; tap < g.kernel_numel(); ++tap) {
    const int64_t offset = grid.offset(g, tap);
    const T beta = tap == 0 ? T(0) : T(1);
    for (int64_t group = 0; group < g.groups; ++group) {
      gemm<T>(true, false, channels, grid.span, filters, T(1),
              taps + tap * matrix + group * filters * channels, channels,
              wide + group * filters * grid.span, grid.span, beta,
              padded + group * channels * grid.plane + offset, grid.plane);
    }
  }

  unpad(padded, bias, g, grid, dx);
}

#define EMBER_INSTANTIATE_CONV_TAPS(T)                                                      \
  template void pack_weight_taps<T>(const T*, const ConvGeometry&, T*);                     \
  template void adjoint_by_taps<T>(const T*, const T*, const T*, const ConvGeometry&, T*, \
                                   T*);

EMBER_INSTANTIATE_CONV_TAPS(float)
EMBER_INSTANTIATE_CONV_TAPS(double)

#undef EMBER_INSTANTIATE_CONV_TAPS

}  // namespace ember::detail
