#include "framework/random.h"

#include <cmath>
#include <numeric>

#include "framework/autograd/grad_mode.h"
#include "framework/autograd/node.h"
#include "framework/dispatch.h"
#include "framework/parallel.h"

namespace ember {
namespace {

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): ten rounds of multiply-xor over a 128-bit counter and 64-bit key.
std::array<uint32_t, 4> philox(uint64_t counter_low, uint64_t counter_high, uint64_t key) {
  constexpr uint32_t kMul0 = 0xD2511F53;
  constexpr uint32_t kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9;
  constexpr uint32_t kWeyl1 = 0xBB67AE85;
  uint32_t c0 = static_cast<uint32_t>(counter_low);
  uint32_t c1 = static_cast<uint32_t>(counter_low >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_high);
  uint32_t c3 = static_cast<uint32_t>(counter_high >> 32);
  uint32_t k0 = static_cast<uint32_t>(key);
  uint32_t k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t product0 = static_cast<uint64_t>(kMul0) * c0;
    uint64_t product1 = static_cast<uint64_t>(kMul1) * c2;
    uint32_t next0 = static_cast<uint32_t>(product1 >> 32) ^ c1 ^ k0;
    uint32_t next2 = static_cast<uint32_t>(product0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(product1);
    c3 = static_cast<uint32_t>(product0);
    c0 = next0;
    c2 = next2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {c0, c1, c2, c3};
}

Generator& resolve(Generator* generator) {
  return generator != nullptr ? *generator : default_generator();
}

// 24 (float) or 53 (double) random bits as a value in [0, 1).
inline float unit_float(uint32_t bits) { return (bits >> 8) * (1.0f / 16777216.0f); }
inline double unit_double(uint32_t high, uint32_t low) {
  uint64_t bits = (static_cast<uint64_t>(high) << 32 | low) >> 11;
  return bits * (1.0 / 9007199254740992.0);
}

// Fills n values; value i comes from counter first + i / per_block, so the
// result does not depend on how the range is split across threads.
template <typename Fill>
void fill_blocks(int64_t n, int64_t per_block, uint64_t first, const Generator& generator,
                 const Fill& fill) {
  int64_t blocks = (n + per_block - 1) / per_block;
  parallel_for(0, blocks, 2048, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) fill(b, generator.block(first + b));
  });
}

}  // namespace

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::reserve(uint64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t first = offset_;
  offset_ += count;
  return first;
}

std::array<uint32_t, 4> Generator::block(uint64_t counter) const {
  return philox(counter, 0, seed_);
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

void uniform_(Tensor& x, double low, double high, Generator* generator) {
  check_inplace(x, "uniform_");
  EMBER_CHECK(low <= high, "uniform_: low ", low, " is greater than high ", high);
  Generator& source = resolve(generator);
  Tensor dense = x.is_contiguous() ? x : empty(x.shape(), x.dtype());
  int64_t n = dense.numel();
  double span = high - low;

  EMBER_DISPATCH_FLOATING(x.dtype(), "uniform_", [&] {
    scalar_t* data = dense.data_ptr<scalar_t>();
    constexpr bool is_float = std::is_same_v<scalar_t, float>;
    constexpr int64_t per_block = is_float ? 4 : 2;
    uint64_t first = source.reserve((n + per_block - 1) / per_block);
    fill_blocks(n, per_block, first, source, [&](int64_t b, std::array<uint32_t, 4> bits) {
      for (int64_t j = 0; j < per_block && b * per_block + j < n; ++j) {
        double unit = is_float ? unit_float(bits[j]) : unit_double(bits[2 * j], bits[2 * j + 1]);
        scalar_t value = static_cast<scalar_t>(low + span * unit);
        // Rounding can land on `high`; keep the interval half-open.
        if (value >= static_cast<scalar_t>(high) && span > 0) {
          value = std::nextafter(static_cast<scalar_t>(high), static_cast<scalar_t>(low));
        }
        data[b * per_block + j] = value;
      }
    });
  });
  if (!dense.same(x)) {
    NoGradGuard no_grad;
    x.copy_(dense);
  }
  x.storage()->bump_version();
}

void normal_(Tensor& x, double mean, double std, Generator* generator) {
  check_inplace(x, "normal_");
  EMBER_CHECK(std >= 0, "normal_: std must be non-negative, got ", std);
  Generator& source = resolve(generator);
  Tensor dense = x.is_contiguous() ? x : empty(x.shape(), x.dtype());
  int64_t n = dense.numel();

  EMBER_DISPATCH_FLOATING(x.dtype(), "normal_", [&] {
    scalar_t* data = dense.data_ptr<scalar_t>();
    // Box-Muller: each block of four words yields two normals from 64-bit
    // uniforms, so float and double draw the same values.
    uint64_t first = source.reserve((n + 1) / 2);
    fill_blocks(n, 2, first, source, [&](int64_t b, std::array<uint32_t, 4> bits) {
      double u1 = 1.0 - unit_double(bits[0], bits[1]);  // (0, 1]: log stays finite
      double u2 = unit_double(bits[2], bits[3]);
      double radius = std::sqrt(-2.0 * std::log(u1));
      double angle = 2.0 * M_PI * u2;
      data[2 * b] = static_cast<scalar_t>(mean + std * radius * std::cos(angle));
      if (2 * b + 1 < n) {
        data[2 * b + 1] = static_cast<scalar_t>(mean + std * radius * std::sin(angle));
      }
    });
  });
  if (!dense.same(x)) {
    NoGradGuard no_grad;
    x.copy_(dense);
  }
  x.storage()->bump_version();
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  EMBER_CHECK(is_floating(options.dtype), "rand: needs a floating dtype, got ",
              dtype_name(options.dtype));
  Tensor result = empty(shape, options.dtype);
  uniform_(result, 0.0, 1.0, generator);
  return options.requires_grad ? result.requires_grad_(true) : result;
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  EMBER_CHECK(is_floating(options.dtype), "randn: needs a floating dtype, got ",
              dtype_name(options.dtype));
  Tensor result = empty(shape, options.dtype);
  normal_(result, 0.0, 1.0, generator);
  return options.requires_grad ? result.requires_grad_(true) : result;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
  EMBER_CHECK(low < high, "randint: low ", low, " must be less than high ", high);
  Generator& source = resolve(generator);
  Tensor values = empty(shape, kInt64);
  int64_t n = values.numel();
  auto range = static_cast<uint64_t>(high - low);
  int64_t* data = values.data_ptr<int64_t>();

  // 64 random bits per value, reduced by multiply-shift: bias below 2^-32
  // for any range under 2^32.
  uint64_t first = source.reserve((n + 1) / 2);
  fill_blocks(n, 2, first, source, [&](int64_t b, std::array<uint32_t, 4> bits) {
    for (int64_t j = 0; j < 2 && 2 * b + j < n; ++j) {
      uint64_t word = static_cast<uint64_t>(bits[2 * j]) << 32 | bits[2 * j + 1];
      auto scaled = static_cast<uint64_t>((static_cast<unsigned __int128>(word) * range) >> 64);
      data[2 * b + j] = low + static_cast<int64_t>(scaled);
    }
  });
  return options.dtype == kInt64 ? values : values.to(options.dtype);
}

Tensor randperm(int64_t n, Generator* generator) {
  EMBER_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  Generator& source = resolve(generator);
  Tensor result = arange(static_cast<double>(n));
  int64_t* data = result.data_ptr<int64_t>();

  // Fisher-Yates, drawing one counter block per swap.
  uint64_t first = source.reserve(static_cast<uint64_t>(n));
  for (int64_t i = n - 1; i > 0; --i) {
    auto bits = source.block(first + i);
    uint64_t word = static_cast<uint64_t>(bits[0]) << 32 | bits[1];
    auto j = static_cast<int64_t>((static_cast<unsigned __int128>(word) * (i + 1)) >> 64);
    std::swap(data[i], data[j]);
  }
  return result;
}

}  // namespace ember
