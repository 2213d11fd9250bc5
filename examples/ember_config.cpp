// Prints ember's build and machine summary: version, compiler, instruction
// sets, BLAS build and kernel set, threads.
//
//   ember_config                   the summary (ember::show_config)
//   ember_config --blas-coretype   the OPENBLAS_CORETYPE this CPU should use,
//                                  or an empty line when OpenBLAS already
//                                  picked fast kernels (for scripts)
#include <cstring>
#include <iostream>

#include "framework/blas.h"
#include "framework/config.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--blas-coretype") == 0) {
    std::cout << ember::blas::recommended_coretype() << "\n";
    return 0;
  }
  if (argc != 1) {
    std::cerr << "usage: " << argv[0] << " [--blas-coretype]\n";
    return 2;
  }

  std::cout << ember::show_config();
  return 0;
}
