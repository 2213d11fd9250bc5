// The main() of every ember benchmark program.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "framework/blas.h"
#include "framework/config.h"
#include "framework/parallel.h"

int main(int argc, char** argv) {
  // Debian's OpenBLAS may have picked its generic kernels on this CPU; this
  // restarts the program with the right ones before anything is measured.
  ember::blas::reexec_with_fast_kernels(argv);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("ember_blas_kernels", ember::blas::corename());
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", coretype ? coretype : "(unset)");
  benchmark::AddCustomContext("ember_simd", ember::simd_arch());
  benchmark::AddCustomContext("ember_default_threads",
                              std::to_string(ember::get_num_threads()));

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
