#include <xsimd/xsimd.hpp>

#include "ops/detail/simd_kernels.h"

namespace ember::detail {

const SimdKernels& simd_kernels() {
  static const SimdKernels kernels = [] {
#ifdef EMBER_HAVE_AVX512
    auto cpu = xsimd::available_architectures();
    if (cpu.avx512f && cpu.avx512bw && cpu.avx512dq) return make_simd_kernels_avx512();
#endif
    return make_simd_kernels_avx2();
  }();
  return kernels;
}

}  // namespace ember::detail
