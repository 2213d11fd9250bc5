#include "framework/config.h"

#include <sstream>
#include <thread>
#include <xsimd/xsimd.hpp>

#include "framework/blas.h"
#include "framework/parallel.h"
#include "ops/detail/simd_kernels.h"

namespace ember {

std::string simd_arch() { return detail::simd_kernels().arch; }

int simd_float_lanes() { return detail::simd_kernels().float_lanes; }

std::string show_config() {
  auto cpu = xsimd::available_architectures();
  std::ostringstream out;
  out << "ember " << EMBER_VERSION << "\n"
      << "  compiler: " << EMBER_COMPILER << ", C++20\n"
      << "  instruction sets: baseline AVX2+FMA;"
#ifdef EMBER_HAVE_AVX512
      << " AVX-512 kernels built;"
#else
      << " AVX-512 kernels not built;"
#endif
      << " running " << simd_arch() << " (" << simd_float_lanes() << " float lanes)\n"
      << "  CPU reports: avx2=" << cpu.avx2 << " fma=" << cpu.fma3_avx2
      << " avx512f=" << cpu.avx512f << " avx512bw=" << cpu.avx512bw << "\n"
      << "  BLAS: " << blas::config() << "\n"
      << "  BLAS kernels: " << blas::corename();
  std::string wanted = blas::recommended_coretype();
  if (!wanted.empty()) out << " (generic; set OPENBLAS_CORETYPE=" << wanted << ")";
  out << "\n"
      << "  threads: " << get_num_threads() << " (oneTBB arena; OpenBLAS serial in each task)"
      << ", hardware: " << std::thread::hardware_concurrency() << "\n";
  return out.str();
}

}  // namespace ember
