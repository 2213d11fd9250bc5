#include "data/detail/random_draws.h"

#include <algorithm>
#include <cmath>

#include "framework/error.h"

namespace ember::data::detail {
namespace {

// 53 bits from two Philox words as a value in [0, 1).
double unit_double(uint32_t high, uint32_t low) {
  uint64_t bits = (static_cast<uint64_t>(high) << 32 | low) >> 11;
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

// log of a Gamma(shape, 1) draw. Working in logs keeps the shape < 1 boost
// (log U / shape can be -1e4) from underflowing before Beta divides.
double log_gamma_draw(Generator& generator, double shape) {
  if (shape < 1.0) {
    double boost = std::log(1.0 - uniform(generator)) / shape;  // 1 - U lies in (0, 1]
    return log_gamma_draw(generator, shape + 1.0) + boost;
  }

  // Marsaglia-Tsang: accept d * v for v = (1 + c x)^3, x standard normal.
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = normal(generator);
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    double u = 1.0 - uniform(generator);
    // The squeeze accepts most draws without a logarithm.
    if (u < 1.0 - 0.0331 * x * x * x * x) return std::log(d * v);
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return std::log(d * v);
  }
}

void check_shape(double shape, const char* op, const char* name) {
  EMBER_CHECK(shape > 0.0 && std::isfinite(shape), op, ": ", name,
              " must be positive and finite, got ", shape);
}

}  // namespace

double uniform(Generator& generator) {
  std::array<uint32_t, 4> bits = generator.block(generator.reserve(1));
  return unit_double(bits[0], bits[1]);
}

double uniform(Generator& generator, double low, double high) {
  return low + (high - low) * uniform(generator);
}

int64_t uniform_int(Generator& generator, int64_t n) {
  EMBER_ASSERT(n >= 1);
  auto value = static_cast<int64_t>(uniform(generator) * static_cast<double>(n));
  return std::min(value, n - 1);
}

double normal(Generator& generator) {
  std::array<uint32_t, 4> bits = generator.block(generator.reserve(1));
  double u1 = 1.0 - unit_double(bits[0], bits[1]);  // (0, 1]: the log stays finite
  double u2 = unit_double(bits[2], bits[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double sample_gamma(Generator& generator, double shape) {
  check_shape(shape, "sample_gamma", "shape");
  return std::exp(log_gamma_draw(generator, shape));
}

double sample_beta(Generator& generator, double a, double b) {
  check_shape(a, "sample_beta", "a");
  check_shape(b, "sample_beta", "b");
  double log_a = log_gamma_draw(generator, a);
  double log_b = log_gamma_draw(generator, b);
  // Ga / (Ga + Gb) = 1 / (1 + Gb / Ga); exp overflowing to inf gives 0.
  return 1.0 / (1.0 + std::exp(log_b - log_a));
}

}  // namespace ember::data::detail
