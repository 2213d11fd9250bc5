#include "framework/dtype.h"

#include <cmath>

#include "framework/error.h"

namespace ember {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "unknown";
}

void check_storable(double value, DType dtype, const char* op) {
  EMBER_CHECK(is_floating(dtype) || (std::isfinite(value) && std::abs(value) < 9.3e18), op,
              ": ", value, " cannot be converted to ", dtype_name(dtype), " without overflow");
}

}  // namespace ember
