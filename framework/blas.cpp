#include "framework/blas.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <xsimd/xsimd.hpp>

#include "framework/log.h"

extern "C" {
char* openblas_get_config(void);
char* openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
}

namespace ember::blas {
namespace {

bool is_generic(const std::string& core) {
  return core == "Prescott" || core == "Core2" || core == "Katmai" || core == "Atom" ||
         core == "Nehalem" || core == "Penryn" || core == "Dunnington";
}

}  // namespace

std::string config() { return openblas_get_config(); }

std::string corename() { return openblas_get_corename(); }

std::string recommended_coretype() {
  if (!is_generic(corename())) return "";
  auto cpu = xsimd::available_architectures();
  if (cpu.avx512f && cpu.avx512bw && cpu.avx512dq) return "SkylakeX";
  if (cpu.avx2 && cpu.fma3_avx2) return "Haswell";
  return "";
}

void warn_if_generic_kernels() {
  std::string wanted = recommended_coretype();
  if (wanted.empty()) return;
  warn_once("blas-generic-kernels",
            "OpenBLAS runs its generic '" + corename() + "' kernels on a CPU with " +
                (wanted == "SkylakeX" ? "AVX-512" : "AVX2") +
                ": GEMM (every linear and conv layer) runs 5-8x slower. Set "
                "OPENBLAS_CORETYPE=" + wanted +
                " before starting the program, or call "
                "ember::blas::reexec_with_fast_kernels(argv) first in main().");
}

void reexec_with_fast_kernels(char** argv) {
  std::string wanted = recommended_coretype();
  if (wanted.empty() || std::getenv("OPENBLAS_CORETYPE") != nullptr) return;

  // The variable marks the second run too, so this can never loop.
  setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // execv failed: carry on with what we have
  warn_if_generic_kernels();
}

void set_serial() { openblas_set_num_threads(1); }

}  // namespace ember::blas
