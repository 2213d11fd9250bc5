// Dropout: masks from counter-based Philox words, applied in one fused pass.
//
// Mask unit i (an element, or a channel for the feature variants) is kept
// when word i % 4 of Philox block (first + i / 4) is at most `limit`,
// (1 - p) * 2^32 - 1. Elementwise dropout draws and applies its mask block by
// block (kBlock elements, so the mask bytes are still in L1 when applied);
// the feature variants draw their few mask bytes first, then scale channels.
//
// The Philox rounds run eight counters at once in AVX2 registers (the build
// baseline, see CMakeLists.txt); Generator::block gives the same words one
// counter at a time, which the tail of a range uses and the tests compare.

#include "ops/dropout.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <string>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/log.h"
#include "framework/parallel.h"
#include "framework/profiler.h"
#include "ops/detail/profile_counts.h"

namespace ember {
namespace {

// SELU's scale * alpha, the constant PyTorch's alpha_dropout uses.
constexpr double kSeluAlpha = 1.7580993408473766;

// Elements per block of the fused pass: a multiple of 128 (one call of
// philox_words), small enough that its mask bytes and values stay in L1.
constexpr int64_t kBlock = 1024;

// Drawing costs about as much as moving the bytes, so a task gets half the
// usual elementwise grain.
constexpr int64_t kDropoutGrain = kElementwiseGrain / 2;

struct MaskSource {
  const Generator* generator = nullptr;
  uint64_t first = 0;  // the first counter reserved by this call
  uint32_t limit = 0;  // keep when word <= limit
};

#if defined(__AVX2__)
// Counters per call of philox_words: four independent vectors of eight, so
// the multiply latency of one round overlaps the others (about 4x the
// throughput of a single vector).
constexpr int kStreams = 4;
constexpr int64_t kCountersPerCall = 8 * kStreams;

// High and low 32 bits of a[j] * k[j] for eight uint32 lanes.
inline void mul_hi_lo(__m256i a, __m256i k, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, k);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), k);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

// Philox's key schedule for one seed, broadcast to every lane.
struct RoundKeys {
  __m256i k0[10];
  __m256i k1[10];

  explicit RoundKeys(uint64_t seed) {
    auto low = static_cast<uint32_t>(seed);
    auto high = static_cast<uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      k0[round] = _mm256_set1_epi32(static_cast<int>(low));
      k1[round] = _mm256_set1_epi32(static_cast<int>(high));
      low += 0x9E3779B9u;
      high += 0xBB67AE85u;
    }
  }
};

// Writes the four word vectors of eight counters in element order:
// words[4 * j + w] is word w of counter j.
inline void store_transposed(__m256i c0, __m256i c1, __m256i c2, __m256i c3, uint32_t* words) {
  const __m256i t0 = _mm256_unpacklo_epi32(c0, c1);
  const __m256i t1 = _mm256_unpacklo_epi32(c2, c3);
  const __m256i t2 = _mm256_unpackhi_epi32(c0, c1);
  const __m256i t3 = _mm256_unpackhi_epi32(c2, c3);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t1);  // counters 0 | 4
  const __m256i u1 = _mm256_unpackhi_epi64(t0, t1);  // counters 1 | 5
  const __m256i u2 = _mm256_unpacklo_epi64(t2, t3);  // counters 2 | 6
  const __m256i u3 = _mm256_unpackhi_epi64(t2, t3);  // counters 3 | 7
  auto* out = reinterpret_cast<__m256i*>(words);
  _mm256_storeu_si256(out, _mm256_permute2x128_si256(u0, u1, 0x20));
  _mm256_storeu_si256(out + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
  _mm256_storeu_si256(out + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
  _mm256_storeu_si256(out + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
}

// Philox4x32-10 of counters counter .. counter + 31, as Generator::block
// computes it (128-bit counter, upper 64 bits zero): words[4 * j + w] is
// word w of counter + j, i.e. element order.
void philox_words(uint64_t counter, const RoundKeys& keys, uint32_t* words) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i sign = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  const __m256i mul0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i mul1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  __m256i c0[kStreams], c1[kStreams], c2[kStreams], c3[kStreams];
  for (int s = 0; s < kStreams; ++s) {
    const uint64_t first = counter + 8 * static_cast<uint64_t>(s);
    const __m256i base = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(first)));
    c0[s] = _mm256_add_epi32(base, lane);
    // Where the low word wrapped (now below the base), carry into c1.
    const __m256i carry = _mm256_cmpgt_epi32(_mm256_xor_si256(base, sign),
                                             _mm256_xor_si256(c0[s], sign));
    c1[s] = _mm256_sub_epi32(
        _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(first >> 32))), carry);
    c2[s] = _mm256_setzero_si256();
    c3[s] = _mm256_setzero_si256();
  }

  for (int round = 0; round < 10; ++round) {
    for (int s = 0; s < kStreams; ++s) {
      __m256i hi0, lo0, hi1, lo1;
      mul_hi_lo(c0[s], mul0, hi0, lo0);
      mul_hi_lo(c2[s], mul1, hi1, lo1);
      c0[s] = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[s]), keys.k0[round]);
      c2[s] = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[s]), keys.k1[round]);
      c1[s] = lo1;
      c3[s] = lo0;
    }
  }

  for (int s = 0; s < kStreams; ++s) store_transposed(c0[s], c1[s], c2[s], c3[s], words + 32 * s);
}
#endif

// keep[i] for mask units i in [begin, end); begin is a multiple of 4.
void fill_keep(uint8_t* keep, int64_t begin, int64_t end, const MaskSource& source) {
  int64_t i = begin;
#if defined(__AVX2__)
  constexpr int64_t kUnits = 4 * kCountersPerCall;
  if (end - begin >= kUnits) {
    const RoundKeys keys(source.generator->seed());
    alignas(32) uint32_t words[kUnits];
    for (; i + kUnits <= end; i += kUnits) {
      philox_words(source.first + static_cast<uint64_t>(i / 4), keys, words);
      for (int64_t k = 0; k < kUnits; ++k) keep[i + k] = words[k] <= source.limit;
    }
  }
#endif
  for (; i < end; i += 4) {
    const auto words = source.generator->block(source.first + static_cast<uint64_t>(i / 4));
    for (int64_t k = 0; k < 4 && i + k < end; ++k) keep[i + k] = words[k] <= source.limit;
  }
}

// What a kept or dropped unit becomes: x * (keep * scale) + shift.
template <typename T>
struct Coefficients {
  T scale = T(1);
  T kept_shift = T(0);     // alpha dropout only
  T dropped_shift = T(0);  // alpha dropout only
};

// The constants in T, rounded where PyTorch rounds them.
template <typename T>
Coefficients<T> coefficients(double p, bool alpha) {
  if (!alpha) return {T(1) / static_cast<T>(1.0 - p)};
  const double a = 1.0 / std::sqrt((kSeluAlpha * kSeluAlpha * p + 1.0) * (1.0 - p));
  const T alpha_a = static_cast<T>(kSeluAlpha * a);
  const T alpha_a_p = static_cast<T>(kSeluAlpha * a * p);
  return {static_cast<T>(a), alpha_a_p, static_cast<T>(-alpha_a + alpha_a_p)};
}

// y[i] = x[i] * (keep[i] * scale) (+ the alpha shift); also the backward.
template <typename T, bool kShift>
void apply_elements(const T* x, T* y, const uint8_t* keep, int64_t n,
                    const Coefficients<T>& k) {
  for (int64_t i = 0; i < n; ++i) {
    T value = x[i] * (static_cast<T>(keep[i]) * k.scale);
    if constexpr (kShift) value += keep[i] ? k.kept_shift : k.dropped_shift;
    y[i] = value;
  }
}

template <typename T, bool kShift>
void dropout_elements_kernel(const T* x, T* y, uint8_t* keep, int64_t n,
                             const MaskSource& source, const Coefficients<T>& k) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(0, blocks, std::max<int64_t>(1, kDropoutGrain / kBlock),
               [&](int64_t begin, int64_t end) {
                 for (int64_t b = begin; b < end; ++b) {
                   const int64_t lo = b * kBlock;
                   const int64_t hi = std::min(n, lo + kBlock);
                   fill_keep(keep, lo, hi, source);
                   apply_elements<T, kShift>(x + lo, y + lo, keep + lo, hi - lo, k);
                 }
               });
}

// x: [units, inner]; unit u is multiplied by keep[u] * scale (+ shift).
template <typename T, bool kShift>
void apply_units_kernel(const T* x, T* y, const uint8_t* keep, int64_t units, int64_t inner,
                        const Coefficients<T>& k) {
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(inner, 1));
  parallel_for(0, units, grain, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      const T factor = static_cast<T>(keep[u]) * k.scale;
      const T shift = keep[u] ? k.kept_shift : k.dropped_shift;
      const T* xu = x + u * inner;
      T* yu = y + u * inner;
      for (int64_t i = 0; i < inner; ++i) {
        T value = xu[i] * factor;
        if constexpr (kShift) value += shift;
        yu[i] = value;
      }
    }
  });
}

void fill_keep_parallel(uint8_t* keep, int64_t units, const MaskSource& source) {
  const int64_t blocks = (units + kBlock - 1) / kBlock;
  parallel_for(0, blocks, std::max<int64_t>(1, kDropoutGrain / kBlock),
               [&](int64_t begin, int64_t end) {
                 for (int64_t b = begin; b < end; ++b) {
                   fill_keep(keep, b * kBlock, std::min(units, (b + 1) * kBlock), source);
                 }
               });
}

Tensor contiguous_values(const Tensor& t) {
  NoGradGuard no_grad;
  return t.contiguous();
}

// gx = g * keep * scale, per element (inner == 1) or per unit of `inner`.
Tensor dropout_backward(const Tensor& grad, const Tensor& keep, double p, bool alpha,
                        int64_t inner, const char* op) {
  Tensor g = contiguous_values(grad);
  Tensor gx = empty(g.shape(), g.dtype());
  detail::count_bytes(g, keep, gx);
  const auto* mask = reinterpret_cast<const uint8_t*>(keep.data_ptr<bool>());
  EMBER_DISPATCH_FLOATING(g.dtype(), op, [&] {
    const Coefficients<scalar_t> k{coefficients<scalar_t>(p, alpha).scale};
    const scalar_t* gp = g.data_ptr<scalar_t>();
    scalar_t* out = gx.data_ptr<scalar_t>();
    if (inner > 1) {
      apply_units_kernel<scalar_t, false>(gp, out, mask, keep.numel(), inner, k);
      return;
    }
    parallel_for(0, keep.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
      apply_elements<scalar_t, false>(gp + begin, out + begin, mask + begin, end - begin, k);
    });
  });
  return gx;
}

// Dropout with one mask value per element (feature_dims == 0) or per index
// of the first feature_dims dims.
Tensor dropout_impl(const Tensor& input, double p, bool training, Generator* generator,
                    int64_t feature_dims, bool alpha, const char* op, const char* node_name) {
  EMBER_PROFILE_OP(op, input);
  EMBER_CHECK(p >= 0.0 && p <= 1.0, op, ": dropout probability has to be between 0 and 1, ",
              "but got ", p);
  if (p == 0.0 || !training || input.numel() == 0) return input;
  EMBER_CHECK(input.is_floating_point(), op, ": expected a float32 or float64 input, got ",
              dtype_name(input.dtype()));

  int64_t units = feature_dims == 0 ? input.numel() : 1;
  for (int64_t d = 0; d < feature_dims; ++d) units *= input.size(d);
  const int64_t inner = input.numel() / units;

  // keep probability (1 - p), to 2^-32; a threshold of 0 drops everything.
  const auto threshold = static_cast<uint64_t>(std::ldexp(1.0 - p, 32));
  if (threshold == 0) {
    Tensor out = zeros(input.shape(), input.dtype());
    if (!any_requires_grad({&input})) return out;
    return record_op(node_name, out, {input},
                     [shape = input.shape(), dtype = input.dtype()](const TensorList&) {
                       return TensorList{zeros(shape, dtype)};
                     });
  }

  Generator& generator_ref = generator != nullptr ? *generator : default_generator();
  MaskSource source;
  source.generator = &generator_ref;
  source.first = generator_ref.reserve(static_cast<uint64_t>((units + 3) / 4));
  source.limit = static_cast<uint32_t>(threshold - 1);

  Tensor x = contiguous_values(input);
  Tensor out = empty(input.shape(), input.dtype());
  Tensor keep = empty({units}, kBool);
  detail::count_bytes(x, out, keep);
  auto* mask = reinterpret_cast<uint8_t*>(keep.data_ptr<bool>());
  EMBER_DISPATCH_FLOATING(input.dtype(), op, [&] {
    const Coefficients<scalar_t> k = coefficients<scalar_t>(p, alpha);
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* yp = out.data_ptr<scalar_t>();
    if (inner == 1) {
      alpha ? dropout_elements_kernel<scalar_t, true>(xp, yp, mask, units, source, k)
            : dropout_elements_kernel<scalar_t, false>(xp, yp, mask, units, source, k);
    } else {
      fill_keep_parallel(mask, units, source);
      alpha ? apply_units_kernel<scalar_t, true>(xp, yp, mask, units, inner, k)
            : apply_units_kernel<scalar_t, false>(xp, yp, mask, units, inner, k);
    }
  });

  if (!any_requires_grad({&input})) return out;
  return record_op(node_name, out, {input},
                   [keep, p, alpha, inner, node_name](const TensorList& grads) {
                     return TensorList{dropout_backward(grads[0], keep, p, alpha, inner,
                                                        node_name)};
                   });
}

void check_feature_rank(const Tensor& input, int64_t minimum, const char* op) {
  EMBER_CHECK(input.dim() >= minimum, op, ": Feature dropout requires at least 2 dimensions ",
              "in the input, got ", input.shape());
}

}  // namespace

Tensor dropout(const Tensor& input, double p, bool training, Generator* generator) {
  return dropout_impl(input, p, training, generator, 0, false, "dropout", "DropoutBackward");
}

Tensor dropout1d(const Tensor& input, double p, bool training, Generator* generator) {
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, "dropout1d: Expected 2D or 3D input, ",
              "but received a ", input.dim(), "D input ", input.shape(),
              "; dropout1d drops channels of [N, C, L] or unbatched [C, L]");
  const int64_t feature_dims = input.dim() == 3 ? 2 : 1;
  return dropout_impl(input, p, training, generator, feature_dims, false, "dropout1d",
                      "FeatureDropoutBackward");
}

Tensor dropout2d(const Tensor& input, double p, bool training, Generator* generator) {
  check_feature_rank(input, 2, "dropout2d");
  if (input.dim() == 3) {
    warn_once("dropout2d_3d", "dropout2d: a 3-D input is taken as [N, C, L] and drops its "
              "channels (PyTorch 1.13's behaviour), not as an unbatched [C, H, W]; use "
              "dropout1d to say so, or unsqueeze(0) an unbatched image");
  } else if (input.dim() != 4) {
    warn_once("dropout2d_rank", "dropout2d: expects [N, C, H, W] input; another rank drops "
              "over its first two dims (deprecated in PyTorch); use dropout instead");
  }
  return dropout_impl(input, p, training, generator, 2, false, "dropout2d",
                      "FeatureDropoutBackward");
}

Tensor dropout3d(const Tensor& input, double p, bool training, Generator* generator) {
  check_feature_rank(input, 1, "dropout3d");
  if (input.dim() != 4 && input.dim() != 5) {
    warn_once("dropout3d_rank", "dropout3d: expects [N, C, D, H, W] or unbatched [C, D, H, W] "
              "input; another rank drops over its first dim (deprecated in PyTorch)");
  }
  const int64_t feature_dims = input.dim() == 5 ? 2 : 1;
  return dropout_impl(input, p, training, generator, feature_dims, false, "dropout3d",
                      "FeatureDropoutBackward");
}

Tensor alpha_dropout(const Tensor& input, double p, bool training, Generator* generator) {
  return dropout_impl(input, p, training, generator, 0, true, "alpha_dropout",
                      "AlphaDropoutBackward");
}

Tensor feature_alpha_dropout(const Tensor& input, double p, bool training,
                             Generator* generator) {
  check_feature_rank(input, 2, "feature_alpha_dropout");
  return dropout_impl(input, p, training, generator, 2, true, "feature_alpha_dropout",
                      "FeatureAlphaDropoutBackward");
}

}  // namespace ember
