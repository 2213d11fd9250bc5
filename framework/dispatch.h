#pragma once

#include "framework/dtype.h"
#include "framework/error.h"

// The one place a runtime dtype becomes a compile-time type. Inside the body,
// `scalar_t` names the element type:
//   EMBER_DISPATCH_FLOATING(x.dtype(), "exp", [&] { kernel<scalar_t>(...); });
#define EMBER_DTYPE_CASE(enum_value, type, ...) \
  case enum_value: {                            \
    using scalar_t = type;                      \
    return __VA_ARGS__();                       \
  }

#define EMBER_DTYPE_FAIL(dtype, op_name, accepted)                              \
  default:                                                                      \
    ::ember::detail::throw_error(op_name, ": unsupported dtype ",               \
                                 ::ember::dtype_name(dtype), "; expected ", accepted)

#define EMBER_DISPATCH_FLOATING(dtype, op_name, ...)                  \
  [&] {                                                               \
    switch (dtype) {                                                  \
      EMBER_DTYPE_CASE(::ember::DType::Float32, float, __VA_ARGS__)   \
      EMBER_DTYPE_CASE(::ember::DType::Float64, double, __VA_ARGS__)  \
      EMBER_DTYPE_FAIL(dtype, op_name, "float32 or float64");         \
    }                                                                 \
  }()

#define EMBER_DISPATCH_NUMERIC(dtype, op_name, ...)                   \
  [&] {                                                               \
    switch (dtype) {                                                  \
      EMBER_DTYPE_CASE(::ember::DType::Float32, float, __VA_ARGS__)   \
      EMBER_DTYPE_CASE(::ember::DType::Float64, double, __VA_ARGS__)  \
      EMBER_DTYPE_CASE(::ember::DType::Int64, int64_t, __VA_ARGS__)   \
      EMBER_DTYPE_FAIL(dtype, op_name, "float32, float64 or int64");  \
    }                                                                 \
  }()

#define EMBER_DISPATCH_ALL(dtype, op_name, ...)                       \
  [&] {                                                               \
    switch (dtype) {                                                  \
      EMBER_DTYPE_CASE(::ember::DType::Float32, float, __VA_ARGS__)   \
      EMBER_DTYPE_CASE(::ember::DType::Float64, double, __VA_ARGS__)  \
      EMBER_DTYPE_CASE(::ember::DType::Int64, int64_t, __VA_ARGS__)   \
      EMBER_DTYPE_CASE(::ember::DType::Bool, bool, __VA_ARGS__)       \
      EMBER_DTYPE_FAIL(dtype, op_name, "a known dtype");              \
    }                                                                 \
  }()
