// Matches activations, softmax and losses against PyTorch 1.13: the cases in
// tests/fixtures/nn.txt (written by tools/make_nn_fixtures.py) hold inputs,
// outputs, an upstream gradient and the gradients PyTorch computed for every
// input it differentiates (targets included). The float64 cases away from
// kinks also go through gradcheck on the same inputs.

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>

#include "helpers.h"
#include "ops/activation.h"
#include "ops/loss.h"
#include "ops/softmax.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Reduction;
using ember::Tensor;
using ember::TensorList;
using ember_test::Fixture;

using OpFn = std::function<Tensor(const TensorList& x, const Fixture& p)>;

Reduction reduction(const Fixture& p) {
  const std::string& word = p.word("reduction");
  if (word == "none") return Reduction::None;
  if (word == "sum") return Reduction::Sum;
  if (word == "batchmean") return Reduction::BatchMean;
  REQUIRE(word == "mean");
  return Reduction::Mean;
}

OpFn unary(Tensor (*fn)(const Tensor&)) {
  return [fn](const TensorList& x, const Fixture&) { return fn(x[0]); };
}

// The optional third input of nll_loss, cross_entropy and binary_cross_entropy.
Tensor optional_weight(const TensorList& x) { return x.size() > 2 ? x[2] : Tensor(); }

const std::map<std::string, OpFn>& op_table() {
  using namespace ember;
  static const std::map<std::string, OpFn> table = {
      {"relu6", unary(relu6)},
      {"selu", unary(selu)},
      {"silu", unary(silu)},
      {"mish", unary(mish)},
      {"hardsigmoid", unary(hardsigmoid)},
      {"hardswish", unary(hardswish)},
      {"elu", [](auto& x, auto& p) { return elu(x[0], p.real("alpha")); }},
      {"softplus", [](auto& x, auto& p) {
         return softplus(x[0], p.real("beta"), p.real("threshold"));
       }},
      {"hardtanh", [](auto& x, auto& p) {
         return hardtanh(x[0], p.real("min_val"), p.real("max_val"));
       }},
      {"softmax", [](auto& x, auto& p) { return softmax(x[0], p.integer("dim")); }},
      {"log_softmax", [](auto& x, auto& p) { return log_softmax(x[0], p.integer("dim")); }},

      {"mse_loss", [](auto& x, auto& p) { return mse_loss(x[0], x[1], reduction(p)); }},
      {"l1_loss", [](auto& x, auto& p) { return l1_loss(x[0], x[1], reduction(p)); }},
      {"smooth_l1_loss", [](auto& x, auto& p) {
         return smooth_l1_loss(x[0], x[1], {.beta = p.real("beta"), .reduction = reduction(p)});
       }},
      {"huber_loss", [](auto& x, auto& p) {
         return huber_loss(x[0], x[1], {.delta = p.real("delta"), .reduction = reduction(p)});
       }},
      {"nll_loss", [](auto& x, auto& p) {
         return nll_loss(x[0], x[1], {.weight = optional_weight(x),
                                      .reduction = reduction(p)});
       }},
      {"cross_entropy", [](auto& x, auto& p) {
         return cross_entropy(
             x[0], x[1],
             {.weight = optional_weight(x),
              .ignore_index = p.has("ignore_index") ? p.integer("ignore_index") : -100,
              .label_smoothing = p.has("label_smoothing") ? p.real("label_smoothing") : 0.0,
              .reduction = reduction(p)});
       }},
      {"binary_cross_entropy", [](auto& x, auto& p) {
         return binary_cross_entropy(x[0], x[1], {.weight = optional_weight(x),
                                                  .reduction = reduction(p)});
       }},
      {"binary_cross_entropy_with_logits", [](auto& x, auto& p) {
         size_t next = 2;
         Tensor weight = p.integer("weight") != 0 ? x[next++] : Tensor();
         Tensor pos_weight = p.integer("pos_weight") != 0 ? x[next++] : Tensor();
         return binary_cross_entropy_with_logits(
             x[0], x[1], {.weight = weight, .pos_weight = pos_weight,
                          .reduction = reduction(p)});
       }},
      {"kl_div", [](auto& x, auto& p) {
         return kl_div(x[0], x[1], {.log_target = p.integer("log_target") != 0,
                                    .reduction = reduction(p)});
       }},
      {"cosine_embedding_loss", [](auto& x, auto& p) {
         return cosine_embedding_loss(x[0], x[1], x[2], {.margin = p.real("margin"),
                                                         .reduction = reduction(p)});
       }},
      {"margin_ranking_loss", [](auto& x, auto& p) {
         return margin_ranking_loss(x[0], x[1], x[2], {.margin = p.real("margin"),
                                                       .reduction = reduction(p)});
       }},
  };
  return table;
}

std::vector<Fixture> fixtures() {
  static const std::vector<Fixture> all =
      ember_test::read_fixtures(std::string(EMBER_FIXTURES_DIR) + "/nn.txt");
  return all;
}

// Inputs from the fixture; those PyTorch computed a gradient for require grad.
TensorList make_inputs(const Fixture& fixture) {
  TensorList inputs;
  for (int i = 0; i < fixture.input_count(); ++i) {
    Tensor input = ember_test::make_tensor(fixture.tensors.at("in" + std::to_string(i)));
    if (fixture.has_tensor("grad" + std::to_string(i))) input.requires_grad_(true);
    inputs.push_back(input);
  }
  return inputs;
}

// float32 kernels round differently from PyTorch's (other vector math and
// summation order); float64 agrees to the last few bits. `rtol64` loosens
// float64 where PyTorch itself computes with a float constant.
void check_matches(const Tensor& actual, const Tensor& expected, const std::string& what,
                   double rtol64 = 1e-12) {
  bool single = expected.dtype() == ember::kFloat32;
  std::string problem = ember_test::mismatch(actual, expected, single ? 1e-5 : rtol64,
                                             single ? 2e-6 : 1e-12);
  INFO(what << ": " << problem);
  CHECK(problem.empty());
}

void run_case(const Fixture& fixture) {
  auto op = op_table().find(fixture.op);
  REQUIRE(op != op_table().end());
  TensorList inputs = make_inputs(fixture);

  Tensor out = op->second(inputs, fixture);

  check_matches(out, ember_test::make_tensor(fixture.tensors.at("out")), "out");
  if (!fixture.has_tensor("gout")) return;
  out.backward(ember_test::make_tensor(fixture.tensors.at("gout")));
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string key = "grad" + std::to_string(i);
    if (!fixture.has_tensor(key)) continue;
    Tensor expected = ember_test::make_tensor(fixture.tensors.at(key));
    Tensor actual = inputs[i].grad();
    if (!actual.defined()) actual = ember::zeros(expected.shape(), expected.dtype());
    // PyTorch's hardsigmoid gradient multiplies by the float 1.0f / 6.0f in
    // float64 too (3e-8 off); ember uses 1/6 in the input's own precision.
    double rtol64 = fixture.op == "hardsigmoid" ? 1e-7 : 1e-12;
    check_matches(actual, expected, key, rtol64);
  }
}

bool is_float64(const Fixture& fixture) {
  const std::string& name = fixture.name;
  return name.size() > 4 && name.compare(name.size() - 4, 4, "_f64") == 0;
}

}  // namespace

TEST_CASE("every nn fixture names an op the parity table knows", "[parity][nn]") {
  REQUIRE_FALSE(fixtures().empty());
  for (const Fixture& fixture : fixtures()) {
    INFO("case " << fixture.name);
    CHECK(op_table().count(fixture.op) == 1);
  }
}

TEST_CASE("activations, softmax and losses match PyTorch values and gradients",
          "[parity][nn]") {
  for (const Fixture& fixture : fixtures()) {
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      run_case(fixture);
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
  }
}

TEST_CASE("activations, softmax and losses pass gradcheck on the PyTorch fixture inputs",
          "[parity][nn][gradcheck]") {
  int checked = 0;
  for (const Fixture& fixture : fixtures()) {
    if (!is_float64(fixture) || !fixture.gradcheck || !fixture.has_tensor("gout")) continue;
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      const OpFn& op = op_table().at(fixture.op);
      auto function = [&](const TensorList& x) { return op(x, fixture); };
      CHECK_GRADCHECK(function, make_inputs(fixture));
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
    ++checked;
  }
  CHECK(checked > 100);
}
