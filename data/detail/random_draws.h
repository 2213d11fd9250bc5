#pragma once

#include <cstdint>

#include "framework/random.h"

// Single random numbers for transforms (a flip decision, a crop offset, a
// mixing weight). Each draw takes the generator's next Philox counter, so a
// transform's draws depend only on the generator it is handed.
namespace ember::data::detail {

// Uniform on [0, 1), 53 random bits.
double uniform(Generator& generator);

// Uniform on [low, high).
double uniform(Generator& generator, double low, double high);

// Uniform integer in [0, n); n >= 1.
int64_t uniform_int(Generator& generator, int64_t n);

// Standard normal (Box-Muller).
double normal(Generator& generator);

// Gamma(shape, 1) by Marsaglia and Tsang, "A simple method for generating
// gamma variables" (ACM TOMS 26(3), 2000); shape < 1 boosts a Gamma(shape + 1)
// draw by U^(1/shape). Very small shapes can underflow to 0.
// Throws ember::Error when shape is not positive and finite.
double sample_gamma(Generator& generator, double shape);

// Beta(a, b) as Ga / (Ga + Gb) for Ga ~ Gamma(a), Gb ~ Gamma(b), formed from
// the draws' logarithms so small a and b still give a value in [0, 1].
// Throws ember::Error when a or b is not positive and finite.
double sample_beta(Generator& generator, double a, double b);

}  // namespace ember::data::detail
