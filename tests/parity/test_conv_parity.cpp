// Matches conv1d/2d/3d and conv_transpose1d/2d/3d against PyTorch 1.13: the
// fixtures in tests/fixtures/conv.txt (written by tools/make_conv_fixtures.py)
// hold inputs, outputs, an upstream gradient and the input, weight and bias
// gradients PyTorch computed, on awkward cases: a batch of one, 1x1 kernels,
// stride above the kernel, dilation, groups and depthwise, asymmetric and
// "same" padding, non-contiguous and channels-last inputs, 3-D volumes. The
// float64 cases also go through gradcheck on the same inputs.

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>

#include "framework/gradcheck.h"
#include "helpers.h"
#include "ops/conv.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::Fixture;

const char* const kFixtures = EMBER_FIXTURES_DIR "/conv.txt";

ember::ConvSizes sizes(const Fixture& p, const std::string& key, int64_t fallback) {
  return p.has(key) ? ember::ConvSizes(p.integers(key)) : ember::ConvSizes(fallback);
}

ember::ConvOptions conv_options(const Fixture& p) {
  ember::ConvOptions options;
  options.stride = sizes(p, "stride", 1);
  options.dilation = sizes(p, "dilation", 1);
  options.groups = p.has("groups") ? p.integer("groups") : 1;
  if (p.has("padding")) {
    const std::string& first = p.word("padding");
    bool word = first == "same" || first == "valid";
    options.padding = word ? ember::ConvPadding(first) : ember::ConvPadding(p.integers("padding"));
  }
  return options;
}

ember::ConvTransposeOptions transpose_options(const Fixture& p) {
  ember::ConvTransposeOptions options;
  options.stride = sizes(p, "stride", 1);
  options.padding = sizes(p, "padding", 0);
  options.output_padding = sizes(p, "output_padding", 0);
  options.dilation = sizes(p, "dilation", 1);
  options.groups = p.has("groups") ? p.integer("groups") : 1;
  return options;
}

using ConvFn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&,
                          const ember::ConvOptions&);
using ConvTransposeFn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&,
                                   const ember::ConvTransposeOptions&);

// Runs the op a fixture names on (input, weight[, bias]).
std::function<Tensor(const TensorList&)> op_for(const Fixture& p) {
  static const std::map<std::string, ConvFn> convs = {
      {"conv1d", ember::conv1d}, {"conv2d", ember::conv2d}, {"conv3d", ember::conv3d}};
  static const std::map<std::string, ConvTransposeFn> transposed = {
      {"conv_transpose1d", ember::conv_transpose1d},
      {"conv_transpose2d", ember::conv_transpose2d},
      {"conv_transpose3d", ember::conv_transpose3d}};
  auto bias = [](const TensorList& x) { return x.size() > 2 ? x[2] : Tensor(); };

  if (auto it = convs.find(p.op); it != convs.end()) {
    ConvFn fn = it->second;
    ember::ConvOptions options = conv_options(p);
    return [=](const TensorList& x) { return fn(x[0], x[1], bias(x), options); };
  }
  auto it = transposed.find(p.op);
  REQUIRE(it != transposed.end());
  ConvTransposeFn fn = it->second;
  ember::ConvTransposeOptions options = transpose_options(p);
  return [=](const TensorList& x) { return fn(x[0], x[1], bias(x), options); };
}

// The same values stored [N, *spatial, C], viewed back as [N, C, *spatial].
Tensor to_channels_last(const Tensor& x) {
  Shape to_last = {0}, back = {0, x.dim() - 1};
  for (int64_t d = 2; d < x.dim(); ++d) to_last.push_back(d);
  to_last.push_back(1);
  for (int64_t d = 1; d < x.dim() - 1; ++d) back.push_back(d);
  return x.permute(to_last).contiguous().permute(back);
}

// Inputs from the fixture, in the layout PyTorch saw; all require grad.
TensorList make_inputs(const Fixture& p) {
  TensorList inputs;
  for (int i = 0; i < p.input_count(); ++i) {
    Tensor input = ember_test::make_tensor(p.tensors.at("in" + std::to_string(i)));
    if (i == 0 && p.has("channels_last")) input = to_channels_last(input);
    input.requires_grad_(true);
    inputs.push_back(input);
  }
  return inputs;
}

// float32: the sums run in another order than oneDNN's, over up to ~100 terms.
void check_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
  bool single = expected.dtype() == ember::kFloat32;
  std::string problem = ember_test::mismatch(actual, expected, single ? 1e-5 : 1e-12,
                                             single ? 2e-5 : 1e-12);
  INFO(what << ": " << problem);
  CHECK(problem.empty());
}

void run_parity_case(const Fixture& p) {
  TensorList inputs = make_inputs(p);

  Tensor out = op_for(p)(inputs);
  out.backward(ember_test::make_tensor(p.tensors.at("gout")));

  check_matches(out, ember_test::make_tensor(p.tensors.at("out")), "out");
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string key = "grad" + std::to_string(i);
    REQUIRE(p.has_tensor(key));
    check_matches(inputs[i].grad(), ember_test::make_tensor(p.tensors.at(key)), key);
  }
}

bool is_float64(const Fixture& p) {
  return p.name.size() > 4 && p.name.compare(p.name.size() - 4, 4, "_f64") == 0;
}

}  // namespace

TEST_CASE("convolutions match PyTorch values and gradients", "[parity][conv]") {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  REQUIRE(fixtures.size() > 20);

  for (const Fixture& fixture : fixtures) {
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      run_parity_case(fixture);
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
  }
}

TEST_CASE("convolutions pass gradcheck on the PyTorch fixture inputs", "[gradcheck][conv]") {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  int checked = 0;

  for (const Fixture& fixture : fixtures) {
    if (!is_float64(fixture)) continue;
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      CHECK_GRADCHECK(op_for(fixture), make_inputs(fixture));
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
    ++checked;
  }

  CHECK(checked > 20);
}
