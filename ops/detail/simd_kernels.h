#pragma once

#include <cstdint>

namespace ember::detail {

// Pointwise ops with vectorized kernels. Each kernel exists once per
// instruction set (AVX2+FMA always; AVX-512 when built with EMBER_AVX512) and
// the widest one the CPU supports is picked once, at first use.
enum class UnaryOp : int {
  Neg, Exp, Log, Sqrt, Abs, Square, Reciprocal,
  Relu, Sigmoid, Tanh, Gelu, GeluTanh,
  LeakyRelu,  // a: negative slope
  Clamp,      // a: min, b: max (+-inf when absent)
  Pow,        // a: exponent
  // Activations of ops/activation.h (hardtanh and relu6 run on Clamp).
  Elu,        // a: alpha, b: scale (selu passes its two constants)
  Silu, Mish,
  Softplus,   // a: beta, b: threshold
  Hardsigmoid, Hardswish,
  Count
};

enum class BinaryOp : int {
  Add,  // a + alpha * b, alpha in params.a
  Sub,  // a - alpha * b
  Mul, Div, Maximum, Minimum, Pow,
  // Gradients: the first operand is the incoming gradient g, the second the
  // forward input x (or output y where noted).
  ReluGrad, SigmoidGrad /* y */, TanhGrad /* y */, GeluGrad, GeluTanhGrad,
  LeakyReluGrad /* a: slope */, ClampGrad /* a: min, b: max */, AbsGrad,
  EluGrad /* a: alpha, b: scale */, SiluGrad, MishGrad,
  SoftplusGrad /* a: beta, b: threshold */, HardtanhGrad /* a: min, b: max */,
  HardsigmoidGrad, HardswishGrad,
  Count
};

struct OpParams {
  double a = 0.0;
  double b = 0.0;
};

template <typename T>
using UnaryKernel = void (*)(const T* x, T* y, int64_t n, const OpParams& params);

// out[i] = op(a[i * a_step], b[i * b_step]); steps are 0 (a repeated scalar) or 1.
template <typename T>
using BinaryKernel = void (*)(const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
                              int64_t n, const OpParams& params);

struct SimdKernels {
  const char* arch = "";
  int float_lanes = 0;
  UnaryKernel<float> unary_f32[static_cast<int>(UnaryOp::Count)] = {};
  UnaryKernel<double> unary_f64[static_cast<int>(UnaryOp::Count)] = {};
  BinaryKernel<float> binary_f32[static_cast<int>(BinaryOp::Count)] = {};
  BinaryKernel<double> binary_f64[static_cast<int>(BinaryOp::Count)] = {};
};

const SimdKernels& simd_kernels();

template <typename T>
UnaryKernel<T> unary_kernel(UnaryOp op) {
  if constexpr (sizeof(T) == 4) {
    return simd_kernels().unary_f32[static_cast<int>(op)];
  } else {
    return simd_kernels().unary_f64[static_cast<int>(op)];
  }
}

template <typename T>
BinaryKernel<T> binary_kernel(BinaryOp op) {
  if constexpr (sizeof(T) == 4) {
    return simd_kernels().binary_f32[static_cast<int>(op)];
  } else {
    return simd_kernels().binary_f64[static_cast<int>(op)];
  }
}

// One table per instruction set, defined in simd_kernels_<arch>.cpp.
SimdKernels make_simd_kernels_avx2();
SimdKernels make_simd_kernels_avx512();

}  // namespace ember::detail
