#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ember {

// Element types. float32 is the working dtype; float64 serves gradient checks;
// int64 holds labels and indices; bool holds masks and comparison results.
enum class DType : uint8_t { Float32, Float64, Int64, Bool };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;

const char* dtype_name(DType dtype);

inline size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

inline bool is_floating(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64;
}

// Throws ember::Error, headed by `op`, when `value` cannot be stored in
// `dtype` without overflow (integer dtypes take finite values below 9.3e18).
void check_storable(double value, DType dtype, const char* op);

// The dtype two operands compute in: bool < int64 < float32 < float64.
inline DType promote_types(DType a, DType b) {
  return static_cast<uint8_t>(a) == static_cast<uint8_t>(b) ? a
         : (a == DType::Float64 || b == DType::Float64) ? DType::Float64
         : (a == DType::Float32 || b == DType::Float32) ? DType::Float32
         : DType::Int64;
}

template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };

}  // namespace ember
