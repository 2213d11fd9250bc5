#pragma once

// Vectorized pointwise kernels, written once over xsimd batches and compiled
// once per instruction set (simd_kernels_avx2.cpp, simd_kernels_avx512.cpp).
// Everything here is a template on the architecture, so the copies built with
// different compiler flags never share a symbol.

#include <cmath>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "ops/detail/simd_kernels.h"

namespace ember::detail {

template <class Arch>
struct SimdImpl {
  template <class T>
  using B = xsimd::batch<T, Arch>;

  // y[i] = f(x[i]). The tail goes through a padded buffer, so every op is
  // written once, for full batches only.
  template <class T, class F>
  static void unary_loop(const T* x, T* y, int64_t n, const F& f) {
    constexpr int64_t lanes = B<T>::size;
    int64_t i = 0;
    for (; i + 2 * lanes <= n; i += 2 * lanes) {
      B<T> first = f(B<T>::load_unaligned(x + i));
      B<T> second = f(B<T>::load_unaligned(x + i + lanes));
      first.store_unaligned(y + i);
      second.store_unaligned(y + i + lanes);
    }
    for (; i + lanes <= n; i += lanes) f(B<T>::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) {
      alignas(64) T buffer[lanes] = {};
      std::memcpy(buffer, x + i, (n - i) * sizeof(T));
      f(B<T>::load_aligned(buffer)).store_aligned(buffer);
      std::memcpy(y + i, buffer, (n - i) * sizeof(T));
    }
  }

  // out[i] = f(a[i * a_step], b[i * b_step]) with steps 0 or 1. The step
  // pattern is fixed per call, so each pattern gets its own loop.
  template <class T, class F>
  static void binary_loop(const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
                          int64_t n, const F& f) {
    if (n <= 0) return;
    if (a_step == 1 && b_step == 1) return binary_run<true, true>(a, b, out, n, f);
    if (a_step == 1) return binary_run<true, false>(a, b, out, n, f);
    if (b_step == 1) return binary_run<false, true>(a, b, out, n, f);
    binary_run<false, false>(a, b, out, n, f);
  }

  template <bool a_vector, bool b_vector, class T, class F>
  static void binary_run(const T* a, const T* b, T* out, int64_t n, const F& f) {
    constexpr int64_t lanes = B<T>::size;
    const B<T> a_scalar(*a);
    const B<T> b_scalar(*b);
    int64_t i = 0;
    for (; i + lanes <= n; i += lanes) {
      B<T> left = a_vector ? B<T>::load_unaligned(a + i) : a_scalar;
      B<T> right = b_vector ? B<T>::load_unaligned(b + i) : b_scalar;
      f(left, right).store_unaligned(out + i);
    }
    if (i < n) {
      alignas(64) T left[lanes] = {};
      alignas(64) T right[lanes] = {};
      for (int64_t j = i; j < n; ++j) {
        left[j - i] = a_vector ? a[j] : *a;
        right[j - i] = b_vector ? b[j] : *b;
      }
      f(B<T>::load_aligned(left), B<T>::load_aligned(right)).store_aligned(left);
      std::memcpy(out + i, left, (n - i) * sizeof(T));
    }
  }

  // x^e for a whole-number e by repeated squaring: exact for negative bases.
  template <class T>
  static B<T> integer_power(B<T> x, int64_t e) {
    bool invert = e < 0;
    uint64_t remaining = invert ? -static_cast<uint64_t>(e) : e;
    B<T> result(T(1));
    while (remaining != 0) {
      if (remaining & 1) result *= x;
      x *= x;
      remaining >>= 1;
    }
    return invert ? B<T>(T(1)) / result : result;
  }

  template <class T>
  static void pow_scalar(const T* x, T* y, int64_t n, const OpParams& p) {
    const T e = static_cast<T>(p.a);
    if (e == T(0.5)) return unary_loop(x, y, n, [](B<T> v) { return xsimd::sqrt(v); });
    if (std::nearbyint(p.a) == p.a && std::abs(p.a) <= 64) {
      const auto whole = static_cast<int64_t>(p.a);
      return unary_loop(x, y, n, [whole](B<T> v) { return integer_power<T>(v, whole); });
    }
    unary_loop(x, y, n, [e](B<T> v) { return xsimd::pow(v, B<T>(e)); });
  }

  template <class T>
  static void pow_tensor(const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
                         int64_t n, const OpParams&) {
    // std::pow handles negative bases with whole exponents, as PyTorch does.
    for (int64_t i = 0; i < n; ++i) out[i] = std::pow(a[i * a_step], b[i * b_step]);
  }

  template <class T, UnaryOp op>
  static void unary(const T* x, T* y, int64_t n, const OpParams& p) {
    using V = B<T>;
    const V lo(static_cast<T>(p.a));
    const V hi(static_cast<T>(p.b));
    const V one(T(1));
    const V half(T(0.5));
    if constexpr (op == UnaryOp::Neg) {
      unary_loop(x, y, n, [](V v) { return -v; });
    } else if constexpr (op == UnaryOp::Exp) {
      unary_loop(x, y, n, [](V v) { return xsimd::exp(v); });
    } else if constexpr (op == UnaryOp::Log) {
      unary_loop(x, y, n, [](V v) { return xsimd::log(v); });
    } else if constexpr (op == UnaryOp::Sqrt) {
      unary_loop(x, y, n, [](V v) { return xsimd::sqrt(v); });
    } else if constexpr (op == UnaryOp::Abs) {
      unary_loop(x, y, n, [](V v) { return xsimd::abs(v); });
    } else if constexpr (op == UnaryOp::Square) {
      unary_loop(x, y, n, [](V v) { return v * v; });
    } else if constexpr (op == UnaryOp::Reciprocal) {
      unary_loop(x, y, n, [one](V v) { return one / v; });
    } else if constexpr (op == UnaryOp::Relu) {
      // select keeps NaN (NaN < 0 is false), as PyTorch's relu does.
      unary_loop(x, y, n, [](V v) { return xsimd::select(v < V(T(0)), V(T(0)), v); });
    } else if constexpr (op == UnaryOp::Sigmoid) {
      unary_loop(x, y, n, [one](V v) { return one / (one + xsimd::exp(-v)); });
    } else if constexpr (op == UnaryOp::Tanh) {
      unary_loop(x, y, n, [](V v) { return xsimd::tanh(v); });
    } else if constexpr (op == UnaryOp::Gelu) {
      const V inv_sqrt2(static_cast<T>(M_SQRT1_2));
      unary_loop(x, y, n, [=](V v) { return half * v * (one + xsimd::erf(v * inv_sqrt2)); });
    } else if constexpr (op == UnaryOp::GeluTanh) {
      const V k(static_cast<T>(M_2_SQRTPI * M_SQRT1_2));  // sqrt(2 / pi)
      const V c(T(0.044715));
      unary_loop(x, y, n, [=](V v) {
        return half * v * (one + xsimd::tanh(k * (v + c * v * v * v)));
      });
    } else if constexpr (op == UnaryOp::LeakyRelu) {
      unary_loop(x, y, n, [lo](V v) { return xsimd::select(v > V(T(0)), v, v * lo); });
    } else if constexpr (op == UnaryOp::Clamp) {
      // NaN passes through both comparisons unchanged; min > max yields max.
      unary_loop(x, y, n, [lo, hi](V v) {
        V low_clamped = xsimd::select(v < lo, lo, v);
        return xsimd::select(low_clamped > hi, hi, low_clamped);
      });
    } else if constexpr (op == UnaryOp::Pow) {
      pow_scalar(x, y, n, p);
    } else if constexpr (op == UnaryOp::Elu) {
      // PyTorch's branch test is x <= 0, so NaN takes the linear side.
      const V negative_scale(static_cast<T>(p.a * p.b));
      unary_loop(x, y, n, [=](V v) {
        return xsimd::select(v <= V(T(0)), xsimd::expm1(v) * negative_scale, v * hi);
      });
    } else if constexpr (op == UnaryOp::Silu) {
      // x / (1 + e^-x) as PyTorch writes it: silu(-inf) is NaN there too.
      unary_loop(x, y, n, [one](V v) { return v / (one + xsimd::exp(-v)); });
    } else if constexpr (op == UnaryOp::Mish) {
      unary_loop(x, y, n, [](V v) { return v * xsimd::tanh(xsimd::log1p(xsimd::exp(v))); });
    } else if constexpr (op == UnaryOp::Softplus) {
      // Above the threshold softplus is x to within rounding, and e^(beta x)
      // could overflow; the test is on beta * x, as in PyTorch.
      unary_loop(x, y, n, [lo, hi](V v) {
        V scaled = v * lo;
        return xsimd::select(scaled > hi, v, xsimd::log1p(xsimd::exp(scaled)) / lo);
      });
    } else if constexpr (op == UnaryOp::Hardsigmoid || op == UnaryOp::Hardswish) {
      // relu6(x + 3) / 6 with select, so NaN passes through (std::max would too).
      const V three(T(3));
      const V six(T(6));
      unary_loop(x, y, n, [=](V v) {
        V shifted = v + three;
        shifted = xsimd::select(shifted < V(T(0)), V(T(0)), shifted);
        shifted = xsimd::select(shifted > six, six, shifted);
        return op == UnaryOp::Hardswish ? v * shifted / six : shifted / six;
      });
    }
  }

  template <class T, BinaryOp op>
  static void binary(const T* a, int64_t as, const T* b, int64_t bs, T* out, int64_t n,
                     const OpParams& p) {
    using V = B<T>;
    const V pa(static_cast<T>(p.a));
    const V pb(static_cast<T>(p.b));
    const V zero(T(0));
    const V one(T(1));
    const V half(T(0.5));
    if constexpr (op == BinaryOp::Add) {
      if (p.a == 1.0) return binary_loop(a, as, b, bs, out, n, [](V x, V y) { return x + y; });
      binary_loop(a, as, b, bs, out, n, [pa](V x, V y) { return xsimd::fma(y, pa, x); });
    } else if constexpr (op == BinaryOp::Sub) {
      if (p.a == 1.0) return binary_loop(a, as, b, bs, out, n, [](V x, V y) { return x - y; });
      binary_loop(a, as, b, bs, out, n, [pa](V x, V y) { return xsimd::fnma(y, pa, x); });
    } else if constexpr (op == BinaryOp::Mul) {
      binary_loop(a, as, b, bs, out, n, [](V x, V y) { return x * y; });
    } else if constexpr (op == BinaryOp::Div) {
      binary_loop(a, as, b, bs, out, n, [](V x, V y) { return x / y; });
    } else if constexpr (op == BinaryOp::Maximum || op == BinaryOp::Minimum) {
      // NaN in either operand propagates, as in PyTorch.
      binary_loop(a, as, b, bs, out, n, [](V x, V y) {
        V picked = op == BinaryOp::Maximum ? xsimd::select(x > y, x, y)
                                           : xsimd::select(x < y, x, y);
        return xsimd::select(xsimd::isnan(x) || xsimd::isnan(y), x + y, picked);
      });
    } else if constexpr (op == BinaryOp::Pow) {
      pow_tensor(a, as, b, bs, out, n, p);
    } else if constexpr (op == BinaryOp::ReluGrad) {
      binary_loop(a, as, b, bs, out, n, [zero](V g, V x) {
        return xsimd::select(x > zero, g, zero);
      });
    } else if constexpr (op == BinaryOp::SigmoidGrad) {
      binary_loop(a, as, b, bs, out, n, [one](V g, V y) { return g * y * (one - y); });
    } else if constexpr (op == BinaryOp::TanhGrad) {
      binary_loop(a, as, b, bs, out, n, [one](V g, V y) { return g * (one - y * y); });
    } else if constexpr (op == BinaryOp::GeluGrad) {
      const V inv_sqrt2(static_cast<T>(M_SQRT1_2));
      const V inv_sqrt_2pi(static_cast<T>(M_2_SQRTPI * M_SQRT1_2 * 0.5));
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        V cdf = half * (one + xsimd::erf(x * inv_sqrt2));
        V pdf = xsimd::exp(-half * x * x) * inv_sqrt_2pi;
        return g * (cdf + x * pdf);
      });
    } else if constexpr (op == BinaryOp::GeluTanhGrad) {
      const V k(static_cast<T>(M_2_SQRTPI * M_SQRT1_2));
      const V c(T(0.044715));
      const V c3(T(3 * 0.044715));
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        V t = xsimd::tanh(k * (x + c * x * x * x));
        V inner_derivative = k * (one + c3 * x * x);
        return g * (half * (one + t) + half * x * (one - t * t) * inner_derivative);
      });
    } else if constexpr (op == BinaryOp::LeakyReluGrad) {
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        return xsimd::select(x > zero, g, g * pa);
      });
    } else if constexpr (op == BinaryOp::ClampGrad) {
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        return xsimd::select(x >= pa && x <= pb, g, zero);
      });
    } else if constexpr (op == BinaryOp::AbsGrad) {
      binary_loop(a, as, b, bs, out, n, [zero](V g, V x) {
        return xsimd::select(x > zero, g, xsimd::select(x < zero, -g, zero));
      });
    } else if constexpr (op == BinaryOp::EluGrad) {
      // d/dx of alpha * scale * (e^x - 1) on x <= 0 (x = 0 included, as PyTorch).
      const V negative_scale(static_cast<T>(p.a * p.b));
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        return xsimd::select(x <= zero, g * negative_scale * xsimd::exp(x), g * pb);
      });
    } else if constexpr (op == BinaryOp::SiluGrad) {
      binary_loop(a, as, b, bs, out, n, [one](V g, V x) {
        V s = one / (one + xsimd::exp(-x));
        return g * s * (one + x * (one - s));
      });
    } else if constexpr (op == BinaryOp::MishGrad) {
      binary_loop(a, as, b, bs, out, n, [one](V g, V x) {
        V s = one / (one + xsimd::exp(-x));
        V t = xsimd::tanh(xsimd::log1p(xsimd::exp(x)));
        return g * (t + x * s * (one - t * t));
      });
    } else if constexpr (op == BinaryOp::SoftplusGrad) {
      // z / (z + 1) with z = e^(beta x): PyTorch's form, kept for equal rounding.
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        V scaled = x * pa;
        V z = xsimd::exp(scaled);
        return xsimd::select(scaled > pb, g, g * z / (z + one));
      });
    } else if constexpr (op == BinaryOp::HardtanhGrad) {
      // Zero on and beyond the bounds (unlike clamp); NaN lets the gradient through.
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        return xsimd::select(x <= pa || x >= pb, zero, g);
      });
    } else if constexpr (op == BinaryOp::HardsigmoidGrad) {
      const V three(T(3));
      const V sixth(T(1) / T(6));
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        return xsimd::select(x > -three && x < three, g * sixth, zero);
      });
    } else if constexpr (op == BinaryOp::HardswishGrad) {
      // PyTorch's boundaries: 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above.
      const V three(T(3));
      binary_loop(a, as, b, bs, out, n, [=](V g, V x) {
        V middle = g * (x / three + half);
        return xsimd::select(x < -three, zero, xsimd::select(x <= three, middle, g));
      });
    }
  }

  template <class T, int... ops>
  static void fill_unary(UnaryKernel<T>* table, std::integer_sequence<int, ops...>) {
    ((table[ops] = &unary<T, static_cast<UnaryOp>(ops)>), ...);
  }

  template <class T, int... ops>
  static void fill_binary(BinaryKernel<T>* table, std::integer_sequence<int, ops...>) {
    ((table[ops] = &binary<T, static_cast<BinaryOp>(ops)>), ...);
  }
};

template <class Arch>
SimdKernels make_simd_kernels(const char* name) {
  using Impl = SimdImpl<Arch>;
  constexpr int unary_count = static_cast<int>(UnaryOp::Count);
  constexpr int binary_count = static_cast<int>(BinaryOp::Count);

  SimdKernels kernels;
  kernels.arch = name;
  kernels.float_lanes = static_cast<int>(xsimd::batch<float, Arch>::size);
  Impl::template fill_unary<float>(kernels.unary_f32,
                                   std::make_integer_sequence<int, unary_count>());
  Impl::template fill_unary<double>(kernels.unary_f64,
                                    std::make_integer_sequence<int, unary_count>());
  Impl::template fill_binary<float>(kernels.binary_f32,
                                    std::make_integer_sequence<int, binary_count>());
  Impl::template fill_binary<double>(kernels.binary_f64,
                                     std::make_integer_sequence<int, binary_count>());
  return kernels;
}

}  // namespace ember::detail
