#include "ops/detail/max_pool_2x2.h"

#include <immintrin.h>

#include <limits>

// The windows of 4 (SSE) or 8 (AVX2) consecutive outputs of one row are read
// as two rows of 8 or 16 floats and split into their even and odd columns, so
// each of the window's four elements is one vector. A row whose width is not
// a multiple of the vector length ends with a vector that overlaps the one
// before it: the shared outputs are computed twice, to the same values.
namespace ember::detail {
namespace {

// Window element k (0..3, scan order) sits (k / 2) rows and (k % 2) columns
// from the window's top-left corner at column 2 * ow.
void store_index4(__m128i pick, int64_t corner, int64_t width, int64_t* index) {
  __m128i offset = _mm_add_epi32(
      _mm_mullo_epi32(_mm_srli_epi32(pick, 1), _mm_set1_epi32(static_cast<int32_t>(width))),
      _mm_and_si128(pick, _mm_set1_epi32(1)));
  offset = _mm_add_epi32(offset, _mm_setr_epi32(0, 2, 4, 6));  // the outputs' own columns
  const __m256i base = _mm256_set1_epi64x(corner);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(index),
                      _mm256_add_epi64(base, _mm256_cvtepi32_epi64(offset)));
}

// Outputs [ow, ow + 4) of the row whose windows start at rows top / bottom.
template <bool kIndex>
void pool4(const float* top, const float* bottom, int64_t ow, int64_t row_start,
           int64_t width, float* y, int64_t* index) {
  const __m128 t0 = _mm_loadu_ps(top + 2 * ow), t1 = _mm_loadu_ps(top + 2 * ow + 4);
  const __m128 b0 = _mm_loadu_ps(bottom + 2 * ow), b1 = _mm_loadu_ps(bottom + 2 * ow + 4);
  const __m128 element[4] = {_mm_shuffle_ps(t0, t1, 0x88), _mm_shuffle_ps(t0, t1, 0xDD),
                             _mm_shuffle_ps(b0, b1, 0x88), _mm_shuffle_ps(b0, b1, 0xDD)};

  // Starting from element 0 matches starting from -inf: only a NaN or a
  // value above -inf would replace -inf, and element 0 is either or -inf.
  __m128 best = element[0];
  __m128i pick = _mm_setzero_si128();
  for (int k = 1; k < 4; ++k) {
    const __m128 take = _mm_or_ps(_mm_cmpgt_ps(element[k], best),
                                  _mm_cmpunord_ps(element[k], element[k]));
    best = _mm_blendv_ps(best, element[k], take);
    pick = _mm_castps_si128(_mm_blendv_ps(_mm_castsi128_ps(pick),
                                          _mm_castsi128_ps(_mm_set1_epi32(k)), take));
  }
  _mm_storeu_ps(y + ow, best);
  if constexpr (kIndex) store_index4(pick, row_start + 2 * ow, width, index + ow);
}

// Outputs [ow, ow + 8). The in-lane shuffles leave the outputs in the order
// 0 1 4 5 2 3 6 7; one cross-lane permute puts them back.
template <bool kIndex>
void pool8(const float* top, const float* bottom, int64_t ow, int64_t row_start,
           int64_t width, float* y, int64_t* index) {
  const __m256 t0 = _mm256_loadu_ps(top + 2 * ow), t1 = _mm256_loadu_ps(top + 2 * ow + 8);
  const __m256 b0 = _mm256_loadu_ps(bottom + 2 * ow), b1 = _mm256_loadu_ps(bottom + 2 * ow + 8);
  const __m256 element[4] = {_mm256_shuffle_ps(t0, t1, 0x88), _mm256_shuffle_ps(t0, t1, 0xDD),
                             _mm256_shuffle_ps(b0, b1, 0x88), _mm256_shuffle_ps(b0, b1, 0xDD)};

  __m256 best = element[0];
  __m256i pick = _mm256_setzero_si256();
  for (int k = 1; k < 4; ++k) {
    const __m256 take = _mm256_or_ps(_mm256_cmp_ps(element[k], best, _CMP_GT_OQ),
                                     _mm256_cmp_ps(element[k], element[k], _CMP_UNORD_Q));
    best = _mm256_blendv_ps(best, element[k], take);
    pick = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(pick),
                                                _mm256_castsi256_ps(_mm256_set1_epi32(k)), take));
  }
  best = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), 0xD8));
  _mm256_storeu_ps(y + ow, best);
  if constexpr (kIndex) {
    pick = _mm256_permute4x64_epi64(pick, 0xD8);
    const int64_t corner = row_start + 2 * ow;
    store_index4(_mm256_castsi256_si128(pick), corner, width, index + ow);
    store_index4(_mm256_extracti128_si256(pick, 1), corner + 8, width, index + ow + 4);
  }
}

template <bool kIndex>
void pool_plane(const float* x, int64_t width, int64_t out_h, int64_t out_w, float* y,
                int64_t* index) {
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const int64_t row_start = 2 * oh * width;
    const float* top = x + row_start;
    const float* bottom = top + width;
    float* y_row = y + oh * out_w;
    int64_t* index_row = kIndex ? index + oh * out_w : nullptr;
    if (out_w < 8) {
      pool4<kIndex>(top, bottom, 0, row_start, width, y_row, index_row);
      pool4<kIndex>(top, bottom, out_w - 4, row_start, width, y_row, index_row);
      continue;
    }
    int64_t ow = 0;
    for (; ow + 8 <= out_w; ow += 8) {
      pool8<kIndex>(top, bottom, ow, row_start, width, y_row, index_row);
    }
    if (ow < out_w) pool8<kIndex>(top, bottom, out_w - 8, row_start, width, y_row, index_row);
  }
}

}  // namespace

bool max_pool_2x2_vectorizes(int64_t out_w, int64_t in_plane) {
  return out_w >= 4 && in_plane <= std::numeric_limits<int32_t>::max();
}

void max_pool_2x2_plane(const float* x, int64_t width, int64_t out_h, int64_t out_w, float* y,
                        int64_t* index) {
  if (index != nullptr) {
    pool_plane<true>(x, width, out_h, out_w, y, index);
  } else {
    pool_plane<false>(x, width, out_h, out_w, y, nullptr);
  }
}

}  // namespace ember::detail
