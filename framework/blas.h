#pragma once

#include <string>

namespace ember::blas {

// The BLAS build ember links, as OpenBLAS describes it.
std::string config();

// The kernel set OpenBLAS picked for this CPU, e.g. "Haswell", "SkylakeX", "Zen".
std::string corename();

// The OPENBLAS_CORETYPE this CPU should run, or "" when the current kernels are
// already right. Debian's OpenBLAS 0.3.21 does not know some recent CPUs and
// falls back to its generic "Prescott" kernels, 5-8x slower on GEMM.
std::string recommended_coretype();

// Warns once (through ember's log) when generic kernels run on a CPU that has
// AVX2 or AVX-512, naming the variable to set and what the fallback costs.
void warn_if_generic_kernels();

// OpenBLAS reads OPENBLAS_CORETYPE only when it loads, before main() runs. A
// program may call this first thing in main(): when generic kernels were
// picked on a capable CPU and the variable is unset, it sets it and re-executes
// the program (same arguments), so OpenBLAS loads with the right kernels. The
// chosen set is one whose instructions the CPU reports, so results stay exact.
// Returns normally when nothing needs to change or re-execution failed.
void reexec_with_fast_kernels(char** argv);

// Keeps OpenBLAS single-threaded: ember splits GEMMs across oneTBB tasks.
void set_serial();

}  // namespace ember::blas
