// Matches batch_norm, group_norm, layer_norm and instance_norm against
// PyTorch 1.13: the fixtures in tests/fixtures/norm.txt (written by
// tools/make_norm_fixtures.py) hold the input, weight, bias and running
// statistics, PyTorch's output, the running statistics after the call, an
// upstream gradient and the input, weight and bias gradients. Cases cover
// 2-D to 5-D inputs, training and evaluation, the cumulative average,
// missing weight or bias, batches of one, non-contiguous inputs, rows longer
// than one vector, and inputs with a large offset. The float64 cases also go
// through gradcheck on the same inputs.

#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>

#include "framework/gradcheck.h"
#include "helpers.h"
#include "ops/normalization.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::Fixture;

const char* const kFixtures = EMBER_FIXTURES_DIR "/norm.txt";

Tensor optional_tensor(const Fixture& p, const std::string& key) {
  return p.has_tensor(key) ? ember_test::make_tensor(p.tensors.at(key)) : Tensor();
}

// The inputs that take gradients: the input, then weight and bias when given.
struct Inputs {
  TensorList list;  // input, weight, bias (undefined where absent)
  Tensor running_mean;
  Tensor running_var;
};

Inputs make_inputs(const Fixture& p) {
  Inputs inputs;
  for (const char* key : {"in0", "weight", "bias"}) {
    Tensor t = optional_tensor(p, key);
    if (t.defined()) t.requires_grad_(true);
    inputs.list.push_back(t);
  }
  inputs.running_mean = optional_tensor(p, "running_mean");
  inputs.running_var = optional_tensor(p, "running_var");
  return inputs;
}

// The op a fixture names, on (input, weight, bias); it updates the given
// running statistics in place, as the op does.
std::function<Tensor(const TensorList&)> op_for(const Fixture& p, const Tensor& running_mean,
                                                const Tensor& running_var) {
  const double eps = p.real("eps");
  if (p.op == "batch_norm") {
    const bool training = p.integer("training") != 0;
    std::optional<double> momentum;
    if (p.word("momentum") != "none") momentum = p.real("momentum");
    Tensor batches;
    if (p.has("num_batches_tracked")) {
      batches = ember::scalar_tensor(static_cast<double>(p.integer("num_batches_tracked")),
                                     ember::kInt64);
    }
    return [=](const TensorList& x) {
      // A fresh counter per call, so repeated calls see the same factor.
      Tensor counter = batches.defined() ? batches.clone() : Tensor();
      return ember::batch_norm(x[0], running_mean, running_var, x[1], x[2], training, momentum,
                               eps, counter);
    };
  }
  if (p.op == "group_norm") {
    const int64_t groups = p.integer("num_groups");
    return [=](const TensorList& x) { return ember::group_norm(x[0], groups, x[1], x[2], eps); };
  }
  if (p.op == "layer_norm") {
    const Shape shape = p.integers("normalized_shape");
    return [=](const TensorList& x) { return ember::layer_norm(x[0], shape, x[1], x[2], eps); };
  }
  REQUIRE(p.op == "instance_norm");
  const bool use_input_stats = p.integer("use_input_stats") != 0;
  const double momentum = p.real("momentum");
  return [=](const TensorList& x) {
    return ember::instance_norm(x[0], running_mean, running_var, x[1], x[2], use_input_stats,
                                momentum, eps);
  };
}

// float32: the sums run in another order than PyTorch's over up to ~100 terms.
void check_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
  const bool single = expected.dtype() == ember::kFloat32;
  std::string problem = ember_test::mismatch(actual, expected, single ? 1e-5 : 1e-10,
                                             single ? 2e-5 : 1e-10);
  INFO(what << ": " << problem);
  CHECK(problem.empty());
}

void run_parity_case(const Fixture& p) {
  Inputs inputs = make_inputs(p);

  Tensor out = op_for(p, inputs.running_mean, inputs.running_var)(inputs.list);
  out.backward(ember_test::make_tensor(p.tensors.at("gout")));

  check_matches(out, ember_test::make_tensor(p.tensors.at("out")), "out");
  if (p.has_tensor("running_mean_out")) {
    check_matches(inputs.running_mean, ember_test::make_tensor(p.tensors.at("running_mean_out")),
                  "running_mean");
    check_matches(inputs.running_var, ember_test::make_tensor(p.tensors.at("running_var_out")),
                  "running_var");
  }
  const char* grad_keys[] = {"grad0", "grad_weight", "grad_bias"};
  for (size_t i = 0; i < inputs.list.size(); ++i) {
    if (!inputs.list[i].defined()) continue;
    REQUIRE(p.has_tensor(grad_keys[i]));
    check_matches(inputs.list[i].grad(), ember_test::make_tensor(p.tensors.at(grad_keys[i])),
                  grad_keys[i]);
  }
}

bool is_float64(const Fixture& p) {
  return p.name.size() > 4 && p.name.compare(p.name.size() - 4, 4, "_f64") == 0;
}

}  // namespace

TEST_CASE("normalization ops match PyTorch values, running statistics and gradients",
          "[parity][norm]") {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  REQUIRE(fixtures.size() > 30);

  for (const Fixture& fixture : fixtures) {
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      run_parity_case(fixture);
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
  }
}

TEST_CASE("normalization ops pass gradcheck on the PyTorch fixture inputs",
          "[gradcheck][norm]") {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(kFixtures);
  int checked = 0;

  for (const Fixture& fixture : fixtures) {
    if (!is_float64(fixture)) continue;
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      Inputs inputs = make_inputs(fixture);
      // Undefined entries (no weight or bias) stay out of the checked list.
      TensorList defined;
      std::vector<int> slot;
      for (int i = 0; i < 3; ++i) {
        if (!inputs.list[i].defined()) continue;
        defined.push_back(inputs.list[i]);
        slot.push_back(i);
      }
      auto op = op_for(fixture, inputs.running_mean, inputs.running_var);
      auto function = [op, slot](const TensorList& x) {
        TensorList full(3);
        for (size_t k = 0; k < slot.size(); ++k) full[slot[k]] = x[k];
        return op(full);
      };
      CHECK_GRADCHECK(function, defined);
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
    ++checked;
  }

  CHECK(checked > 25);
}
