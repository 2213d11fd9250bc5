// Catch2's main lives alone in this file: it is the slowest part of the suite
// to compile and rarely changes.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "framework/blas.h"

int main(int argc, char** argv) {
  // Run the suite on the BLAS kernels users get from the README's commands.
  ember::blas::reexec_with_fast_kernels(argv);
  return Catch::Session().run(argc, argv);
}
