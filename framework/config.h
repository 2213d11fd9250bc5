#pragma once

#include <string>

namespace ember {

// A summary of this build and machine: version, compiler, instruction sets
// (compiled baseline and the one the kernels dispatch to at run time), BLAS
// build and kernel set, threads. Like torch.__config__.show().
std::string show_config();

// The widest SIMD instruction set ember's kernels use on this CPU: "avx512f"
// or "avx2".
std::string simd_arch();

// Lanes of float32 in one SIMD register for simd_arch().
int simd_float_lanes();

}  // namespace ember
