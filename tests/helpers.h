#pragma once

// Shared test helpers: value comparison with readable mismatch messages, a
// matcher for ember::Error text, and the gradient-check assertion every
// differentiable op goes through.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "framework/gradcheck.h"
#include "framework/random.h"
#include "framework/tensor.h"

namespace ember_test {

// Describes the first difference between `actual` and `expected` (shape,
// dtype, or an element outside atol + rtol * |expected|); empty when they
// match. NaN matches NaN; infinities must match exactly.
inline std::string mismatch(const ember::Tensor& actual, const ember::Tensor& expected,
                            double rtol, double atol) {
  std::ostringstream out;
  out.precision(17);
  if (!actual.defined() || !expected.defined()) {
    if (actual.defined() != expected.defined()) {
      out << (actual.defined() ? "expected" : "actual") << " tensor is undefined";
    }
    return out.str();
  }
  if (actual.shape() != expected.shape()) {
    out << "shape " << ember::format_shape(actual.shape()) << " vs expected "
        << ember::format_shape(expected.shape());
    return out.str();
  }
  if (actual.dtype() != expected.dtype()) {
    out << "dtype " << ember::dtype_name(actual.dtype()) << " vs expected "
        << ember::dtype_name(expected.dtype());
    return out.str();
  }

  std::vector<double> a = actual.to_vector<double>();
  std::vector<double> e = expected.to_vector<double>();
  for (size_t k = 0; k < a.size(); ++k) {
    bool both_nan = std::isnan(a[k]) && std::isnan(e[k]);
    bool same_inf = std::isinf(e[k]) && a[k] == e[k];
    bool close = std::abs(a[k] - e[k]) <= atol + rtol * std::abs(e[k]);
    if (!(both_nan || same_inf || close)) {
      out << "element " << k << " of " << ember::format_shape(actual.shape()) << ": " << a[k]
          << " vs expected " << e[k];
      out.precision(3);
      out << " (rtol " << rtol << ", atol " << atol << ")";
      return out.str();
    }
  }
  return out.str();
}

// Tolerances that fit a dtype's rounding: float32 ops are compared loosely,
// float64 and integer results tightly.
inline double default_rtol(ember::DType dtype) {
  return dtype == ember::kFloat32 ? 1e-5 : 1e-12;
}
inline double default_atol(ember::DType dtype) {
  return dtype == ember::kFloat32 ? 1e-6 : 1e-12;
}

// Matches an ember::Error whose message contains every fragment, so a test
// pins the op name, the shapes and the dtypes without copying whole sentences.
class ErrorMentions : public Catch::MatcherBase<ember::Error> {
 public:
  ErrorMentions(std::initializer_list<std::string> fragments) : fragments_(fragments) {}

  bool match(const ember::Error& error) const override {
    std::string message = error.what();
    for (const std::string& fragment : fragments_) {
      if (message.find(fragment) == std::string::npos) return false;
    }
    return true;
  }

  std::string describe() const override {
    std::string text = "mentions";
    for (const std::string& fragment : fragments_) text += " \"" + fragment + "\"";
    return text;
  }

 private:
  std::vector<std::string> fragments_;
};

// A float64 tensor of standard normal values from a fixed seed.
inline ember::Tensor randn64(const ember::Shape& shape, uint64_t seed = 0) {
  ember::Generator generator(seed);
  return ember::randn(shape, ember::kFloat64, &generator);
}

}  // namespace ember_test

// CHECK that two tensors agree, printing the first differing element.
#define CHECK_CLOSE(actual, expected, rtol, atol)                                 \
  do {                                                                            \
    std::string ember_mismatch_ = ::ember_test::mismatch(actual, expected, rtol, atol); \
    INFO(ember_mismatch_);                                                        \
    CHECK(ember_mismatch_.empty());                                               \
  } while (false)

// CHECK that autograd's gradients of `function` at `inputs` match central
// differences, printing the first mismatch (input, element, both values).
#define CHECK_GRADCHECK(function, inputs, ...)                                    \
  do {                                                                            \
    ::ember::GradcheckResult ember_result_ =                                      \
        ::ember::check_gradients(function, inputs, ##__VA_ARGS__);                \
    INFO(ember_result_.message);                                                  \
    CHECK(ember_result_.ok);                                                      \
  } while (false)
