// Compiled with the baseline flags (-mavx2 -mfma).
#include "ops/detail/simd_kernels-inl.h"

namespace ember::detail {

SimdKernels make_simd_kernels_avx2() {
  return make_simd_kernels<xsimd::fma3<xsimd::avx2>>("avx2");
}

}  // namespace ember::detail
