// Matches max, average and adaptive pooling against PyTorch 1.13: the fixtures
// in tests/fixtures/pooling.txt (written by tools/make_pooling_fixtures.py)
// hold inputs, outputs (values and int64 indices for the *_with_indices ops),
// an upstream gradient and the input gradient PyTorch computed, on awkward
// cases: ceil_mode with a dropped last window, dilation, padding, stride above
// the kernel, ties and NaN, non-contiguous and channels-last inputs, unbatched
// inputs, 3-D volumes, adaptive sizes that do not divide the input. The
// float64 cases without ties or NaN also go through gradcheck.

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "framework/gradcheck.h"
#include "helpers.h"
#include "ops/pooling.h"
#include "parity/fixture_reader.h"

namespace {

using ember::PoolSizes;
using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::Fixture;

const char* const kFixtures = EMBER_FIXTURES_DIR "/pooling.txt";

// An op's outputs: values, plus indices for the *_with_indices ops.
using PoolFn = std::function<std::pair<Tensor, Tensor>(const Tensor&)>;

PoolSizes sizes(const Fixture& p, const std::string& key, PoolSizes fallback) {
  return p.has(key) ? PoolSizes(p.integers(key)) : fallback;
}

bool flag(const Fixture& p, const std::string& key, bool fallback) {
  return p.has(key) ? p.integer(key) != 0 : fallback;
}

ember::MaxPoolOptions max_options(const Fixture& p) {
  ember::MaxPoolOptions options;
  options.kernel_size = sizes(p, "kernel_size", {});
  options.stride = sizes(p, "stride", {});
  options.padding = sizes(p, "padding", 0);
  options.dilation = sizes(p, "dilation", 1);
  options.ceil_mode = flag(p, "ceil_mode", false);
  return options;
}

ember::AvgPoolOptions avg_options(const Fixture& p) {
  ember::AvgPoolOptions options;
  options.kernel_size = sizes(p, "kernel_size", {});
  options.stride = sizes(p, "stride", {});
  options.padding = sizes(p, "padding", 0);
  options.ceil_mode = flag(p, "ceil_mode", false);
  options.count_include_pad = flag(p, "count_include_pad", true);
  if (p.has("divisor_override")) options.divisor_override = p.integer("divisor_override");
  return options;
}

template <typename Fn>
PoolFn values_only(Fn fn) {
  return [fn](const Tensor& x) { return std::pair<Tensor, Tensor>(fn(x), Tensor()); };
}

// Runs the op a fixture names.
PoolFn op_for(const Fixture& p) {
  using MaxFn = Tensor (*)(const Tensor&, const ember::MaxPoolOptions&);
  using MaxIndicesFn = std::pair<Tensor, Tensor> (*)(const Tensor&,
                                                     const ember::MaxPoolOptions&);
  using AvgFn = Tensor (*)(const Tensor&, const ember::AvgPoolOptions&);
  using AdaptiveFn = Tensor (*)(const Tensor&, const PoolSizes&);
  static const std::map<std::string, MaxFn> max_ops = {
      {"max_pool1d", ember::max_pool1d},
      {"max_pool2d", ember::max_pool2d},
      {"max_pool3d", ember::max_pool3d}};
  static const std::map<std::string, MaxIndicesFn> max_indices_ops = {
      {"max_pool1d_with_indices", ember::max_pool1d_with_indices},
      {"max_pool2d_with_indices", ember::max_pool2d_with_indices},
      {"max_pool3d_with_indices", ember::max_pool3d_with_indices}};
  static const std::map<std::string, AvgFn> avg_ops = {
      {"avg_pool1d", ember::avg_pool1d},
      {"avg_pool2d", ember::avg_pool2d},
      {"avg_pool3d", ember::avg_pool3d}};
  static const std::map<std::string, AdaptiveFn> adaptive_ops = {
      {"adaptive_avg_pool1d", ember::adaptive_avg_pool1d},
      {"adaptive_avg_pool2d", ember::adaptive_avg_pool2d},
      {"adaptive_avg_pool3d", ember::adaptive_avg_pool3d},
      {"adaptive_max_pool2d", ember::adaptive_max_pool2d}};

  if (auto it = max_ops.find(p.op); it != max_ops.end()) {
    auto options = max_options(p);
    return values_only([fn = it->second, options](const Tensor& x) { return fn(x, options); });
  }
  if (auto it = max_indices_ops.find(p.op); it != max_indices_ops.end()) {
    auto options = max_options(p);
    return [fn = it->second, options](const Tensor& x) { return fn(x, options); };
  }
  if (auto it = avg_ops.find(p.op); it != avg_ops.end()) {
    auto options = avg_options(p);
    return values_only([fn = it->second, options](const Tensor& x) { return fn(x, options); });
  }
  if (auto it = adaptive_ops.find(p.op); it != adaptive_ops.end()) {
    PoolSizes size(p.integers("output_size"));
    return values_only([fn = it->second, size](const Tensor& x) { return fn(x, size); });
  }
  REQUIRE(p.op == "adaptive_max_pool2d_with_indices");
  PoolSizes size(p.integers("output_size"));
  return [size](const Tensor& x) { return ember::adaptive_max_pool2d_with_indices(x, size); };
}

// The same values stored [N, *spatial, C], viewed back as [N, C, *spatial].
Tensor to_channels_last(const Tensor& x) {
  Shape to_last = {0}, back = {0, x.dim() - 1};
  for (int64_t d = 2; d < x.dim(); ++d) to_last.push_back(d);
  to_last.push_back(1);
  for (int64_t d = 1; d < x.dim() - 1; ++d) back.push_back(d);
  return x.permute(to_last).contiguous().permute(back);
}

// The input from the fixture, in the layout PyTorch saw, requiring grad.
Tensor make_input(const Fixture& p) {
  Tensor input = ember_test::make_tensor(p.tensors.at("in0"));
  if (p.has("channels_last")) input = to_channels_last(input);
  input.requires_grad_(true);
  return input;
}

const Tensor expected(const Fixture& p, const std::string& key) {
  return ember_test::make_tensor(p.tensors.at(key));
}

// Max pooling picks elements exactly; average pooling sums in PyTorch's order
// but divides once where PyTorch's adaptive kernels divide per axis.
void check_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
  bool single = expected.dtype() == ember::kFloat32;
  std::string problem = ember_test::mismatch(actual, expected, single ? 1e-6 : 1e-14,
                                             single ? 1e-7 : 1e-15);
  INFO(what << ": " << problem);
  CHECK(problem.empty());
}

void run_parity_case(const Fixture& p) {
  Tensor input = make_input(p);
  bool with_indices = p.has_tensor("out1");

  auto [values, indices] = op_for(p)(input);
  values.backward(expected(p, "gout"));

  check_matches(values, expected(p, with_indices ? "out0" : "out"), "values");
  if (with_indices) check_matches(indices, expected(p, "out1"), "indices");
  REQUIRE(p.has_tensor("grad0"));
  check_matches(input.grad(), expected(p, "grad0"), "grad0");
}

bool is_float64(const Fixture& p) {
  return p.name.size() > 4 && p.name.compare(p.name.size() - 4, 4, "_f64") == 0;
}

}  // namespace

TEST_CASE("pooling ops match PyTorch values, indices and gradients", "[parity][ops]") {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  REQUIRE(fixtures.size() > 40);

  for (const Fixture& fixture : fixtures) {
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      run_parity_case(fixture);
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
  }
}

TEST_CASE("pooling ops pass gradcheck on the PyTorch fixture inputs", "[gradcheck][ops]") {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  int checked = 0;

  for (const Fixture& fixture : fixtures) {
    if (!is_float64(fixture) || !fixture.gradcheck) continue;
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    PoolFn op = op_for(fixture);
    try {
      CHECK_GRADCHECK([op](const TensorList& x) { return op(x[0]).first; },
                      TensorList{make_input(fixture)});
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
    ++checked;
  }

  CHECK(checked > 30);
}
