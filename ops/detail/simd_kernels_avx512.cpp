// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl; only called after
// the CPU was checked for these instruction sets (simd_dispatch.cpp). The
// float and double kernels need only xsimd's avx512f batches; its avx512bw
// integer casts do not compile at -O0 with xsimd 8.1.
#include "ops/detail/simd_kernels-inl.h"

namespace ember::detail {

SimdKernels make_simd_kernels_avx512() {
  return make_simd_kernels<xsimd::avx512f>("avx512f");
}

}  // namespace ember::detail
