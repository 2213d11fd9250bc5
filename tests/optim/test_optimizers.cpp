// The optimizers against PyTorch 1.13 (trajectories over 20 steps recorded by
// tools/make_optim_fixtures.py in tests/fixtures/optim.txt), and their
// bookkeeping: parameter groups, options, state_dict round trips, errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/parallel.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "optim/optim.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Tensor;
using ember_test::ErrorMentions;
using ember_test::Fixture;
namespace optim = ember::optim;

// ---- the fixed problem of the fixture file ----

struct Problem {
  std::vector<Tensor> init;  // p0..p3; p2 non-contiguous
  Tensor w0;
  Tensor t2;
};

const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all =
      ember_test::read_fixtures(std::string(EMBER_FIXTURES_DIR) + "/optim.txt");
  return all;
}

Problem problem() {
  const Fixture& f = fixtures().at(0);
  REQUIRE(f.name == "problem");
  Problem p;
  for (int k = 0; k < 4; ++k) {
    p.init.push_back(ember_test::make_tensor(f.tensors.at("p" + std::to_string(k))));
  }
  p.w0 = ember_test::make_tensor(f.tensors.at("w0"));
  p.t2 = ember_test::make_tensor(f.tensors.at("t2"));
  return p;
}

// Fresh leaves holding the problem's initial values (same layouts) in `dtype`.
std::vector<Tensor> fresh_params(const Problem& p, ember::DType dtype) {
  std::vector<Tensor> params;
  for (const Tensor& x : p.init) {
    Tensor copy = x.is_contiguous() ? x.to(dtype).clone() : x.t().to(dtype).clone().t();
    params.push_back(copy.detach().requires_grad_(true));
  }
  return params;
}

// loss = sum(w0 p0^2) + sum(p1^4) / 4 - sum(p1) + sum(tanh(p2) t2) + sum(p0) sum(p2) / 10
Tensor loss(const std::vector<Tensor>& p, const Tensor& w0, const Tensor& t2) {
  return (w0 * p[0] * p[0]).sum() + 0.25 * p[1].pow(4).sum() - p[1].sum() +
         (p[2].tanh() * t2).sum() + 0.1 * p[0].sum() * p[2].sum();
}

// p0, p1, p2 flattened into one row, as the fixture stores them.
Tensor flat_state(const std::vector<Tensor>& p) {
  std::vector<double> values;
  for (int k = 0; k < 3; ++k) {
    for (double v : p[k].to_vector<double>()) values.push_back(v);
  }
  return ember::tensor(values);
}

// ---- options from the fixture's KEY=VALUE words ----

template <class Options>
Options parse_options(const std::vector<std::string>& words) {
  Options options;
  for (const std::string& word : words) {
    const size_t eq = word.find('=');
    const std::string key = word.substr(0, eq);
    const std::string text = word.substr(eq + 1);
    bool found = false;
    Options::for_each_field(options, [&](const char* name, auto& value) {
      using V = std::decay_t<decltype(value)>;
      if (key != name) return;
      found = true;
      if constexpr (std::is_same_v<V, bool>) {
        value = text == "1";
      } else if constexpr (std::is_same_v<V, double>) {
        value = std::strtod(text.c_str(), nullptr);
      } else {
        const size_t comma = text.find(',');
        value = {std::strtod(text.substr(0, comma).c_str(), nullptr),
                 std::strtod(text.substr(comma + 1).c_str(), nullptr)};
      }
    });
    INFO("option " << key);
    REQUIRE(found);
  }
  return options;
}

std::vector<std::string> group_words(const Fixture& f, int group) {
  auto found = f.params.find("group" + std::to_string(group));
  return found == f.params.end() ? std::vector<std::string>{} : found->second;
}

using Factory =
    std::function<std::unique_ptr<optim::Optimizer>(const Fixture&, const std::vector<Tensor>&)>;

// One group [p0 p1 p2 p3], or two: [p0 p1] and [p2 p3].
template <class Algorithm, class Options>
Factory factory() {
  return [](const Fixture& f, const std::vector<Tensor>& p) -> std::unique_ptr<optim::Optimizer> {
    if (f.integer("groups") == 1) {
      return std::make_unique<Algorithm>(p, parse_options<Options>(group_words(f, 0)));
    }
    return std::make_unique<Algorithm>(std::vector<optim::ParamGroup<Options>>{
        {{p[0], p[1]}, parse_options<Options>(group_words(f, 0))},
        {{p[2], p[3]}, parse_options<Options>(group_words(f, 1))}});
  };
}

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"SGD", factory<optim::SGD, optim::SGDOptions>()},
      {"Adagrad", factory<optim::Adagrad, optim::AdagradOptions>()},
      {"Adadelta", factory<optim::Adadelta, optim::AdadeltaOptions>()},
      {"RMSprop", factory<optim::RMSprop, optim::RMSpropOptions>()},
      {"Adam", factory<optim::Adam, optim::AdamOptions>()},
      {"AdamW", factory<optim::AdamW, optim::AdamWOptions>()},
      {"NAdam", factory<optim::NAdam, optim::NAdamOptions>()},
      {"RAdam", factory<optim::RAdam, optim::RAdamOptions>()},
  };
  return table;
}

// Largest |actual - expected| / |expected| over the elements (|expected| >= 1e-3).
double max_relative_error(const Tensor& actual, const Tensor& expected) {
  std::vector<double> a = actual.to_vector<double>();
  std::vector<double> e = expected.to_vector<double>();
  double worst = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    worst = std::max(worst, std::abs(a[k] - e[k]) / std::max(std::abs(e[k]), 1e-3));
  }
  return worst;
}

// Runs a fixture case in `dtype`; returns the largest relative error seen.
double run_case(const Fixture& f, const Problem& problem, ember::DType dtype) {
  std::vector<Tensor> p = fresh_params(problem, dtype);
  Tensor w0 = problem.w0.to(dtype);
  Tensor t2 = problem.t2.to(dtype);
  std::unique_ptr<optim::Optimizer> optimizer = factories().at(f.op)(f, p);
  Tensor expected = ember_test::make_tensor(f.tensors.at("trajectory"));
  REQUIRE(expected.shape() == ember::Shape{20, 23});

  double worst = 0;
  for (int64_t step = 0; step < 20; ++step) {
    optimizer->zero_grad();
    loss(p, w0, t2).backward();
    optimizer->step();
    worst = std::max(worst, max_relative_error(flat_state(p), expected[step]));
  }
  CHECK(p[3].to_vector<double>() == problem.init[3].to(dtype).to_vector<double>());
  CHECK_FALSE(p[3].grad().defined());
  return worst;
}

// ---- helpers for the bookkeeping tests ----

// A leaf of `shape` with values from `seed`.
Tensor leaf(const ember::Shape& shape, uint64_t seed, ember::DType dtype = ember::kFloat32) {
  ember::Generator generator(seed);
  return ember::randn(shape, dtype, &generator).detach().requires_grad_(true);
}

// Sets every parameter's gradient to values drawn from `seed`.
void set_grads(const std::vector<Tensor>& params, uint64_t seed) {
  ember::Generator generator(seed);
  for (const Tensor& p : params) p.set_grad(ember::randn(p.shape(), p.dtype(), &generator));
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor x = a.contiguous();
  Tensor y = b.contiguous();
  return std::memcmp(x.raw_data(), y.raw_data(),
                     static_cast<size_t>(x.numel()) * ember::element_size(x.dtype())) == 0;
}

std::vector<Tensor> clone_leaves(const std::vector<Tensor>& params) {
  std::vector<Tensor> copies;
  for (const Tensor& p : params) copies.push_back(p.detach().clone().requires_grad_(true));
  return copies;
}

// Every algorithm, configured so that every state entry it has is in use.
using Maker = std::function<std::unique_ptr<optim::Optimizer>(const std::vector<Tensor>&)>;

template <class Algorithm, class Options>
Maker maker(const Options& options) {
  return [options](const std::vector<Tensor>& params) {
    return std::make_unique<Algorithm>(params, options);
  };
}

std::vector<std::pair<std::string, Maker>> all_algorithms() {
  using namespace optim;
  return {
      {"SGD", maker<SGD>(SGDOptions{.lr = 0.01, .momentum = 0.9, .nesterov = true})},
      {"Adagrad", maker<Adagrad>(AdagradOptions{.lr_decay = 0.01})},
      {"Adadelta", maker<Adadelta>(AdadeltaOptions{})},
      {"RMSprop", maker<RMSprop>(RMSpropOptions{.momentum = 0.9, .centered = true})},
      {"Adam", maker<Adam>(AdamOptions{.amsgrad = true})},
      {"AdamW", maker<AdamW>(AdamWOptions{.amsgrad = true})},
      {"NAdam", maker<NAdam>(NAdamOptions{})},
      {"RAdam", maker<RAdam>(RAdamOptions{})},
  };
}

}  // namespace

TEST_CASE("optimizers follow PyTorch's trajectories over 20 steps", "[optim][parity]") {
  const Problem p = problem();
  REQUIRE(fixtures().size() == 41);
  for (size_t i = 1; i < fixtures().size(); ++i) {
    const Fixture& f = fixtures()[i];
    DYNAMIC_SECTION(f.name) {
      double error = run_case(f, p, ember::kFloat64);

      INFO("largest relative error " << error);
      CHECK(error <= 1e-6);
    }
  }
}

TEST_CASE("float32 optimizers stay close to PyTorch's float64 trajectories", "[optim][parity]") {
  const Problem p = problem();
  for (size_t i = 1; i < fixtures().size(); ++i) {
    const Fixture& f = fixtures()[i];
    DYNAMIC_SECTION(f.name) {
      double error = run_case(f, p, ember::kFloat32);

      INFO("largest relative error " << error);
      CHECK(error <= 1e-3);
    }
  }
}

TEST_CASE("optimizer state_dict resumes a run bit for bit", "[optim]") {
  for (auto& [name, make] : all_algorithms()) {
    DYNAMIC_SECTION(name) {
      // 40000 elements: above the parallel grain, not a multiple of the batch.
      std::vector<Tensor> params = {leaf({200, 201}, 1), leaf({7}, 2), leaf({3, 5}, 3)};
      auto first = make(params);
      for (uint64_t step = 0; step < 10; ++step) {
        set_grads(params, 100 + step);
        first->step();
      }

      ember::StateDict saved = first->state_dict();
      std::vector<Tensor> resumed_params = clone_leaves(params);
      auto resumed = make(resumed_params);
      resumed->load_state_dict(saved);
      for (uint64_t step = 10; step < 20; ++step) {
        set_grads(params, 100 + step);
        set_grads(resumed_params, 100 + step);
        first->step();
        resumed->step();
      }

      for (size_t k = 0; k < params.size(); ++k) {
        CHECK(bitwise_equal(params[k], resumed_params[k]));
      }
      ember::StateDict again = first->state_dict();
      ember::StateDict again_resumed = resumed->state_dict();
      REQUIRE(again.keys() == again_resumed.keys());
      for (const auto& [key, value] : again) CHECK(bitwise_equal(value, again_resumed.at(key)));
      CHECK(again.metadata() == again_resumed.metadata());
    }
  }
}

TEST_CASE("optimizer state_dict uses PyTorch's names", "[optim]") {
  std::vector<Tensor> params = {leaf({2, 3}, 1), leaf({4}, 2), leaf({5}, 3)};
  optim::Adam adam({{{params[0]}, {.lr = 0.1}}, {{params[1], params[2]}, {.amsgrad = true}}});
  set_grads({params[0], params[2]}, 7);  // params[1] has no gradient: no state

  adam.step();
  ember::StateDict state = adam.state_dict();

  CHECK(state.keys() == std::vector<std::string>{
                            "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq",
                            "state.2.step", "state.2.exp_avg", "state.2.exp_avg_sq",
                            "state.2.max_exp_avg_sq"});
  CHECK(state.at("state.2.step").dtype() == ember::kInt64);
  CHECK(state.at("state.2.step").item<int64_t>() == 1);
  CHECK(state.at("state.2.exp_avg").shape() == ember::Shape{5});
  CHECK(state.metadata().at("optimizer") == "Adam");
  CHECK(state.metadata().at("param_groups") ==
        R"([{"lr":0.1,"betas":[0.9,0.999],"eps":1e-08,"weight_decay":0.0,"amsgrad":false,)"
        R"("maximize":false,"params":[0]},{"lr":0.001,"betas":[0.9,0.999],"eps":1e-08,)"
        R"("weight_decay":0.0,"amsgrad":true,"maximize":false,"params":[1,2]}])");
}

TEST_CASE("load_state_dict restores options and copies the state", "[optim]") {
  std::vector<Tensor> params = {leaf({3}, 1)};
  optim::SGD source(params, {.lr = 0.1, .momentum = 0.9});
  set_grads(params, 2);
  source.step();
  source.set_lr(0, 0.025);
  ember::StateDict state = source.state_dict();

  optim::SGD target(clone_leaves(params), {.lr = 1.0});
  target.load_state_dict(state);
  Tensor saved_buffer = state.at("state.0.momentum_buffer");
  saved_buffer.mul_(2.0);  // the optimizer holds its own copy

  CHECK(target.lr(0) == 0.025);
  CHECK(target.momentum(0) == 0.9);
  CHECK(bitwise_equal(target.state(0).momentum_buffer, source.state(0).momentum_buffer));
}

TEST_CASE("load_state_dict converts floating state to the parameter's dtype", "[optim]") {
  std::vector<Tensor> params = {leaf({4}, 1)};
  optim::Adam source(params);
  set_grads(params, 2);
  source.step();

  std::vector<Tensor> doubles = {params[0].detach().to(ember::kFloat64).requires_grad_(true)};
  optim::Adam target(doubles);
  target.load_state_dict(source.state_dict());

  CHECK(target.state(0).exp_avg.dtype() == ember::kFloat64);
  CHECK(target.state(0).step == 1);
}

TEST_CASE("load_state_dict rejects a state that does not fit", "[optim]") {
  std::vector<Tensor> params = {leaf({2, 3}, 1), leaf({4}, 2)};
  optim::Adam adam(params);
  set_grads(params, 3);
  adam.step();
  const ember::StateDict good = adam.state_dict();

  SECTION("another algorithm") {
    optim::AdamW other(clone_leaves(params));
    CHECK_THROWS_MATCHES(other.load_state_dict(good), ember::Error,
                         ErrorMentions({"AdamW", "saved by Adam"}));
  }
  SECTION("another group count") {
    std::vector<Tensor> copies = clone_leaves(params);
    optim::Adam two({{{copies[0]}, {}}, {{copies[1]}, {}}});
    CHECK_THROWS_MATCHES(two.load_state_dict(good), ember::Error,
                         ErrorMentions({"Adam", "1 param groups", "has 2"}));
  }
  SECTION("another parameter count") {
    optim::Adam one({clone_leaves(params)[0]});
    CHECK_THROWS_MATCHES(one.load_state_dict(good), ember::Error,
                         ErrorMentions({"param group 0", "2 parameters", "1 in this"}));
  }
  SECTION("another shape") {
    optim::Adam reshaped({leaf({3, 2}, 1), leaf({4}, 2)});
    CHECK_THROWS_MATCHES(reshaped.load_state_dict(good), ember::Error,
                         ErrorMentions({"state.0.exp_avg", "[2, 3]", "[3, 2]"}));
  }
  SECTION("an unknown entry") {
    ember::StateDict bad = good;
    bad.insert("state.1.velocity", ember::zeros({4}));
    CHECK_THROWS_MATCHES(adam.load_state_dict(bad), ember::Error,
                         ErrorMentions({"unknown state entry 'velocity'"}));
  }
  SECTION("a parameter index out of range") {
    ember::StateDict bad = good;
    bad.insert("state.5.step", ember::zeros({}));
    CHECK_THROWS_MATCHES(adam.load_state_dict(bad), ember::Error,
                         ErrorMentions({"state.5.step", "parameter 5"}));
  }
  SECTION("a missing required entry") {
    ember::StateDict bad;
    for (const auto& [key, value] : good) {
      if (key != "state.1.exp_avg_sq") bad.insert(key, value);
    }
    bad.metadata() = good.metadata();
    CHECK_THROWS_MATCHES(adam.load_state_dict(bad), ember::Error,
                         ErrorMentions({"parameter 1", "state.1.exp_avg_sq"}));
  }
  SECTION("a non-integer step") {
    ember::StateDict bad = good;
    bad.set("state.0.step", ember::scalar_tensor(1.5));
    CHECK_THROWS_MATCHES(adam.load_state_dict(bad), ember::Error,
                         ErrorMentions({"state.0.step", "whole number"}));
  }
  SECTION("corrupt options") {
    ember::StateDict bad = good;
    bad.metadata()["param_groups"] = R"([{"lr":0.1,"params":[0,1]}])";
    CHECK_THROWS_MATCHES(adam.load_state_dict(bad), ember::Error,
                         ErrorMentions({"param group 0", "'betas'"}));
    bad.metadata()["param_groups"] = "[{";
    CHECK_THROWS_MATCHES(adam.load_state_dict(bad), ember::Error,
                         ErrorMentions({"not a JSON array"}));
  }
  SECTION("a failed load changes nothing") {
    ember::StateDict bad = good;
    bad.metadata()["param_groups"] =
        R"([{"lr":0.5,"betas":[0.9,0.999],"eps":1e-08,"weight_decay":0.0,"amsgrad":false,)"
        R"("maximize":false,"params":[0,1]}])";
    bad.insert("state.0.bogus", ember::zeros({1}));
    CHECK_THROWS_AS(adam.load_state_dict(bad), ember::Error);
    CHECK(adam.lr(0) == 0.001);
  }
}

TEST_CASE("optimizers reject invalid options naming the value", "[optim]") {
  using namespace optim;
  std::vector<Tensor> p = {leaf({2}, 1)};
  CHECK_THROWS_MATCHES(SGD(p, {}), ember::Error, ErrorMentions({"SGD", "lr is required"}));
  CHECK_THROWS_MATCHES(SGD(p, {.lr = -0.1}), ember::Error,
                       ErrorMentions({"SGD", "learning rate: -0.1"}));
  CHECK_THROWS_MATCHES(SGD(p, {.lr = 0.1, .momentum = -1}), ember::Error,
                       ErrorMentions({"SGD", "momentum value: -1"}));
  CHECK_THROWS_MATCHES(SGD(p, {.lr = 0.1, .nesterov = true}), ember::Error,
                       ErrorMentions({"SGD", "Nesterov", "momentum 0"}));
  CHECK_THROWS_MATCHES(SGD(p, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                       ember::Error, ErrorMentions({"Nesterov", "dampening 0.1"}));
  CHECK_THROWS_MATCHES(SGD(p, {.lr = 0.1, .weight_decay = -0.5}), ember::Error,
                       ErrorMentions({"SGD", "weight_decay value: -0.5"}));
  CHECK_THROWS_MATCHES(Adagrad(p, {.lr_decay = -1}), ember::Error,
                       ErrorMentions({"Adagrad", "lr_decay value: -1"}));
  CHECK_THROWS_MATCHES(Adagrad(p, {.initial_accumulator_value = -1}), ember::Error,
                       ErrorMentions({"Adagrad", "initial_accumulator_value value: -1"}));
  CHECK_THROWS_MATCHES(Adagrad(p, {.eps = -1}), ember::Error,
                       ErrorMentions({"Adagrad", "epsilon value: -1"}));
  CHECK_THROWS_MATCHES(Adadelta(p, {.rho = 1.5}), ember::Error,
                       ErrorMentions({"Adadelta", "rho value: 1.5"}));
  CHECK_THROWS_MATCHES(RMSprop(p, {.alpha = -0.1}), ember::Error,
                       ErrorMentions({"RMSprop", "alpha value: -0.1"}));
  CHECK_THROWS_MATCHES(RMSprop(p, {.momentum = -0.1}), ember::Error,
                       ErrorMentions({"RMSprop", "momentum value: -0.1"}));
  CHECK_THROWS_MATCHES(Adam(p, {.betas = {1.0, 0.999}}), ember::Error,
                       ErrorMentions({"Adam", "beta parameter at index 0: 1"}));
  CHECK_THROWS_MATCHES(Adam(p, {.betas = {0.9, -0.1}}), ember::Error,
                       ErrorMentions({"Adam", "beta parameter at index 1: -0.1"}));
  CHECK_THROWS_MATCHES(Adam(p, {.eps = -1e-8}), ember::Error,
                       ErrorMentions({"Adam", "epsilon value"}));
  CHECK_THROWS_MATCHES(AdamW(p, {.weight_decay = -0.01}), ember::Error,
                       ErrorMentions({"AdamW", "weight_decay value: -0.01"}));
  CHECK_THROWS_MATCHES(NAdam(p, {.momentum_decay = -1}), ember::Error,
                       ErrorMentions({"NAdam", "momentum_decay value: -1"}));
  CHECK_THROWS_MATCHES(RAdam(p, {.lr = -1}), ember::Error,
                       ErrorMentions({"RAdam", "learning rate: -1"}));

  Adam adam(p);
  CHECK_THROWS_MATCHES(adam.set_lr(0, -1.0), ember::Error, ErrorMentions({"Adam", "-1"}));
  CHECK_THROWS_MATCHES(adam.set_momentum(0, 1.0), ember::Error,
                       ErrorMentions({"Adam", "index 0"}));
  CHECK_THROWS_MATCHES(adam.lr(3), ember::Error, ErrorMentions({"param group 3", "1 groups"}));
}

TEST_CASE("optimizers accept only distinct leaf floating-point tensors", "[optim]") {
  using namespace optim;
  Tensor a = leaf({3}, 1);
  CHECK_THROWS_MATCHES(Adam(std::vector<Tensor>{}), ember::Error,
                       ErrorMentions({"Adam", "empty parameter list"}));
  CHECK_THROWS_MATCHES(Adam({a * 2.0}), ember::Error, ErrorMentions({"Adam", "non-leaf"}));
  CHECK_THROWS_MATCHES(Adam({ember::zeros({2}, ember::kInt64)}), ember::Error,
                       ErrorMentions({"Adam", "float32 or float64", "int64"}));
  CHECK_THROWS_MATCHES(Adam({a, a}), ember::Error, ErrorMentions({"Adam", "more than once"}));

  Adam adam({a});
  CHECK_THROWS_MATCHES(adam.add_param_group({a}), ember::Error,
                       ErrorMentions({"more than once"}));
  a.set_grad(ember::zeros({3}, ember::kFloat64));
  CHECK_THROWS_MATCHES(adam.step(), ember::Error,
                       ErrorMentions({"Adam", "gradient of parameter 0", "float64"}));
}

TEST_CASE("a parameter converted after its first step takes its state along", "[optim]") {
  Tensor p = leaf({3}, 1);
  optim::Adam adam({p});
  set_grads({p}, 2);
  adam.step();

  p.set_data(p.detach().to(ember::kFloat64));
  set_grads({p}, 3);
  adam.step();
  CHECK(adam.state_dict().at("state.0.exp_avg").dtype() == ember::kFloat64);

  // A reshaped parameter no longer fits.
  p.set_data(ember::zeros({4}, ember::kFloat64));
  p.set_grad(ember::zeros({4}, ember::kFloat64));
  CHECK_THROWS_MATCHES(adam.step(), ember::Error,
                       ErrorMentions({"Adam", "state 'exp_avg' of parameter 0", "[3]", "[4]",
                                      "new optimizer"}));
}

TEST_CASE("parameters without a gradient keep their values and get no state", "[optim]") {
  for (auto& [name, make] : all_algorithms()) {
    DYNAMIC_SECTION(name) {
      std::vector<Tensor> params = {leaf({5}, 1), leaf({6}, 2)};
      std::vector<float> before = params[1].to_vector<float>();
      auto optimizer = make(params);
      set_grads({params[0]}, 3);

      optimizer->step();
      ember::StateDict state = optimizer->state_dict();

      CHECK(params[1].to_vector<float>() == before);
      for (const std::string& key : state.keys()) CHECK(key.rfind("state.1.", 0) != 0);
      CHECK(state.contains(name == "SGD" ? "state.0.momentum_buffer" : "state.0.step"));
    }
  }
}

TEST_CASE("a non-contiguous parameter gets the same update as a contiguous one", "[optim]") {
  for (auto& [name, make] : all_algorithms()) {
    DYNAMIC_SECTION(name) {
      Tensor dense = leaf({37, 29}, 1);
      Tensor strided = dense.detach().t().clone().t().detach().requires_grad_(true);
      REQUIRE_FALSE(strided.is_contiguous());
      auto a = make({dense});
      auto b = make({strided});

      for (uint64_t step = 0; step < 3; ++step) {
        Tensor grad = leaf({29, 37}, 10 + step).detach().t();  // non-contiguous too
        dense.set_grad(grad.contiguous());
        strided.set_grad(grad);
        a->step();
        b->step();
      }

      CHECK_FALSE(strided.is_contiguous());
      CHECK(bitwise_equal(dense, strided));
    }
  }
}

TEST_CASE("optimizer updates do not depend on the thread count", "[optim]") {
  const int threads = ember::get_num_threads();
  for (auto& [name, make] : all_algorithms()) {
    DYNAMIC_SECTION(name) {
      std::vector<Tensor> one = {leaf({100003}, 1)};
      std::vector<Tensor> two = clone_leaves(one);
      auto a = make(one);
      auto b = make(two);

      for (uint64_t step = 0; step < 3; ++step) {
        set_grads(one, 20 + step);
        set_grads(two, 20 + step);
        ember::set_num_threads(1);
        a->step();
        ember::set_num_threads(2);
        b->step();
      }
      ember::set_num_threads(threads);

      CHECK(bitwise_equal(one[0], two[0]));
    }
  }
}

TEST_CASE("float32 and float64 updates agree", "[optim]") {
  for (auto& [name, make] : all_algorithms()) {
    DYNAMIC_SECTION(name) {
      std::vector<Tensor> singles = {leaf({1000}, 1)};
      std::vector<Tensor> doubles = {singles[0].detach().to(ember::kFloat64).requires_grad_(true)};
      auto a = make(singles);
      auto b = make(doubles);

      for (uint64_t step = 0; step < 5; ++step) {
        set_grads(doubles, 30 + step);
        singles[0].set_grad(doubles[0].grad().to(ember::kFloat32));
        a->step();
        b->step();
      }

      CHECK_CLOSE(singles[0].to(ember::kFloat64), doubles[0], 1e-4, 1e-5);
    }
  }
}

TEST_CASE("step bumps the parameter's version and records no graph", "[optim]") {
  Tensor p = leaf({4}, 1);
  optim::SGD sgd({p}, {.lr = 0.1});
  p.set_grad(ember::ones({4}));
  uint64_t version = p.version();

  sgd.step();

  CHECK(p.version() > version);
  CHECK(p.is_leaf());
  CHECK(p.requires_grad());
  CHECK(p.to_vector<float>() == (leaf({4}, 1).detach() - 0.1).to_vector<float>());
}

TEST_CASE("learning rate, momentum and options are per group", "[optim]") {
  using namespace optim;
  Tensor a = leaf({2}, 1);
  Tensor b = leaf({3}, 2);
  SGD sgd({a}, {.lr = 0.1, .momentum = 0.9});
  sgd.add_param_group({b}, {.lr = 0.01});

  REQUIRE(sgd.num_param_groups() == 2);
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.01);
  CHECK(sgd.momentum(0) == 0.9);
  CHECK(sgd.momentum(1) == 0.0);
  CHECK(sgd.params(1).at(0).same(b));

  sgd.set_lr(1, 0.5);
  sgd.set_momentum(0, 0.5);
  CHECK(sgd.options(1).lr == 0.5);
  CHECK(sgd.options(0).momentum == 0.5);

  Tensor c = leaf({1}, 3);
  sgd.add_param_group({c});  // the constructor's options
  CHECK(sgd.options(2).momentum == 0.9);

  Adam adam({a}, {.betas = {0.8, 0.99}});
  CHECK(adam.momentum(0) == 0.8);
  adam.set_momentum(0, 0.95);
  CHECK(adam.options(0).betas.first == 0.95);

  Adagrad adagrad({a});
  CHECK_FALSE(adagrad.momentum(0).has_value());
  adagrad.set_momentum(0, 0.3);  // no momentum: nothing to set
  CHECK(adagrad.to_string() ==
        "Adagrad (\nParameter Group 0 (1 tensors)\n    lr: 0.01\n    lr_decay: 0\n"
        "    weight_decay: 0\n    initial_accumulator_value: 0\n    eps: 1e-10\n"
        "    maximize: false\n)");
}

TEST_CASE("zero_grad drops or zeroes every gradient", "[optim]") {
  std::vector<Tensor> params = {leaf({2}, 1), leaf({3}, 2)};
  optim::RMSprop rmsprop(params);
  set_grads(params, 4);

  rmsprop.zero_grad(false);
  CHECK(params[1].grad().to_vector<float>() == std::vector<float>{0, 0, 0});

  rmsprop.zero_grad();
  CHECK_FALSE(params[0].grad().defined());
}
