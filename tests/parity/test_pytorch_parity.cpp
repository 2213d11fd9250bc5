// Matches every differentiable op against PyTorch 1.13: the fixtures in
// tests/fixtures/ hold inputs, outputs, an upstream gradient and the input
// gradients PyTorch computed (tools/make_fixtures.py writes them). The float64
// cases also go through gradcheck, so each op's gradient is checked against
// finite differences on the same awkward inputs (broadcast, size-1, empty,
// non-contiguous).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "framework/autograd/grad_mode.h"
#include "framework/gradcheck.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/reduce.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Shape;
using ember::Tensor;
using ember::TensorList;
using ember_test::Fixture;

// Runs the ember op a fixture names on `x`; returns its outputs in PyTorch's order.
using OpFn = std::function<TensorList(const TensorList& x, const Fixture& p)>;

std::optional<double> optional_real(const Fixture& p, const std::string& key) {
  return p.has(key) ? std::optional<double>(p.real(key)) : std::nullopt;
}

double alpha(const Fixture& p) { return p.has("alpha") ? p.real("alpha") : 1.0; }

// Applies an in-place method to a clone of x[0], so gradients flow back to
// x[0] through the rebased history, as with PyTorch's `x.clone().add_(...)`.
OpFn on_clone(std::function<void(Tensor&, const TensorList&, const Fixture&)> method) {
  return [method](const TensorList& x, const Fixture& p) -> TensorList {
    Tensor y = x[0].clone();
    method(y, x, p);
    return {y};
  };
}

OpFn unary(Tensor (*fn)(const Tensor&)) {
  return [fn](const TensorList& x, const Fixture&) -> TensorList { return {fn(x[0])}; };
}

OpFn binary(Tensor (*fn)(const Tensor&, const Tensor&)) {
  return [fn](const TensorList& x, const Fixture&) -> TensorList { return {fn(x[0], x[1])}; };
}

OpFn with_scalar(Tensor (*fn)(const Tensor&, double)) {
  return [fn](const TensorList& x, const Fixture& p) -> TensorList {
    return {fn(x[0], p.real("value"))};
  };
}

const std::map<std::string, OpFn>& op_table() {
  using namespace ember;
  static const std::map<std::string, OpFn> table = {
      // arithmetic
      {"add", [](auto& x, auto& p) -> TensorList {
         return {p.has("alpha") ? add(x[0], x[1], alpha(p)) : x[0] + x[1]};
       }},
      {"sub", [](auto& x, auto& p) -> TensorList {
         return {p.has("alpha") ? sub(x[0], x[1], alpha(p)) : x[0] - x[1]};
       }},
      {"mul", [](auto& x, auto&) -> TensorList { return {x[0] * x[1]}; }},
      {"div", [](auto& x, auto&) -> TensorList { return {x[0] / x[1]}; }},
      {"add_scalar", [](auto& x, auto& p) -> TensorList { return {x[0] + p.real("value")}; }},
      {"sub_scalar", [](auto& x, auto& p) -> TensorList { return {x[0] - p.real("value")}; }},
      {"mul_scalar", [](auto& x, auto& p) -> TensorList { return {x[0] * p.real("value")}; }},
      {"div_scalar", [](auto& x, auto& p) -> TensorList { return {x[0] / p.real("value")}; }},
      {"rsub_scalar", [](auto& x, auto& p) -> TensorList { return {p.real("value") - x[0]}; }},
      {"rdiv_scalar", [](auto& x, auto& p) -> TensorList { return {p.real("value") / x[0]}; }},
      {"neg", [](auto& x, auto&) -> TensorList { return {-x[0]}; }},
      {"square", unary(ember::square)},
      {"pow_scalar", [](auto& x, auto& p) -> TensorList {
         return {ember::pow(x[0], p.real("exponent"))};
       }},
      {"pow_tensor", binary(ember::pow)},

      // unary and activations
      {"exp", unary(ember::exp)},
      {"log", unary(ember::log)},
      {"sqrt", unary(ember::sqrt)},
      {"abs", unary(ember::abs)},
      {"relu", unary(ember::relu)},
      {"sigmoid", unary(ember::sigmoid)},
      {"tanh", unary(ember::tanh)},
      {"gelu", [](auto& x, auto& p) -> TensorList {
         return {gelu(x[0], p.word("approximate"))};
       }},
      {"leaky_relu", [](auto& x, auto& p) -> TensorList {
         return {leaky_relu(x[0], p.real("negative_slope"))};
       }},
      {"clamp", [](auto& x, auto& p) -> TensorList {
         return {clamp(x[0], optional_real(p, "min"), optional_real(p, "max"))};
       }},

      // selection and comparison
      {"maximum", binary(ember::maximum)},
      {"minimum", binary(ember::minimum)},
      {"where", [](auto& x, auto&) -> TensorList { return {where(x[0], x[1], x[2])}; }},
      {"where_scalar_other", [](auto& x, auto& p) -> TensorList {
         return {where(x[0], x[1], p.real("value"))};
       }},
      {"where_scalar_self", [](auto& x, auto& p) -> TensorList {
         return {where(x[0], p.real("value"), x[1])};
       }},
      {"masked_fill", [](auto& x, auto& p) -> TensorList {
         return {masked_fill(x[0], x[1], p.real("value"))};
       }},
      {"eq", binary(ember::eq)},
      {"ne", binary(ember::ne)},
      {"lt", binary(ember::lt)},
      {"le", binary(ember::le)},
      {"gt", binary(ember::gt)},
      {"ge", binary(ember::ge)},
      {"eq_scalar", with_scalar(ember::eq)},
      {"ne_scalar", with_scalar(ember::ne)},
      {"lt_scalar", with_scalar(ember::lt)},
      {"le_scalar", with_scalar(ember::le)},
      {"gt_scalar", with_scalar(ember::gt)},
      {"ge_scalar", with_scalar(ember::ge)},

      // reductions
      {"sum", [](auto& x, auto&) -> TensorList { return {sum(x[0])}; }},
      {"sum_dims", [](auto& x, auto& p) -> TensorList {
         return {sum(x[0], p.integers("dims"), p.integer("keepdim") != 0)};
       }},
      {"mean", [](auto& x, auto&) -> TensorList { return {mean(x[0])}; }},
      {"mean_dims", [](auto& x, auto& p) -> TensorList {
         return {mean(x[0], p.integers("dims"), p.integer("keepdim") != 0)};
       }},
      {"max_all", [](auto& x, auto&) -> TensorList { return {max(x[0])}; }},
      {"min_all", [](auto& x, auto&) -> TensorList { return {min(x[0])}; }},
      {"max_dim", [](auto& x, auto& p) -> TensorList {
         auto [values, indices] = max(x[0], p.integer("dim"), p.integer("keepdim") != 0);
         return {values, indices};
       }},
      {"min_dim", [](auto& x, auto& p) -> TensorList {
         auto [values, indices] = min(x[0], p.integer("dim"), p.integer("keepdim") != 0);
         return {values, indices};
       }},
      {"argmax_all", [](auto& x, auto&) -> TensorList { return {argmax(x[0])}; }},
      {"argmax_dim", [](auto& x, auto& p) -> TensorList {
         return {argmax(x[0], p.integer("dim"), p.integer("keepdim") != 0)};
       }},
      {"var_all", [](auto& x, auto& p) -> TensorList {
         return {var(x[0], {}, p.integer("correction"))};
       }},
      {"var_dims", [](auto& x, auto& p) -> TensorList {
         return {var(x[0], p.integers("dims"), p.integer("correction"),
                     p.integer("keepdim") != 0)};
       }},
      {"std_all", [](auto& x, auto& p) -> TensorList {
         return {ember::std(x[0], {}, p.integer("correction"))};
       }},
      {"std_dims", [](auto& x, auto& p) -> TensorList {
         return {ember::std(x[0], p.integers("dims"), p.integer("correction"),
                            p.integer("keepdim") != 0)};
       }},

      // linear algebra
      {"matmul", binary(ember::matmul)},
      {"mm", binary(ember::mm)},
      {"bmm", binary(ember::bmm)},
      {"dot", binary(ember::dot)},
      {"linear", [](auto& x, auto&) -> TensorList {
         return {x.size() == 3 ? linear(x[0], x[1], x[2]) : linear(x[0], x[1])};
       }},

      // joining and indexing
      {"cat", [](auto& x, auto& p) -> TensorList { return {cat(x, p.integer("dim"))}; }},
      {"stack", [](auto& x, auto& p) -> TensorList { return {stack(x, p.integer("dim"))}; }},
      {"index_select", [](auto& x, auto& p) -> TensorList {
         return {index_select(x[0], p.integer("dim"), x[1])};
       }},
      {"gather", [](auto& x, auto& p) -> TensorList {
         return {gather(x[0], p.integer("dim"), x[1])};
       }},
      {"scatter_add", [](auto& x, auto& p) -> TensorList {
         return {scatter_add(x[0], p.integer("dim"), x[1], x[2])};
       }},
      {"one_hot", [](auto& x, auto& p) -> TensorList {
         return {one_hot(x[0], p.integer("num_classes"))};
       }},

      // views and conversions
      {"permute", [](auto& x, auto& p) -> TensorList {
         return {x[0].permute(p.integers("dims"))};
       }},
      {"transpose", [](auto& x, auto& p) -> TensorList {
         return {x[0].transpose(p.integer("dim0"), p.integer("dim1"))};
       }},
      {"t", [](auto& x, auto&) -> TensorList { return {x[0].t()}; }},
      {"expand", [](auto& x, auto& p) -> TensorList {
         return {x[0].expand(p.integers("shape"))};
       }},
      {"narrow", [](auto& x, auto& p) -> TensorList {
         return {x[0].narrow(p.integer("dim"), p.integer("start"), p.integer("length"))};
       }},
      {"select", [](auto& x, auto& p) -> TensorList {
         return {x[0].select(p.integer("dim"), p.integer("index"))};
       }},
      {"slice", [](auto& x, auto& p) -> TensorList {
         return {x[0].slice(p.integer("dim"), p.integer("start"), p.integer("end"),
                            p.integer("step"))};
       }},
      {"reshape", [](auto& x, auto& p) -> TensorList {
         return {x[0].reshape(p.integers("shape"))};
       }},
      {"view", [](auto& x, auto& p) -> TensorList {
         return {x[0].view(p.integers("shape"))};
       }},
      {"squeeze_all", [](auto& x, auto&) -> TensorList { return {x[0].squeeze()}; }},
      {"squeeze_dim", [](auto& x, auto& p) -> TensorList {
         return {x[0].squeeze(p.integer("dim"))};
       }},
      {"unsqueeze", [](auto& x, auto& p) -> TensorList {
         return {x[0].unsqueeze(p.integer("dim"))};
       }},
      {"flatten", [](auto& x, auto& p) -> TensorList {
         return {x[0].flatten(p.integer("start"), p.integer("end"))};
       }},
      {"contiguous", [](auto& x, auto&) -> TensorList { return {x[0].contiguous()}; }},
      {"to_float64", [](auto& x, auto&) -> TensorList { return {x[0].to(kFloat64)}; }},
      {"to_float32", [](auto& x, auto&) -> TensorList { return {x[0].to(kFloat32)}; }},
      {"view_chain", [](auto& x, auto&) -> TensorList {
         return {x[0].permute({2, 0, 1}).select(0, 1).unsqueeze(0).expand({2, 2, 3}) * 2.0};
       }},

      // in place, on a clone
      {"add_", on_clone([](Tensor& y, auto& x, auto& p) { y.add_(x[1], alpha(p)); })},
      {"sub_", on_clone([](Tensor& y, auto& x, auto& p) { y.sub_(x[1], alpha(p)); })},
      {"mul_", on_clone([](Tensor& y, auto& x, auto&) { y.mul_(x[1]); })},
      {"div_", on_clone([](Tensor& y, auto& x, auto&) { y.div_(x[1]); })},
      {"add_scalar_", on_clone([](Tensor& y, auto&, auto& p) { y.add_(p.real("value")); })},
      {"mul_scalar_", on_clone([](Tensor& y, auto&, auto& p) { y.mul_(p.real("value")); })},
      {"div_scalar_", on_clone([](Tensor& y, auto&, auto& p) { y.div_(p.real("value")); })},
      {"clamp_", on_clone([](Tensor& y, auto&, auto& p) {
         y.clamp_(optional_real(p, "min"), optional_real(p, "max"));
       })},
      {"relu_", on_clone([](Tensor& y, auto&, auto&) { y.relu_(); })},
      {"neg_", on_clone([](Tensor& y, auto&, auto&) { y.neg_(); })},
      {"exp_", on_clone([](Tensor& y, auto&, auto&) { y.exp_(); })},
      {"sqrt_", on_clone([](Tensor& y, auto&, auto&) { y.sqrt_(); })},
      {"pow_", on_clone([](Tensor& y, auto&, auto& p) { y.pow_(p.real("exponent")); })},
      {"fill_", on_clone([](Tensor& y, auto&, auto& p) { y.fill_(p.real("value")); })},
      {"masked_fill_", on_clone([](Tensor& y, auto& x, auto& p) {
         y.masked_fill_(x[1], p.real("value"));
       })},
      {"copy_", on_clone([](Tensor& y, auto& x, auto&) { y.copy_(x[1]); })},
  };
  return table;
}

std::string fixture_path(const std::string& group) {
  return std::string(EMBER_FIXTURES_DIR) + "/" + group + ".txt";
}

// Inputs from the fixture; those PyTorch computed a gradient for require grad.
TensorList make_inputs(const Fixture& fixture) {
  TensorList inputs;
  for (int i = 0; i < fixture.input_count(); ++i) {
    std::string key = "in" + std::to_string(i);
    Tensor input = ember_test::make_tensor(fixture.tensors.at(key));
    if (fixture.has_tensor("grad" + std::to_string(i))) input.requires_grad_(true);
    inputs.push_back(input);
  }
  return inputs;
}

// Tolerances by dtype: float32 kernels may round differently from PyTorch's
// (other summation order, other vector math), float64 only at the last bits.
void check_matches(const Tensor& actual, const Tensor& expected, const std::string& what,
                   double float32_atol) {
  double rtol = 0.0;
  double atol = 0.0;
  if (expected.dtype() == ember::kFloat32) {
    rtol = 1e-5;
    atol = float32_atol;
  } else if (expected.dtype() == ember::kFloat64) {
    rtol = 1e-12;
    atol = 1e-12;
  }
  std::string problem = ember_test::mismatch(actual, expected, rtol, atol);
  INFO(what << ": " << problem);
  CHECK(problem.empty());
}

void run_parity_case(const Fixture& fixture) {
  auto op = op_table().find(fixture.op);
  REQUIRE(op != op_table().end());

  TensorList inputs = make_inputs(fixture);
  TensorList outputs = op->second(inputs, fixture);

  bool single = fixture.has_tensor("out");
  for (size_t k = 0; k < (single ? 1 : outputs.size()); ++k) {
    std::string key = single ? "out" : "out" + std::to_string(k);
    REQUIRE(fixture.has_tensor(key));
    check_matches(outputs[k], ember_test::make_tensor(fixture.tensors.at(key)), key, 1e-6);
  }
  if (!fixture.has_tensor("gout")) return;

  outputs[0].backward(ember_test::make_tensor(fixture.tensors.at("gout")));
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string key = "grad" + std::to_string(i);
    if (!fixture.has_tensor(key)) continue;
    Tensor expected = ember_test::make_tensor(fixture.tensors.at(key));
    // No gradient at all reads as zeros, which PyTorch materializes.
    Tensor actual = inputs[i].grad();
    if (!actual.defined()) actual = ember::zeros(expected.shape(), expected.dtype());
    check_matches(actual, expected, key, 1e-5);
  }
}

void run_parity_group(const std::string& group) {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(fixture_path(group));
  REQUIRE_FALSE(fixtures.empty());
  for (const Fixture& fixture : fixtures) {
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      run_parity_case(fixture);
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
  }
}

// The float64 cases whose inputs sit away from kinks and ties, through gradcheck.
void run_gradcheck_group(const std::string& group) {
  std::vector<Fixture> fixtures = ember_test::read_fixtures(fixture_path(group));
  int checked = 0;
  for (const Fixture& fixture : fixtures) {
    bool float64 = fixture.name.size() > 4 &&
                   fixture.name.compare(fixture.name.size() - 4, 4, "_f64") == 0;
    if (!float64 || !fixture.gradcheck || !fixture.has_tensor("gout")) continue;
    INFO("case " << fixture.name << " (op " << fixture.op << ")");
    try {
      const OpFn& op = op_table().at(fixture.op);
      auto function = [&](const TensorList& x) { return op(x, fixture)[0]; };
      CHECK_GRADCHECK(function, make_inputs(fixture));
    } catch (const std::exception& error) {
      FAIL_CHECK("threw: " << error.what());
    }
    ++checked;
  }
  CHECK(checked > 0);
}

const char* const kGroups[] = {"arithmetic", "unary", "activation", "selection", "reduce",
                               "linalg", "indexing", "views", "inplace"};

}  // namespace

TEST_CASE("every make_fixtures.py file is read by a parity test and every op has an entry",
          "[parity]") {
  std::set<std::string> groups(std::begin(kGroups), std::end(kGroups));

  // Other scripts may write fixtures here too; only make_fixtures.py's are ours.
  for (const auto& entry : std::filesystem::directory_iterator(EMBER_FIXTURES_DIR)) {
    std::ifstream file(entry.path());
    std::string header;
    std::getline(file, header);
    if (header.find("tools/make_fixtures.py") == std::string::npos) continue;
    INFO("fixture file " << entry.path().string());
    CHECK(groups.count(entry.path().stem().string()) == 1);
  }
  for (const std::string& group : groups) {
    for (const Fixture& fixture : ember_test::read_fixtures(fixture_path(group))) {
      INFO("case " << fixture.name);
      CHECK(op_table().count(fixture.op) == 1);
    }
  }
}

TEST_CASE("arithmetic ops match PyTorch values and gradients", "[parity]") {
  run_parity_group("arithmetic");
}
TEST_CASE("unary math ops match PyTorch values and gradients", "[parity]") {
  run_parity_group("unary");
}
TEST_CASE("activations match PyTorch values and gradients", "[parity]") {
  run_parity_group("activation");
}
TEST_CASE("maximum, minimum, where, masked_fill and comparisons match PyTorch",
          "[parity]") {
  run_parity_group("selection");
}
TEST_CASE("reductions match PyTorch values and gradients", "[parity]") {
  run_parity_group("reduce");
}
TEST_CASE("matmul and linear match PyTorch values and gradients", "[parity]") {
  run_parity_group("linalg");
}
TEST_CASE("cat, stack, gather, scatter_add and one_hot match PyTorch", "[parity]") {
  run_parity_group("indexing");
}
TEST_CASE("views match PyTorch values and gradients", "[parity]") {
  run_parity_group("views");
}
TEST_CASE("in-place ops match PyTorch values and gradients through a clone", "[parity]") {
  run_parity_group("inplace");
}

TEST_CASE("arithmetic ops pass gradcheck on the fixture inputs", "[gradcheck]") {
  run_gradcheck_group("arithmetic");
}
TEST_CASE("unary math ops pass gradcheck on the fixture inputs", "[gradcheck]") {
  run_gradcheck_group("unary");
}
TEST_CASE("activations pass gradcheck on the fixture inputs", "[gradcheck]") {
  run_gradcheck_group("activation");
}
TEST_CASE("maximum, minimum, where and masked_fill pass gradcheck", "[gradcheck]") {
  run_gradcheck_group("selection");
}
TEST_CASE("reductions pass gradcheck on the fixture inputs", "[gradcheck]") {
  run_gradcheck_group("reduce");
}
TEST_CASE("matmul and linear pass gradcheck on the fixture inputs", "[gradcheck]") {
  run_gradcheck_group("linalg");
}
TEST_CASE("cat, stack, index_select, gather and scatter_add pass gradcheck",
          "[gradcheck]") {
  run_gradcheck_group("indexing");
}
TEST_CASE("views pass gradcheck on the fixture inputs", "[gradcheck]") {
  run_gradcheck_group("views");
}
TEST_CASE("in-place ops pass gradcheck through a clone", "[gradcheck]") {
  run_gradcheck_group("inplace");
}
