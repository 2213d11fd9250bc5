// Normalization ops: one fused forward and one fused backward kernel each.
//
// Layout legend. batch_norm, group_norm and instance_norm view their
// (contiguous) input as x: [N, C, S], S the product of the trailing dims; a
// row is x[n, c, :], S contiguous elements, numbered r = n * C + c.
// Statistics belong to cells made of rows:
//   batch_norm       one cell per channel c: rows c, C + c, 2C + c, ...
//   group_norm       one cell per (n, group): C / G consecutive rows
//   instance_norm    one cell per row (groups of one channel)
// layer_norm views its input as [R, D]: each row is its own cell, and the
// affine runs along D instead of per channel.
//
// Forward, in two parallel passes:
//   1. each row's mean and M2 (sum of squared deviations), two-pass in double
//      while the row sits in L1; then each cell's mean and biased variance
//      from its rows by the law of total variance, rows in order (samples in
//      the outer loop, so the row results are read in memory order).
//      batch_norm of [N, C] (rows of one element) sums columns directly.
//   2. y = (x - mean) * (invstd * weight) + bias, with the constants worked
//      out once per channel (or per row) beforehand.
// Backward, again two passes:
//   1. per row (or column), sum(g) and sum(g * (x - mean)) in double; from
//      those the weight and bias gradients per channel and two projections
//      per cell;
//   2. gx = (invstd * weight) * g + b * (x - mean) + c, where b and c (zero
//      for fixed statistics) carry the dependence of mean and variance on x.
// Every sum has a fixed order that depends only on the sizes, so results are
// bitwise identical for any thread count.

#include "ops/normalization.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/profile_counts.h"

namespace ember {
namespace {

using Stats = std::vector<double>;
using SharedStats = std::shared_ptr<const Stats>;

// ---- row sums in double ----

// Two vector accumulators of doubles; float rows are widened as they load.
// Each sum runs in one fixed order, whatever the thread that computes it.
using DoubleBatch = xsimd::batch<double>;
constexpr int64_t kWidth = static_cast<int64_t>(DoubleBatch::size);
constexpr int64_t kStep = 2 * kWidth;

template <typename T>
DoubleBatch load_double(const T* x) {
  return DoubleBatch::load_unaligned(x);
}

template <typename T>
double row_sum(const T* x, int64_t n) {
  DoubleBatch a0(0.0);
  DoubleBatch a1(0.0);
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    a0 += load_double(x + i);
    a1 += load_double(x + i + kWidth);
  }
  double total = xsimd::hadd(a0 + a1);
  for (; i < n; ++i) total += static_cast<double>(x[i]);
  return total;
}

struct Moments {
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from the mean
};

// Two passes, n >= 1: the mean, then deviations from it. The second pass
// also sums the deviations, which corrects the rounding of the first mean.
template <typename T>
Moments row_moments(const T* x, int64_t n) {
  const double shift = row_sum(x, n) / static_cast<double>(n);
  const DoubleBatch shift_v(shift);
  DoubleBatch s1a(0.0), s1b(0.0), s2a(0.0), s2b(0.0);
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    const DoubleBatch da = load_double(x + i) - shift_v;
    const DoubleBatch db = load_double(x + i + kWidth) - shift_v;
    s1a += da;
    s1b += db;
    s2a = xsimd::fma(da, da, s2a);
    s2b = xsimd::fma(db, db, s2b);
  }
  double d1 = xsimd::hadd(s1a + s1b);
  double d2 = xsimd::hadd(s2a + s2b);
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    d1 += d;
    d2 += d * d;
  }
  const double count = static_cast<double>(n);
  return {shift + d1 / count, std::max(0.0, d2 - d1 * d1 / count)};
}

struct GradSums {
  double g = 0;         // sum(g)
  double centered = 0;  // sum(g * (x - mean))
};

// With w given, g is weighted elementwise first (layer_norm's gh = g * w).
template <typename T>
GradSums row_grad_sums(const T* g, const T* x, int64_t n, double mean, const T* w = nullptr) {
  const DoubleBatch mean_v(mean);
  DoubleBatch sga(0.0), sgb(0.0), sca(0.0), scb(0.0);
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    DoubleBatch ga = load_double(g + i);
    DoubleBatch gb = load_double(g + i + kWidth);
    if (w != nullptr) {
      ga *= load_double(w + i);
      gb *= load_double(w + i + kWidth);
    }
    sga += ga;
    sgb += gb;
    sca = xsimd::fma(ga, load_double(x + i) - mean_v, sca);
    scb = xsimd::fma(gb, load_double(x + i + kWidth) - mean_v, scb);
  }
  GradSums sums{xsimd::hadd(sga + sgb), xsimd::hadd(sca + scb)};
  for (; i < n; ++i) {
    const double gi = static_cast<double>(g[i]) * (w != nullptr ? static_cast<double>(w[i]) : 1.0);
    sums.g += gi;
    sums.centered += gi * (static_cast<double>(x[i]) - mean);
  }
  return sums;
}

// Rows per task: about kElementwiseGrain elements, never less than one row.
int64_t row_grain(int64_t row_size) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(row_size, 1));
}

// ---- channel-wise ops: geometry ----

struct Dims {
  int64_t n = 0;
  int64_t c = 0;
  int64_t s = 1;

  int64_t rows() const { return n * c; }
};

// Which rows form each statistics cell (see the legend at the top).
struct Cells {
  int64_t count = 0;         // number of cells
  int64_t rows = 0;          // rows per cell
  bool per_channel = false;  // cell c holds rows c, C + c, ...; else consecutive rows
  int64_t channels = 0;
  int64_t group = 1;  // consecutive rows per cell when !per_channel

  int64_t cell_of(int64_t row) const { return per_channel ? row % channels : row / group; }
  int64_t row(int64_t cell, int64_t j) const {
    return per_channel ? j * channels + cell : cell * group + j;
  }
};

Cells channel_cells(const Dims& d) { return {d.c, d.n, true, d.c, 1}; }

Cells group_cells(const Dims& d, int64_t channels_per_group) {
  return {d.rows() / channels_per_group, channels_per_group, false, d.c, channels_per_group};
}

// ---- channel-wise ops: kernels ----

// Channels per task when a pass sweeps samples in the outer loop (so every
// read is in memory order): about kElementwiseGrain sums, and at least a few
// cache lines of channels.
int64_t channel_grain(int64_t samples) {
  return std::max<int64_t>(16, kElementwiseGrain / std::max<int64_t>(samples, 1));
}

// batch_norm of [N, C] (rows of one element): per-channel mean and biased
// variance straight from the columns, two passes in double.
template <typename T>
void column_statistics(const T* x, const Dims& d, Stats& mean, Stats& var) {
  parallel_for(0, d.c, channel_grain(d.n), [&](int64_t c0, int64_t c1) {
    const int64_t width = c1 - c0;
    std::vector<double> s1(static_cast<size_t>(width), 0.0);
    std::vector<double> s2(static_cast<size_t>(width), 0.0);
    double* m = mean.data() + c0;
    for (int64_t n = 0; n < d.n; ++n) {
      const T* row = x + n * d.c + c0;
      for (int64_t k = 0; k < width; ++k) m[k] += static_cast<double>(row[k]);
    }
    for (int64_t k = 0; k < width; ++k) m[k] /= static_cast<double>(d.n);

    for (int64_t n = 0; n < d.n; ++n) {
      const T* row = x + n * d.c + c0;
      for (int64_t k = 0; k < width; ++k) {
        const double dev = static_cast<double>(row[k]) - m[k];
        s1[k] += dev;
        s2[k] += dev * dev;
      }
    }
    const double count = static_cast<double>(d.n);
    for (int64_t k = 0; k < width; ++k) {
      var[c0 + k] = std::max(0.0, s2[k] - s1[k] * s1[k] / count) / count;
    }
  });
}

// Each cell's mean and biased variance. Rows have the same size S, so the
// cell mean is the mean of the row means, and its M2 is the rows' M2 plus S
// times the spread of the row means around it (law of total variance).
template <typename T>
void cell_statistics(const T* x, const Dims& d, const Cells& cells, Stats& mean, Stats& var) {
  mean.assign(static_cast<size_t>(cells.count), 0.0);
  var.assign(static_cast<size_t>(cells.count), 0.0);
  if (cells.per_channel && d.s == 1) {
    column_statistics(x, d, mean, var);
    return;
  }

  std::vector<Moments> rows(static_cast<size_t>(d.rows()));
  parallel_for(0, d.rows(), row_grain(2 * d.s), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) rows[r] = row_moments(x + r * d.s, d.s);
  });

  const double elements = static_cast<double>(cells.rows) * static_cast<double>(d.s);
  if (cells.per_channel) {
    // Cell c holds rows c, C + c, ...: samples in the outer loop.
    parallel_for(0, d.c, channel_grain(d.n), [&](int64_t c0, int64_t c1) {
      const int64_t width = c1 - c0;
      std::vector<double> m2(static_cast<size_t>(width), 0.0);
      std::vector<double> spread(static_cast<size_t>(width), 0.0);
      double* m = mean.data() + c0;
      for (int64_t n = 0; n < d.n; ++n) {
        const Moments* row = rows.data() + n * d.c + c0;
        for (int64_t k = 0; k < width; ++k) m[k] += row[k].mean;
      }
      for (int64_t k = 0; k < width; ++k) m[k] /= static_cast<double>(d.n);

      for (int64_t n = 0; n < d.n; ++n) {
        const Moments* row = rows.data() + n * d.c + c0;
        for (int64_t k = 0; k < width; ++k) {
          m2[k] += row[k].m2;
          spread[k] += (row[k].mean - m[k]) * (row[k].mean - m[k]);
        }
      }
      for (int64_t k = 0; k < width; ++k) {
        var[c0 + k] = (m2[k] + static_cast<double>(d.s) * spread[k]) / elements;
      }
    });
    return;
  }

  // Cell k holds the consecutive rows k * group, ...
  parallel_for(0, cells.count, row_grain(cells.rows), [&](int64_t begin, int64_t end) {
    for (int64_t cell = begin; cell < end; ++cell) {
      const Moments* row = rows.data() + cell * cells.group;
      double total = 0;
      for (int64_t j = 0; j < cells.rows; ++j) total += row[j].mean;
      const double m = total / static_cast<double>(cells.rows);

      double m2 = 0;
      double spread = 0;
      for (int64_t j = 0; j < cells.rows; ++j) {
        m2 += row[j].m2;
        spread += (row[j].mean - m) * (row[j].mean - m);
      }
      mean[cell] = m;
      var[cell] = (m2 + static_cast<double>(d.s) * spread) / elements;
    }
  });
}

Stats inverse_std(const Stats& var, double eps) {
  Stats invstd(var.size());
  for (size_t k = 0; k < var.size(); ++k) invstd[k] = 1.0 / std::sqrt(var[k] + eps);
  return invstd;
}

// Per-row constants of an affine pass out = p * in + q * (x - mu) + r, kept
// once per channel when every row of a channel shares its cell (batch norm
// and fixed statistics), else once per row.
template <typename T>
struct RowConstants {
  bool per_channel = false;
  std::vector<T> mu, p, q, r;

  explicit RowConstants(const Dims& d, bool per_channel_)
      : per_channel(per_channel_),
        mu(static_cast<size_t>(per_channel_ ? d.c : d.rows())),
        p(mu.size()),
        q(mu.size()),
        r(mu.size()) {}

  int64_t entries() const { return static_cast<int64_t>(mu.size()); }
};

// out = p * in + q * (x - mu) + r for every row, with the row's constants;
// without kHasIn (the forward) out = q * (x - mu) + r. Rows of one element
// run as [N, C] along the channels.
template <typename T, bool kHasIn>
void affine_rows(const T* in, const T* x, T* out, const Dims& d, const RowConstants<T>& k) {
  if (d.rows() == 0 || d.s == 0) return;
  if (d.s == 1) {
    const int64_t width = k.per_channel ? d.c : d.rows();
    parallel_for(0, d.rows() / width, row_grain(width), [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        const T* a = kHasIn ? in + n * width : nullptr;
        const T* b = x + n * width;
        T* o = out + n * width;
        for (int64_t c = 0; c < width; ++c) {
          T value = k.q[c] * (b[c] - k.mu[c]) + k.r[c];
          if constexpr (kHasIn) value += k.p[c] * a[c];
          o[c] = value;
        }
      }
    });
    return;
  }
  parallel_for(0, d.rows(), row_grain(d.s), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t e = k.per_channel ? row % d.c : row;
      const T p = k.p[e], q = k.q[e], r = k.r[e], mu = k.mu[e];
      const T* a = kHasIn ? in + row * d.s : nullptr;
      const T* b = x + row * d.s;
      T* o = out + row * d.s;
      if constexpr (kHasIn) {
        for (int64_t i = 0; i < d.s; ++i) o[i] = p * a[i] + q * (b[i] - mu) + r;
      } else {
        for (int64_t i = 0; i < d.s; ++i) o[i] = q * (b[i] - mu) + r;
      }
    }
  });
}

// y = (x - mean) * (invstd * weight) + bias with each row's cell statistics
// and channel parameters; weight and bias may be null.
template <typename T>
void normalize_rows(const T* x, T* y, const Dims& d, const Cells& cells, const Stats& mean,
                    const Stats& invstd, const T* weight, const T* bias) {
  RowConstants<T> k(d, cells.per_channel);
  for (int64_t e = 0; e < k.entries(); ++e) {
    const int64_t c = k.per_channel ? e : e % d.c;
    const int64_t cell = k.per_channel ? e : cells.cell_of(e);
    // mean = mu + (mean - mu): the part lost in rounding to T moves into
    // the shift, so x - mu stays exact even for a large offset.
    const T mu = static_cast<T>(mean[cell]);
    const double scale = invstd[cell] * (weight ? static_cast<double>(weight[c]) : 1.0);
    k.mu[e] = mu;
    k.q[e] = static_cast<T>(scale);
    k.r[e] = static_cast<T>((bias ? static_cast<double>(bias[c]) : 0.0) -
                            (mean[cell] - static_cast<double>(mu)) * scale);
  }
  affine_rows<T, false>(nullptr, x, y, d, k);
}

// Per channel, over the samples in order: sum(g), sum(g * (x - mean)) and
// the latter times each row's invstd (the weight gradient).
struct ChannelSums {
  Stats g;
  Stats centered;
  Stats weight_grad;
};

// Gradients of a channel-wise normalization. With batch statistics
// (batch_stats) the cell mean and variance depend on x, which adds the two
// projections of the closed form
//   gx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat)),  gh = g * weight,
// over the cell's elements; with fixed statistics gx = invstd * gh.
// weight may be null (no affine); gx, gw, gb are null where not wanted.
template <typename T>
void channel_norm_backward_kernel(const T* g, const T* x, const Dims& d, const Cells& cells,
                                  const Stats& mean, const Stats& invstd, const T* weight,
                                  bool batch_stats, T* gx, T* gw, T* gb) {
  ChannelSums sums{Stats(static_cast<size_t>(d.c), 0.0), Stats(static_cast<size_t>(d.c), 0.0),
                   Stats(static_cast<size_t>(d.c), 0.0)};
  std::vector<GradSums> rows;
  if (cells.per_channel && d.s == 1) {
    // [N, C]: straight from the columns.
    parallel_for(0, d.c, channel_grain(d.n), [&](int64_t c0, int64_t c1) {
      for (int64_t n = 0; n < d.n; ++n) {
        for (int64_t c = c0; c < c1; ++c) {
          const double gi = static_cast<double>(g[n * d.c + c]);
          sums.g[c] += gi;
          sums.centered[c] += gi * (static_cast<double>(x[n * d.c + c]) - mean[c]);
        }
      }
      for (int64_t c = c0; c < c1; ++c) sums.weight_grad[c] = sums.centered[c] * invstd[c];
    });
  } else {
    rows.resize(static_cast<size_t>(d.rows()));
    parallel_for(0, d.rows(), row_grain(2 * d.s), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        rows[r] = row_grad_sums(g + r * d.s, x + r * d.s, d.s, mean[cells.cell_of(r)]);
      }
    });
    parallel_for(0, d.c, channel_grain(d.n), [&](int64_t c0, int64_t c1) {
      for (int64_t n = 0; n < d.n; ++n) {
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t r = n * d.c + c;
          sums.g[c] += rows[r].g;
          sums.centered[c] += rows[r].centered;
          sums.weight_grad[c] += rows[r].centered * invstd[cells.cell_of(r)];
        }
      }
    });
  }
  for (int64_t c = 0; c < d.c; ++c) {
    if (gw != nullptr) gw[c] = static_cast<T>(sums.weight_grad[c]);
    if (gb != nullptr) gb[c] = static_cast<T>(sums.g[c]);
  }
  if (gx == nullptr) return;

  // Per cell: the sums of gh and gh * (x - mean) over its elements.
  auto w_of = [&](int64_t c) { return weight ? static_cast<double>(weight[c]) : 1.0; };
  Stats proj_x(static_cast<size_t>(cells.count), 0.0);
  Stats proj_1(static_cast<size_t>(cells.count), 0.0);
  if (batch_stats) {
    const double elements = static_cast<double>(cells.rows) * static_cast<double>(d.s);
    for (int64_t cell = 0; cell < cells.count; ++cell) {
      double sum_gh = 0;
      double sum_gh_centered = 0;
      if (cells.per_channel) {
        sum_gh = w_of(cell) * sums.g[cell];
        sum_gh_centered = w_of(cell) * sums.centered[cell];
      } else {
        for (int64_t j = 0; j < cells.rows; ++j) {
          const int64_t r = cells.row(cell, j);
          sum_gh += w_of(r % d.c) * rows[r].g;
          sum_gh_centered += w_of(r % d.c) * rows[r].centered;
        }
      }
      const double rs = invstd[cell];
      proj_x[cell] = -rs * rs * rs * sum_gh_centered / elements;
      proj_1[cell] = -rs * sum_gh / elements;
    }
  }

  RowConstants<T> k(d, cells.per_channel);
  for (int64_t e = 0; e < k.entries(); ++e) {
    const int64_t cell = k.per_channel ? e : cells.cell_of(e);
    // As in the forward, the rounding of mu to T is carried by r.
    const T mu = static_cast<T>(mean[cell]);
    k.mu[e] = mu;
    k.p[e] = static_cast<T>(invstd[cell] * w_of(k.per_channel ? e : e % d.c));
    k.q[e] = static_cast<T>(proj_x[cell]);
    k.r[e] = static_cast<T>(proj_1[cell] + proj_x[cell] * (static_cast<double>(mu) - mean[cell]));
  }
  affine_rows<T, true>(g, x, gx, d, k);
}

// ---- shared checks and helpers ----

Dims channel_dims(const Tensor& input, const char* op) {
  EMBER_CHECK(input.dim() >= 2, op, ": expected an input of at least 2 dims [N, C, ...], got ",
              input.shape());
  Dims d{input.size(0), input.size(1), 1};
  for (int64_t k = 2; k < input.dim(); ++k) d.s *= input.size(k);
  return d;
}

void check_channel_param(const Tensor& param, const char* name, const Tensor& input,
                         int64_t channels, const char* op) {
  if (!param.defined()) return;
  EMBER_CHECK(param.numel() == channels, op, ": ", name, " should contain ", channels,
              " elements not ", param.numel(), " (one per channel of input ", input.shape(),
              ")");
  EMBER_CHECK(param.dtype() == input.dtype(), op, ": ", name, " has dtype ",
              dtype_name(param.dtype()), " but input has ", dtype_name(input.dtype()),
              "; convert one with .to()");
}

// The values of t, contiguous, without recording a graph; undefined stays so.
Tensor contiguous_values(const Tensor& t) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  return t.contiguous();
}

// Element stride of a running statistic written in place (numel C).
int64_t stat_stride(const Tensor& stat, const char* name, const char* op) {
  if (stat.is_contiguous()) return 1;
  EMBER_CHECK(stat.dim() == 1, op, ": ", name, " must be 1-D or contiguous to be updated in ",
              "place, got shape ", stat.shape(), " with strides ", stat.strides());
  return stat.stride(0);
}

template <typename T>
Stats read_stat(const Tensor& stat) {
  Tensor values = contiguous_values(stat);
  const T* p = values.data_ptr<T>();
  return Stats(p, p + values.numel());
}

// stat = (1 - factor) * stat + factor * batch_value, in double, in place.
template <typename T>
void update_running(const Tensor& stat, const Stats& batch_values, double factor,
                    const char* name, const char* op) {
  if (!stat.defined()) return;
  check_inplace(stat, op);
  const int64_t stride = stat_stride(stat, name, op);
  T* p = stat.data_ptr<T>();
  for (size_t c = 0; c < batch_values.size(); ++c) {
    T& value = p[static_cast<int64_t>(c) * stride];
    value = static_cast<T>(factor * batch_values[c] + (1.0 - factor) * static_cast<double>(value));
  }
  stat.storage()->bump_version();
}

// The running-average factor of a batch_norm training call; adds one to
// num_batches_tracked when it is given.
double running_factor(std::optional<double> momentum, const Tensor& num_batches_tracked) {
  int64_t batches = 0;
  if (num_batches_tracked.defined()) {
    EMBER_CHECK(num_batches_tracked.numel() == 1 && num_batches_tracked.dtype() == kInt64,
                "batch_norm: num_batches_tracked must be an int64 tensor of one element, got ",
                dtype_name(num_batches_tracked.dtype()), " ", num_batches_tracked.shape());
    check_inplace(num_batches_tracked, "batch_norm");
    batches = ++*num_batches_tracked.data_ptr<int64_t>();
    num_batches_tracked.storage()->bump_version();
  }
  if (momentum.has_value()) return *momentum;
  EMBER_CHECK(num_batches_tracked.defined(), "batch_norm: momentum = nullopt (a cumulative ",
              "moving average) needs num_batches_tracked; pass the module's int64 counter");
  return 1.0 / static_cast<double>(batches);
}

// What a channel-wise op leaves for its backward.
struct ChannelNormState {
  Dims dims;
  Cells cells;
  SharedStats mean;
  SharedStats invstd;
  bool batch_stats = true;
  bool need_input = false;
  bool need_weight = false;
  bool need_bias = false;
  Shape weight_shape;
  Shape bias_shape;
};

TensorList channel_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                                 const ChannelNormState& s, const char* op) {
  Tensor g = contiguous_values(grad);
  Tensor gx = s.need_input ? empty(x.shape(), x.dtype()) : Tensor();
  Tensor gw = s.need_weight ? empty(s.weight_shape, x.dtype()) : Tensor();
  Tensor gb = s.need_bias ? empty(s.bias_shape, x.dtype()) : Tensor();
  detail::count_bytes(g, x, weight, gx, gw, gb);
  EMBER_DISPATCH_FLOATING(x.dtype(), op, [&] {
    auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<scalar_t>() : nullptr; };
    channel_norm_backward_kernel<scalar_t>(g.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(),
                                           s.dims, s.cells, *s.mean, *s.invstd, ptr(weight),
                                           s.batch_stats, ptr(gx), ptr(gw), ptr(gb));
  });
  return {gx, gw, gb};
}

// Normalizes x (contiguous) with the given statistics per cell and records
// the backward when input, weight or bias requires grad.
Tensor channel_norm_finish(const Tensor& input, const Tensor& x, const Tensor& weight,
                           const Tensor& bias, ChannelNormState state, const char* op,
                           const char* node_name) {
  Tensor w = contiguous_values(weight);
  Tensor b = contiguous_values(bias);
  Tensor out = empty(input.shape(), input.dtype());
  // Limitation: the profiler sees this pass only (x, affine, y), not the
  // statistics pass that read x before it.
  detail::count_bytes(x, w, b, out);
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<scalar_t>() : nullptr; };
    normalize_rows<scalar_t>(x.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), state.dims,
                             state.cells, *state.mean, *state.invstd, ptr(w), ptr(b));
  });

  if (!any_requires_grad({&input, &weight, &bias})) return out;
  state.need_input = input.requires_grad();
  state.need_weight = weight.defined() && weight.requires_grad();
  state.need_bias = bias.defined() && bias.requires_grad();
  state.weight_shape = weight.defined() ? weight.shape() : Shape{};
  state.bias_shape = bias.defined() ? bias.shape() : Shape{};
  SavedTensor saved_x(x);
  SavedTensor saved_w(w);
  return record_op(node_name, out, {input, weight, bias},
                   [saved_x, saved_w, state, node_name](const TensorList& grads) {
                     return channel_norm_backward(grads[0], saved_x.unpack(node_name),
                                                  saved_w.unpack(node_name), state, node_name);
                   });
}

// Batch statistics of x per cell: fills state.mean / state.invstd and
// returns the biased variances (zeros for an empty input).
Stats compute_statistics(const Tensor& x, ChannelNormState& state, double eps, const char* op) {
  Stats mean(static_cast<size_t>(state.cells.count), 0.0);
  Stats var(static_cast<size_t>(state.cells.count), 0.0);
  if (x.numel() > 0) {
    EMBER_DISPATCH_FLOATING(x.dtype(), op, [&] {
      cell_statistics<scalar_t>(x.data_ptr<scalar_t>(), state.dims, state.cells, mean, var);
    });
  }
  state.invstd = std::make_shared<const Stats>(inverse_std(var, eps));
  state.mean = std::make_shared<const Stats>(std::move(mean));
  return var;
}

// Running statistics as the per-channel cells of state.
void use_running_statistics(const Tensor& running_mean, const Tensor& running_var,
                            ChannelNormState& state, double eps, const char* op) {
  EMBER_DISPATCH_FLOATING(running_mean.dtype(), op, [&] {
    state.mean = std::make_shared<const Stats>(read_stat<scalar_t>(running_mean));
    Stats var = read_stat<scalar_t>(running_var);
    state.invstd = std::make_shared<const Stats>(inverse_std(var, eps));
  });
  state.batch_stats = false;
}

// ---- layer_norm kernels: x viewed as [R, D] ----

// y = ((x - mu) * rs + lost) * w + b, where lost = (mu - mean) * rs carries
// the rounding of the mean to T.
template <typename T, bool kWeight, bool kBias>
void layer_norm_row(const T* x, T* y, int64_t n, T mu, T rs, T lost, const T* w, const T* b) {
  for (int64_t i = 0; i < n; ++i) {
    T v = (x[i] - mu) * rs + lost;
    if constexpr (kWeight) v *= w[i];
    if constexpr (kBias) v += b[i];
    y[i] = v;
  }
}

template <typename T>
void layer_norm_forward_kernel(const T* x, T* y, int64_t rows, int64_t n, const T* w,
                               const T* b, double eps, Stats& mean, Stats& invstd) {
  parallel_for(0, rows, row_grain(3 * n), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const Moments m = row_moments(x + r * n, n);
      mean[r] = m.mean;
      invstd[r] = 1.0 / std::sqrt(m.m2 / static_cast<double>(n) + eps);
      const T mu = static_cast<T>(mean[r]);
      const T rs = static_cast<T>(invstd[r]);
      const T lost = static_cast<T>((static_cast<double>(mu) - mean[r]) * invstd[r]);
      const T* xr = x + r * n;
      T* yr = y + r * n;
      if (w && b) {
        layer_norm_row<T, true, true>(xr, yr, n, mu, rs, lost, w, b);
      } else if (w) {
        layer_norm_row<T, true, false>(xr, yr, n, mu, rs, lost, w, b);
      } else if (b) {
        layer_norm_row<T, false, true>(xr, yr, n, mu, rs, lost, w, b);
      } else {
        layer_norm_row<T, false, false>(xr, yr, n, mu, rs, lost, w, b);
      }
    }
  });
}

// Most partial sums per weight element: the weight and bias gradients add
// rows in up to this many fixed chunks, combined in chunk order.
constexpr int64_t kMaxChunks = 64;

// One row of the layer_norm backward: gx for the row (when wanted) and the
// row's terms of the weight / bias gradients added to part_w / part_b.
template <typename T>
void layer_norm_backward_row(const T* g, const T* x, int64_t n, const T* w, double mu,
                             double rs, T* gx, double* part_w, double* part_b) {
  if (gx != nullptr) {
    const GradSums sums = row_grad_sums(g, x, n, mu, w);
    const double sum_gh = sums.g;
    const double sum_gh_centered = sums.centered;

    const double count = static_cast<double>(n);
    const T a = static_cast<T>(rs);
    const double proj_x = -rs * rs * rs * sum_gh_centered / count;
    const T mu_t = static_cast<T>(mu);
    const T b = static_cast<T>(proj_x);
    const T c = static_cast<T>(-rs * sum_gh / count + proj_x * (static_cast<double>(mu_t) - mu));
    if (w != nullptr) {
      for (int64_t k = 0; k < n; ++k) gx[k] = a * (g[k] * w[k]) + b * (x[k] - mu_t) + c;
    } else {
      for (int64_t k = 0; k < n; ++k) gx[k] = a * g[k] + b * (x[k] - mu_t) + c;
    }
  }
  if (part_w != nullptr) {
    for (int64_t k = 0; k < n; ++k) {
      part_w[k] += static_cast<double>(g[k]) * ((static_cast<double>(x[k]) - mu) * rs);
    }
  }
  if (part_b != nullptr) {
    for (int64_t k = 0; k < n; ++k) part_b[k] += static_cast<double>(g[k]);
  }
}

// Rows run in fixed chunks (their number depends only on the sizes); each
// chunk keeps its own double partials of the weight and bias gradients, so
// the combined sums are the same for any thread count. A chunk holds at
// least 4 rows, which bounds the partials by the input's size.
// Limitation: with weight gradients and fewer than 8 rows, one thread does it all.
template <typename T>
void layer_norm_backward_kernel(const T* g, const T* x, int64_t rows, int64_t n, const T* w,
                                const Stats& mean, const Stats& invstd, T* gx, T* gw, T* gb) {
  if (rows == 0) return;
  const bool affine = gw != nullptr || gb != nullptr;
  const int64_t chunks = affine ? std::clamp<int64_t>(rows / 4, 1, kMaxChunks) : rows;
  const int64_t per_chunk = (rows + chunks - 1) / chunks;
  std::vector<double> part_w(gw != nullptr ? static_cast<size_t>(chunks * n) : 0, 0.0);
  std::vector<double> part_b(gb != nullptr ? static_cast<size_t>(chunks * n) : 0, 0.0);

  const int64_t grain = std::max<int64_t>(1, row_grain(3 * n) / per_chunk);
  parallel_for(0, chunks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      double* pw = gw != nullptr ? part_w.data() + chunk * n : nullptr;
      double* pb = gb != nullptr ? part_b.data() + chunk * n : nullptr;
      const int64_t last = std::min(rows, (chunk + 1) * per_chunk);
      for (int64_t r = chunk * per_chunk; r < last; ++r) {
        layer_norm_backward_row(g + r * n, x + r * n, n, w, mean[r], invstd[r],
                                gx != nullptr ? gx + r * n : nullptr, pw, pb);
      }
    }
  });
  if (!affine) return;

  parallel_for(0, n, kElementwiseGrain / kMaxChunks, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      double sum_w = 0;
      double sum_b = 0;
      for (int64_t chunk = 0; chunk < chunks; ++chunk) {
        if (gw != nullptr) sum_w += part_w[chunk * n + k];
        if (gb != nullptr) sum_b += part_b[chunk * n + k];
      }
      if (gw != nullptr) gw[k] = static_cast<T>(sum_w);
      if (gb != nullptr) gb[k] = static_cast<T>(sum_b);
    }
  });
}

}  // namespace

// ---- ops ----

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training,
                  std::optional<double> momentum, double eps,
                  const Tensor& num_batches_tracked) {
  const char* op = "batch_norm";
  EMBER_PROFILE_OP(op, input, weight, bias);
  const Dims d = channel_dims(input, op);
  check_channel_param(running_mean, "running_mean", input, d.c, op);
  check_channel_param(running_var, "running_var", input, d.c, op);
  check_channel_param(weight, "weight", input, d.c, op);
  check_channel_param(bias, "bias", input, d.c, op);
  if (training) {
    EMBER_CHECK(d.n * d.s != 1, "batch_norm: Expected more than 1 value per channel when ",
                "training, got input size ", input.shape());
  } else {
    EMBER_CHECK(running_mean.defined() && running_var.defined(),
                "batch_norm: running_mean and running_var must be defined in evaluation mode; ",
                "pass training = true to normalize with batch statistics");
  }

  ChannelNormState state;
  state.dims = d;
  state.cells = channel_cells(d);
  Tensor x = contiguous_values(input);
  if (!training) {
    use_running_statistics(running_mean, running_var, state, eps, op);
    return channel_norm_finish(input, x, weight, bias, state, op, "BatchNormBackward");
  }

  Stats var = compute_statistics(x, state, eps, op);
  if (running_mean.defined() || running_var.defined()) {
    const double factor = running_factor(momentum, num_batches_tracked);
    // An empty batch leaves the statistics alone, as PyTorch.
    if (x.numel() > 0) {
      const double elements = static_cast<double>(d.n * d.s);
      for (double& v : var) v *= elements / (elements - 1.0);
      NoGradGuard no_grad;
      EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
        update_running<scalar_t>(running_mean, *state.mean, factor, "running_mean", op);
        update_running<scalar_t>(running_var, var, factor, "running_var", op);
      });
    }
  }
  return channel_norm_finish(input, x, weight, bias, state, op, "BatchNormBackward");
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const char* op = "group_norm";
  EMBER_PROFILE_OP(op, input, weight, bias);
  const Dims d = channel_dims(input, op);
  EMBER_CHECK(num_groups >= 1 && d.c % num_groups == 0, "group_norm: expected the number of ",
              "channels in input to be divisible by num_groups, but got input of shape ",
              input.shape(), " and num_groups=", num_groups);
  check_channel_param(weight, "weight", input, d.c, op);
  check_channel_param(bias, "bias", input, d.c, op);

  ChannelNormState state;
  state.dims = d;
  state.cells = group_cells(d, std::max<int64_t>(1, d.c / num_groups));
  Tensor x = contiguous_values(input);
  compute_statistics(x, state, eps, op);
  return channel_norm_finish(input, x, weight, bias, state, op, "GroupNormBackward");
}

Tensor instance_norm(const Tensor& input, const Tensor& running_mean,
                     const Tensor& running_var, const Tensor& weight, const Tensor& bias,
                     bool use_input_stats, double momentum, double eps) {
  const char* op = "instance_norm";
  EMBER_PROFILE_OP(op, input, weight, bias);
  const Dims d = channel_dims(input, op);
  check_channel_param(running_mean, "running_mean", input, d.c, op);
  check_channel_param(running_var, "running_var", input, d.c, op);
  check_channel_param(weight, "weight", input, d.c, op);
  check_channel_param(bias, "bias", input, d.c, op);

  ChannelNormState state;
  state.dims = d;
  Tensor x = contiguous_values(input);
  if (!use_input_stats) {
    EMBER_CHECK(running_mean.defined() && running_var.defined(), "instance_norm: Expected ",
                "running_mean and running_var to be defined when use_input_stats is false");
    state.cells = channel_cells(d);
    use_running_statistics(running_mean, running_var, state, eps, op);
    return channel_norm_finish(input, x, weight, bias, state, op, "InstanceNormBackward");
  }

  EMBER_CHECK(d.s != 1, "instance_norm: Expected more than 1 spatial element when training, ",
              "got input size ", input.shape());
  state.cells = group_cells(d, 1);
  Stats var = compute_statistics(x, state, eps, op);

  // Running statistics move towards the instance statistics averaged over
  // the batch (unbiased variances), as torch.instance_norm.
  if ((running_mean.defined() || running_var.defined()) && x.numel() > 0) {
    Stats batch_mean(static_cast<size_t>(d.c), 0.0);
    Stats batch_var(static_cast<size_t>(d.c), 0.0);
    const double unbias = static_cast<double>(d.s) / static_cast<double>(d.s - 1);
    for (int64_t c = 0; c < d.c; ++c) {
      for (int64_t n = 0; n < d.n; ++n) {
        batch_mean[c] += (*state.mean)[n * d.c + c];
        batch_var[c] += var[n * d.c + c] * unbias;
      }
      batch_mean[c] /= static_cast<double>(d.n);
      batch_var[c] /= static_cast<double>(d.n);
    }
    NoGradGuard no_grad;
    EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
      update_running<scalar_t>(running_mean, batch_mean, momentum, "running_mean", op);
      update_running<scalar_t>(running_var, batch_var, momentum, "running_var", op);
    });
  }
  return channel_norm_finish(input, x, weight, bias, state, op, "InstanceNormBackward");
}

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  EMBER_PROFILE_OP("layer_norm", input, weight, bias);
  const char* node_name = "LayerNormBackward";
  const auto k = static_cast<int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1, "layer_norm: Expected normalized_shape to be at least 1-dimensional, ",
              "i.e., containing at least one element, but got normalized_shape = ",
              normalized_shape);
  const Shape& shape = input.shape();
  EMBER_CHECK(input.dim() >= k && Shape(shape.end() - k, shape.end()) == normalized_shape,
              "layer_norm: Given normalized_shape=", normalized_shape,
              ", expected input with shape [*, ", format_shape(normalized_shape).substr(1),
              ", but got input of size ", shape);
  for (const Tensor* param : {&weight, &bias}) {
    if (!param->defined()) continue;
    const char* name = param == &weight ? "weight" : "bias";
    EMBER_CHECK(param->shape() == normalized_shape, "layer_norm: Expected ", name,
                " to be of same shape as normalized_shape, but got ", name, " of shape ",
                param->shape(), " and normalized_shape = ", normalized_shape);
    EMBER_CHECK(param->dtype() == input.dtype(), "layer_norm: ", name, " has dtype ",
                dtype_name(param->dtype()), " but input has ", dtype_name(input.dtype()),
                "; convert one with .to()");
  }

  const int64_t n = shape_numel(normalized_shape);
  int64_t rows = 1;
  for (int64_t dim = 0; dim < input.dim() - k; ++dim) rows *= shape[dim];
  Tensor x = contiguous_values(input);
  Tensor w = contiguous_values(weight);
  Tensor b = contiguous_values(bias);
  Tensor out = empty(shape, input.dtype());
  auto mean = std::make_shared<Stats>(static_cast<size_t>(rows), 0.0);
  auto invstd = std::make_shared<Stats>(static_cast<size_t>(rows), 0.0);
  detail::count_bytes(x, w, b, out);
  if (n > 0) {
    EMBER_DISPATCH_FLOATING(input.dtype(), "layer_norm", [&] {
      auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<scalar_t>() : nullptr; };
      layer_norm_forward_kernel<scalar_t>(x.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                                          rows, n, ptr(w), ptr(b), eps, *mean, *invstd);
    });
  }

  if (!any_requires_grad({&input, &weight, &bias})) return out;
  const bool need_x = input.requires_grad();
  const bool need_w = weight.defined() && weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  SavedTensor saved_x(x);
  SavedTensor saved_w(w);
  SharedStats saved_mean = mean;
  SharedStats saved_invstd = invstd;
  return record_op(
      node_name, out, {input, weight, bias},
      [=](const TensorList& grads) -> TensorList {
        const Tensor& xs = saved_x.unpack(node_name);
        const Tensor& ws = saved_w.unpack(node_name);
        Tensor g = contiguous_values(grads[0]);
        Tensor gx = need_x ? empty(xs.shape(), xs.dtype()) : Tensor();
        Tensor gw = need_w ? zeros(normalized_shape, xs.dtype()) : Tensor();
        Tensor gb = need_b ? zeros(normalized_shape, xs.dtype()) : Tensor();
        if (n == 0) return {gx, gw, gb};
        detail::count_bytes(g, xs, ws, gx, gw, gb);
        EMBER_DISPATCH_FLOATING(xs.dtype(), "layer_norm", [&] {
          auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<scalar_t>() : nullptr; };
          layer_norm_backward_kernel<scalar_t>(g.data_ptr<scalar_t>(), xs.data_ptr<scalar_t>(),
                                               rows, n, ptr(ws), *saved_mean, *saved_invstd,
                                               ptr(gx), ptr(gw), ptr(gb));
        });
        return {gx, gw, gb};
      });
}

}  // namespace ember
