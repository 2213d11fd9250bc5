// LR schedulers against PyTorch 1.13: tests/fixtures/scheduler.txt (written by
// tools/make_scheduler_fixtures.py) holds each group's learning rate (and
// OneCycle's momentum) after construction and after every step, for every
// scheduler over a grid of options. The same sequences must come back when a
// run is checkpointed halfway and resumed in fresh objects.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/state_dict.h"
#include "helpers.h"
#include "optim/adam.h"
#include "optim/cosine_annealing_lr.h"
#include "optim/lr_scheduler.h"
#include "optim/one_cycle_lr.h"
#include "optim/optimizer.h"
#include "optim/reduce_lr_on_plateau.h"
#include "optim/sgd.h"
#include "parity/fixture_reader.h"

namespace {

using ember::Error;
using ember::StateDict;
using ember::Tensor;
using ember_test::ErrorMentions;
using ember_test::Fixture;
using namespace ember::optim;

// An optimizer reduced to what schedulers touch: per-group learning rates and
// momenta (none when built without), saved in its state as metadata.
class FakeOptimizer final : public Optimizer {
 public:
  explicit FakeOptimizer(std::vector<double> lrs, bool has_momentum = true)
      : lrs_(std::move(lrs)), momenta_(has_momentum ? lrs_.size() : 0, 0.9) {}

  void step() override {}
  size_t num_param_groups() const override { return lrs_.size(); }
  const std::vector<Tensor>& params(size_t) const override { return params_; }
  double lr(size_t group) const override { return lrs_.at(group); }
  void set_lr(size_t group, double lr) override { lrs_.at(group) = lr; }

  std::optional<double> momentum(size_t group) const override {
    if (momenta_.empty()) return std::nullopt;
    return momenta_.at(group);
  }
  void set_momentum(size_t group, double value) override {
    if (!momenta_.empty()) momenta_.at(group) = value;
  }

  void add_group(double lr) {
    lrs_.push_back(lr);
    if (!momenta_.empty()) momenta_.push_back(0.9);
  }

  // Exact: every double goes through a float64 tensor.
  StateDict state_dict() const override {
    StateDict state;
    state.insert("lrs", ember::tensor(lrs_));
    if (!momenta_.empty()) state.insert("momenta", ember::tensor(momenta_));
    return state;
  }
  void load_state_dict(const StateDict& state) override {
    lrs_ = state.at("lrs").to_vector<double>();
    if (!momenta_.empty()) momenta_ = state.at("momenta").to_vector<double>();
  }

 private:
  std::vector<double> lrs_;
  std::vector<double> momenta_;
  std::vector<Tensor> params_;
};

std::vector<double> reals(const Fixture& f, const std::string& key) {
  std::vector<double> values;
  for (const std::string& text : f.param(key)) values.push_back(std::strtod(text.c_str(), nullptr));
  return values;
}

bool flag(const Fixture& f, const std::string& key, bool fallback) {
  return f.has(key) ? f.integer(key) != 0 : fallback;
}

// The functions the LambdaLR fixtures name (same arithmetic as the Python lambdas).
LambdaLR::Lambda named_lambda(const std::string& name) {
  if (name == "pow095") return [](int64_t epoch) { return std::pow(0.95, double(epoch)); };
  if (name == "step_decay") {
    return [](int64_t epoch) { return 1.0 / static_cast<double>(1 + epoch / 10); };
  }
  REQUIRE(name == "warmup5");
  return [](int64_t epoch) { return std::min(1.0, static_cast<double>(epoch + 1) / 5); };
}

OneCycleLROptions one_cycle_options(const Fixture& f) {
  OneCycleLROptions options{.max_lr = reals(f, "max_lr")};
  if (f.has("total_steps")) options.total_steps = f.integer("total_steps");
  if (f.has("epochs")) options.epochs = f.integer("epochs");
  if (f.has("steps_per_epoch")) options.steps_per_epoch = f.integer("steps_per_epoch");
  if (f.has("pct_start")) options.pct_start = f.real("pct_start");
  if (f.has("anneal_strategy") && f.word("anneal_strategy") == "linear") {
    options.anneal_strategy = AnnealStrategy::Linear;
  }
  options.cycle_momentum = flag(f, "cycle_momentum", true);
  if (f.has("base_momentum")) options.base_momentum = reals(f, "base_momentum");
  if (f.has("max_momentum")) options.max_momentum = reals(f, "max_momentum");
  if (f.has("div_factor")) options.div_factor = f.real("div_factor");
  if (f.has("final_div_factor")) options.final_div_factor = f.real("final_div_factor");
  options.three_phase = flag(f, "three_phase", false);
  return options;
}

ReduceLROnPlateauOptions plateau_options(const Fixture& f) {
  ReduceLROnPlateauOptions options;
  if (f.has("mode") && f.word("mode") == "max") options.mode = PlateauMode::Max;
  if (f.has("factor")) options.factor = f.real("factor");
  if (f.has("patience")) options.patience = f.integer("patience");
  if (f.has("threshold")) options.threshold = f.real("threshold");
  if (f.has("threshold_mode") && f.word("threshold_mode") == "abs") {
    options.threshold_mode = ThresholdMode::Abs;
  }
  if (f.has("cooldown")) options.cooldown = f.integer("cooldown");
  if (f.has("min_lr")) options.min_lr = reals(f, "min_lr");
  if (f.has("eps")) options.eps = f.real("eps");
  return options;
}

std::unique_ptr<LRScheduler> make_scheduler(const Fixture& f, Optimizer& optimizer) {
  const std::string& op = f.op;
  if (op == "StepLR") {
    return std::make_unique<StepLR>(optimizer, f.integer("step_size"), f.real("gamma"));
  }
  if (op == "MultiStepLR") {
    return std::make_unique<MultiStepLR>(optimizer, f.integers("milestones"), f.real("gamma"));
  }
  if (op == "ExponentialLR") return std::make_unique<ExponentialLR>(optimizer, f.real("gamma"));
  if (op == "CosineAnnealingLR" || op == "ExponentialThenCosine") {
    return std::make_unique<CosineAnnealingLR>(optimizer, f.integer("T_max"), f.real("eta_min"));
  }
  if (op == "CosineAnnealingWarmRestarts" || op == "CosineAnnealingWarmRestartsEpochs") {
    return std::make_unique<CosineAnnealingWarmRestarts>(
        optimizer, CosineAnnealingWarmRestartsOptions{.t_0 = f.integer("T_0"),
                                                      .t_mult = f.integer("T_mult"),
                                                      .eta_min = f.real("eta_min")});
  }
  if (op == "LinearLR") {
    return std::make_unique<LinearLR>(
        optimizer, LinearLROptions{.start_factor = f.real("start_factor"),
                                   .end_factor = f.real("end_factor"),
                                   .total_iters = f.integer("total_iters")});
  }
  if (op == "LambdaLR") {
    std::vector<LambdaLR::Lambda> lambdas;
    for (const std::string& name : f.param("lambdas")) lambdas.push_back(named_lambda(name));
    if (lambdas.size() == 1) return std::make_unique<LambdaLR>(optimizer, lambdas[0]);
    return std::make_unique<LambdaLR>(optimizer, lambdas);
  }
  if (op == "OneCycleLR") return std::make_unique<OneCycleLR>(optimizer, one_cycle_options(f));
  FAIL("unknown scheduler " << op);
  return nullptr;
}

// One fixture's objects: the optimizer and whichever scheduler(s) drive it.
struct Run {
  const Fixture& fixture;
  FakeOptimizer optimizer;
  std::unique_ptr<ExponentialLR> first;  // the chained case's other scheduler
  std::unique_ptr<LRScheduler> scheduler;
  std::unique_ptr<ReduceLROnPlateau> plateau;

  explicit Run(const Fixture& f) : fixture(f), optimizer(reals(f, "lrs")) {
    if (f.op == "ReduceLROnPlateau") {
      plateau = std::make_unique<ReduceLROnPlateau>(optimizer, plateau_options(f));
      return;
    }
    if (f.op == "ExponentialThenCosine") {
      first = std::make_unique<ExponentialLR>(optimizer, f.real("gamma"));
    }
    scheduler = make_scheduler(f, optimizer);
  }

  // The k-th step (0-based) the fixture recorded.
  void step(size_t k) {
    if (plateau) {
      plateau->step(reals(fixture, "metrics").at(k));
    } else if (fixture.op == "CosineAnnealingWarmRestartsEpochs") {
      static_cast<CosineAnnealingWarmRestarts&>(*scheduler).step(reals(fixture, "epochs").at(k));
    } else {
      if (first) first->step();
      scheduler->step();
    }
  }

  std::vector<double> last_lr() const {
    return plateau ? plateau->get_last_lr() : scheduler->get_last_lr();
  }

  // A training checkpoint: optimizer and scheduler states under their prefixes.
  StateDict checkpoint() const {
    StateDict state;
    state.merge("optimizer", optimizer.state_dict());
    state.merge("scheduler", plateau ? plateau->state_dict() : scheduler->state_dict());
    if (first) state.merge("first", first->state_dict());
    return state;
  }

  void restore(const StateDict& state) {
    optimizer.load_state_dict(state.extract("optimizer"));
    if (plateau) {
      plateau->load_state_dict(state.extract("scheduler"));
    } else {
      scheduler->load_state_dict(state.extract("scheduler"));
    }
    if (first) first->load_state_dict(state.extract("first"));
  }
};

bool close(double actual, double expected) {
  return std::abs(actual - expected) <= 1e-12 * std::abs(expected);
}

// Checks the optimizer's rates (and momenta) against row `row` of the fixture.
void check_row(const Run& run, size_t row) {
  const Fixture& f = run.fixture;
  std::vector<double> lrs = ember_test::make_tensor(f.tensors.at("lr")).to_vector<double>();
  const size_t groups = run.optimizer.num_param_groups();
  for (size_t group = 0; group < groups; ++group) {
    double expected = lrs.at(row * groups + group);
    INFO(f.name << " row " << row << " group " << group << ": lr " << run.optimizer.lr(group)
                << " vs PyTorch " << expected);
    CHECK(close(run.optimizer.lr(group), expected));
    CHECK(close(run.last_lr().at(group), expected));
  }
  if (!f.has_tensor("momentum")) return;
  std::vector<double> momenta =
      ember_test::make_tensor(f.tensors.at("momentum")).to_vector<double>();
  for (size_t group = 0; group < groups; ++group) {
    double expected = momenta.at(row * groups + group);
    double actual = *run.optimizer.momentum(group);
    INFO(f.name << " row " << row << " group " << group << ": momentum " << actual
                << " vs PyTorch " << expected);
    CHECK(close(actual, expected));
  }
}

const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all =
      ember_test::read_fixtures(std::string(EMBER_FIXTURES_DIR) + "/scheduler.txt");
  return all;
}

size_t rows(const Fixture& f) { return static_cast<size_t>(f.tensors.at("lr").shape[0]); }

}  // namespace

TEST_CASE("every scheduler reproduces PyTorch's learning rates step by step",
          "[optim][parity]") {
  REQUIRE(fixtures().size() >= 50);
  for (const Fixture& f : fixtures()) {
    Run run(f);
    check_row(run, 0);
    for (size_t row = 1; row < rows(f); ++row) {
      run.step(row - 1);
      check_row(run, row);
    }
  }
}

TEST_CASE("a schedule resumed from a checkpoint continues exactly as PyTorch's run",
          "[optim][parity]") {
  for (const Fixture& f : fixtures()) {
    const size_t half = rows(f) / 2;
    StateDict saved;
    {
      Run original(f);
      for (size_t k = 0; k + 1 < half; ++k) original.step(k);
      saved = original.checkpoint();
    }

    Run resumed(f);
    resumed.step(0);  // the fresh run sits somewhere else until restored
    resumed.restore(saved);
    check_row(resumed, half - 1);
    for (size_t row = half; row < rows(f); ++row) {
      resumed.step(row - 1);
      check_row(resumed, row);
    }
  }
}

TEST_CASE("construction sets the epoch-0 rate and records the base rates", "[optim]") {
  FakeOptimizer optimizer({0.1, 0.01});

  LinearLR scheduler(optimizer, {.start_factor = 0.5});

  CHECK(scheduler.last_epoch() == 0);
  CHECK(scheduler.base_lrs() == std::vector<double>{0.1, 0.01});
  CHECK(scheduler.get_last_lr() == std::vector<double>{0.05, 0.005});
  CHECK(optimizer.lr(0) == 0.05);
  CHECK(scheduler.name() == "LinearLR");
}

TEST_CASE("linear warm-up defaults follow PyTorch (1/3 to 1 over 5 epochs)", "[optim]") {
  FakeOptimizer optimizer({0.3});
  LinearLR scheduler(optimizer);

  for (int k = 0; k < 5; ++k) scheduler.step();

  CHECK(scheduler.last_epoch() == 5);
  CHECK(optimizer.lr(0) == Approx(0.3).epsilon(1e-15));
}

TEST_CASE("scheduler options out of range throw errors naming scheduler and value",
          "[optim]") {
  FakeOptimizer optimizer({0.1, 0.01});
  FakeOptimizer no_momentum({0.1}, false);

  CHECK_THROWS_MATCHES(StepLR(optimizer, 0), Error, ErrorMentions({"StepLR", "step_size", "0"}));
  CHECK_THROWS_MATCHES(StepLR(optimizer, 3, -0.5), Error, ErrorMentions({"StepLR", "-0.5"}));
  CHECK_THROWS_MATCHES(MultiStepLR(optimizer, {10, 5}), Error,
                       ErrorMentions({"MultiStepLR", "increasing", "10", "5"}));
  CHECK_THROWS_MATCHES(ExponentialLR(optimizer, std::nan("")), Error,
                       ErrorMentions({"ExponentialLR", "gamma"}));
  CHECK_THROWS_MATCHES(CosineAnnealingLR(optimizer, 0), Error,
                       ErrorMentions({"CosineAnnealingLR", "T_max", "0"}));
  CHECK_THROWS_MATCHES(CosineAnnealingWarmRestarts(optimizer, {.t_0 = 0}), Error,
                       ErrorMentions({"CosineAnnealingWarmRestarts", "T_0", "0"}));
  CHECK_THROWS_MATCHES(CosineAnnealingWarmRestarts(optimizer, {.t_0 = 5, .t_mult = 0}), Error,
                       ErrorMentions({"CosineAnnealingWarmRestarts", "T_mult", "0"}));
  CHECK_THROWS_MATCHES(LinearLR(optimizer, {.start_factor = 0}), Error,
                       ErrorMentions({"LinearLR", "start_factor", "0"}));
  CHECK_THROWS_MATCHES(LinearLR(optimizer, {.end_factor = 1.5}), Error,
                       ErrorMentions({"LinearLR", "end_factor", "1.5"}));
  CHECK_THROWS_MATCHES(
      LambdaLR(optimizer, std::vector<LambdaLR::Lambda>{[](int64_t) { return 1.0; }}), Error,
      ErrorMentions({"LambdaLR", "expected 2", "got 1"}));
  CHECK_THROWS_MATCHES(LambdaLR(optimizer, LambdaLR::Lambda()), Error,
                       ErrorMentions({"LambdaLR", "empty"}));
  CHECK_THROWS_MATCHES(ReduceLROnPlateau(optimizer, {.factor = 1.0}), Error,
                       ErrorMentions({"ReduceLROnPlateau", "factor", "1"}));
  CHECK_THROWS_MATCHES(ReduceLROnPlateau(optimizer, {.patience = -1}), Error,
                       ErrorMentions({"ReduceLROnPlateau", "patience", "-1"}));
  CHECK_THROWS_MATCHES(ReduceLROnPlateau(optimizer, {.min_lr = {0.1, 0.2, 0.3}}), Error,
                       ErrorMentions({"ReduceLROnPlateau", "min_lr", "got 3"}));
}

TEST_CASE("one-cycle options out of range throw errors naming the value", "[optim]") {
  FakeOptimizer optimizer({0.1, 0.01});
  FakeOptimizer no_momentum({0.1}, false);

  CHECK_THROWS_MATCHES(OneCycleLR(optimizer, {.max_lr = {0.1}, .total_steps = 0}), Error,
                       ErrorMentions({"OneCycleLR", "total_steps", "0"}));
  CHECK_THROWS_MATCHES(OneCycleLR(optimizer, {.max_lr = {0.1}}), Error,
                       ErrorMentions({"OneCycleLR", "total_steps", "epochs"}));
  CHECK_THROWS_MATCHES(
      OneCycleLR(optimizer, {.max_lr = {0.1}, .epochs = 3, .steps_per_epoch = -2}), Error,
      ErrorMentions({"OneCycleLR", "steps_per_epoch", "-2"}));
  CHECK_THROWS_MATCHES(OneCycleLR(optimizer, {.total_steps = 10}), Error,
                       ErrorMentions({"OneCycleLR", "max_lr"}));
  CHECK_THROWS_MATCHES(OneCycleLR(optimizer, {.max_lr = {0.1, 0.2, 0.3}, .total_steps = 10}),
                       Error, ErrorMentions({"OneCycleLR", "max_lr", "got 3"}));
  CHECK_THROWS_MATCHES(
      OneCycleLR(optimizer, {.max_lr = {0.1}, .total_steps = 10, .pct_start = 1.5}), Error,
      ErrorMentions({"OneCycleLR", "pct_start", "1.5"}));
  CHECK_THROWS_MATCHES(OneCycleLR(no_momentum, {.max_lr = {0.1}, .total_steps = 10}), Error,
                       ErrorMentions({"OneCycleLR", "cycle_momentum"}));
  CHECK_NOTHROW(OneCycleLR(no_momentum,
                           {.max_lr = {0.1}, .total_steps = 10, .cycle_momentum = false}));
  // pct_start * total_steps = 1 leaves the warm-up phase without length (PyTorch
  // divides by zero there).
  CHECK_THROWS_MATCHES(
      OneCycleLR(optimizer, {.max_lr = {0.1}, .total_steps = 10, .pct_start = 0.1}), Error,
      ErrorMentions({"OneCycleLR", "phase 1", "spans no steps"}));
}

TEST_CASE("one-cycle refuses to step past total_steps", "[optim]") {
  FakeOptimizer optimizer({0.1});
  OneCycleLR scheduler(optimizer, {.max_lr = {1.0}, .total_steps = 4});

  for (int k = 0; k < 4; ++k) scheduler.step();

  CHECK_THROWS_MATCHES(scheduler.step(), Error, ErrorMentions({"OneCycleLR", "6 times", "4"}));
  CHECK(scheduler.last_epoch() == 4);
}

TEST_CASE("a one-cycle step into a phase without length throws and stays put", "[optim]") {
  FakeOptimizer optimizer({0.1});
  // pct_start = 1 leaves the annealing phase empty; only stepping past the
  // last step (allowed, it extrapolates) reaches it, where PyTorch divides by zero.
  OneCycleLR scheduler(optimizer, {.max_lr = {1.0}, .total_steps = 4, .pct_start = 1.0});
  for (int k = 0; k < 3; ++k) scheduler.step();
  const double lr = optimizer.lr(0);

  CHECK_THROWS_MATCHES(scheduler.step(), Error, ErrorMentions({"OneCycleLR", "phase 2"}));
  CHECK(scheduler.last_epoch() == 3);
  CHECK(optimizer.lr(0) == lr);
}

TEST_CASE("warm restarts reject a negative or NaN epoch", "[optim]") {
  FakeOptimizer optimizer({0.1});
  CosineAnnealingWarmRestarts scheduler(optimizer, {.t_0 = 3});

  CHECK_THROWS_MATCHES(scheduler.step(-0.5), Error,
                       ErrorMentions({"CosineAnnealingWarmRestarts", "-0.5"}));
  CHECK_THROWS_MATCHES(scheduler.step(std::nan("")), Error,
                       ErrorMentions({"CosineAnnealingWarmRestarts", "nan"}));
}

TEST_CASE("a scheduler refuses an optimizer whose group count changed", "[optim]") {
  FakeOptimizer optimizer({0.1});
  StepLR scheduler(optimizer, 2);
  CosineAnnealingWarmRestarts restarts(optimizer, {.t_0 = 3});
  ReduceLROnPlateau plateau(optimizer);

  optimizer.add_group(0.5);

  CHECK_THROWS_MATCHES(scheduler.step(), Error, ErrorMentions({"StepLR", "2 param groups"}));
  CHECK(scheduler.last_epoch() == 0);
  CHECK_THROWS_MATCHES(restarts.step(2.5), Error,
                       ErrorMentions({"CosineAnnealingWarmRestarts", "2 param groups"}));
  CHECK(restarts.t_cur() == 0);
  CHECK_THROWS_MATCHES(plateau.step(1.0), Error,
                       ErrorMentions({"ReduceLROnPlateau", "2 param groups"}));
}

TEST_CASE("scheduler state is saved as metadata named after PyTorch's attributes",
          "[optim]") {
  FakeOptimizer optimizer({0.1, 0.01});
  CosineAnnealingWarmRestarts scheduler(optimizer, {.t_0 = 3, .t_mult = 2, .eta_min = 0.001});
  for (int k = 0; k < 4; ++k) scheduler.step();

  StateDict state = scheduler.state_dict();

  CHECK(state.empty());
  const auto& meta = state.metadata();
  CHECK(meta.at("scheduler") == "CosineAnnealingWarmRestarts");
  CHECK(meta.at("last_epoch") == "4");
  CHECK(meta.at("base_lrs") == "0.1 0.01");
  CHECK(meta.at("T_0") == "3");
  CHECK(meta.at("T_i") == "6");
  CHECK(meta.at("T_cur") == "1");
  CHECK(meta.at("eta_min") == "0.001");
}

TEST_CASE("plateau state keeps an infinite best value", "[optim]") {
  FakeOptimizer optimizer({0.1});
  ReduceLROnPlateau plateau(optimizer, {.mode = PlateauMode::Max});
  StateDict state = plateau.state_dict();
  CHECK(state.metadata().at("best") == "-inf");

  ReduceLROnPlateau other(optimizer);
  other.step(0.5);
  other.load_state_dict(state);

  CHECK(other.best() == -std::numeric_limits<double>::infinity());
  CHECK(other.last_epoch() == 0);
  other.step(0.5);  // Max mode now: any value beats -inf
  CHECK(other.best() == 0.5);
}

TEST_CASE("loading a mismatched or corrupt scheduler state throws and changes nothing",
          "[optim]") {
  FakeOptimizer optimizer({0.1, 0.01});
  StepLR scheduler(optimizer, 3, 0.5);
  for (int k = 0; k < 4; ++k) scheduler.step();
  const StateDict good = scheduler.state_dict();

  FakeOptimizer other_optimizer({0.2, 0.02});
  ExponentialLR exponential(other_optimizer, 0.9);
  CHECK_THROWS_MATCHES(exponential.load_state_dict(good), Error,
                       ErrorMentions({"ExponentialLR.load_state_dict", "StepLR"}));

  FakeOptimizer one_group({0.1});
  StepLR narrower(one_group, 3, 0.5);
  CHECK_THROWS_MATCHES(narrower.load_state_dict(good), Error,
                       ErrorMentions({"StepLR.load_state_dict", "base_lrs", "1 param groups"}));

  StateDict corrupt = good;
  corrupt.metadata()["last_epoch"] = "four";
  StepLR fresh(other_optimizer, 3, 0.5);
  CHECK_THROWS_MATCHES(fresh.load_state_dict(corrupt), Error,
                       ErrorMentions({"StepLR.load_state_dict", "last_epoch", "four"}));
  corrupt = good;
  corrupt.metadata().erase("step_size");
  CHECK_THROWS_MATCHES(fresh.load_state_dict(corrupt), Error,
                       ErrorMentions({"StepLR.load_state_dict", "step_size"}));
  corrupt = good;
  corrupt.metadata()["step_size"] = "0";
  CHECK_THROWS_MATCHES(fresh.load_state_dict(corrupt), Error,
                       ErrorMentions({"StepLR.load_state_dict", "step_size", "0"}));

  CHECK(fresh.last_epoch() == 0);
  CHECK(fresh.base_lrs() == std::vector<double>{0.2, 0.02});

  fresh.load_state_dict(good);
  CHECK(fresh.last_epoch() == 4);
  CHECK(fresh.base_lrs() == std::vector<double>{0.1, 0.01});
}

TEST_CASE("one-cycle drives SGD's momentum and learning rate", "[optim]") {
  Tensor weight = ember::zeros({3}, ember::kFloat64).requires_grad_();
  SGD sgd({weight}, {.lr = 0.5, .momentum = 0.9});
  OneCycleLR scheduler(sgd, {.max_lr = {0.1}, .total_steps = 10});

  CHECK(sgd.lr(0) == Approx(0.1 / 25).epsilon(1e-15));
  CHECK(*sgd.momentum(0) == Approx(0.95).epsilon(1e-15));

  for (int k = 0; k < 2; ++k) {
    sgd.step();
    scheduler.step();
  }

  // Two steps into a 3-step warm-up: cos anneal at pct = 2 / 2 reaches the peak.
  CHECK(sgd.lr(0) == Approx(0.1).epsilon(1e-15));
  CHECK(*sgd.momentum(0) == Approx(0.85).epsilon(1e-15));
}

TEST_CASE("one-cycle cycles Adam's beta1 as PyTorch does and leaves beta2 alone",
          "[optim][parity]") {
  const Fixture* fixture = nullptr;
  for (const Fixture& f : fixtures()) {
    if (f.name == "one_cycle_adam_beta1") fixture = &f;
  }
  REQUIRE(fixture != nullptr);
  std::vector<double> lrs = ember_test::make_tensor(fixture->tensors.at("lr")).to_vector<double>();
  std::vector<double> momenta =
      ember_test::make_tensor(fixture->tensors.at("momentum")).to_vector<double>();
  Tensor weight = ember::zeros({2}, ember::kFloat64).requires_grad_();
  Adam adam({weight}, {.lr = 0.5});

  OneCycleLR scheduler(adam, one_cycle_options(*fixture));

  for (size_t row = 0; row < lrs.size(); ++row) {
    if (row > 0) scheduler.step();
    INFO("row " << row);
    CHECK(close(adam.lr(0), lrs[row]));
    CHECK(close(adam.options(0).betas.first, momenta[row]));
    CHECK(adam.options(0).betas.second == 0.999);
  }
}

TEST_CASE("a training checkpoint resumes SGD and its schedule to the same numbers", "[optim]") {
  // Minimizes |w|^2 (gradient 2w) with momentum under a step decay.
  auto train = [](Tensor weight, SGD& sgd, StepLR& scheduler, int steps) {
    for (int k = 0; k < steps; ++k) {
      weight.set_grad(weight.detach().clone().mul_(2.0));
      sgd.step();
      scheduler.step();
    }
  };
  auto start = [] { return ember_test::randn64({4}, 11).requires_grad_(); };

  Tensor straight = start();
  SGD straight_sgd({straight}, {.lr = 0.1, .momentum = 0.9});
  StepLR straight_scheduler(straight_sgd, 2, 0.5);
  train(straight, straight_sgd, straight_scheduler, 7);

  StateDict checkpoint;
  {
    Tensor first = start();
    SGD sgd({first}, {.lr = 0.1, .momentum = 0.9});
    StepLR scheduler(sgd, 2, 0.5);
    train(first, sgd, scheduler, 3);
    checkpoint.insert("weight", first.detach().clone());
    checkpoint.merge("optimizer", sgd.state_dict());
    checkpoint.merge("scheduler", scheduler.state_dict());
  }
  Tensor resumed = ember::zeros({4}, ember::kFloat64).requires_grad_();
  SGD sgd({resumed}, {.lr = 0.1, .momentum = 0.9});
  StepLR scheduler(sgd, 2, 0.5);
  resumed.detach().copy_(checkpoint.at("weight"));
  sgd.load_state_dict(checkpoint.extract("optimizer"));
  scheduler.load_state_dict(checkpoint.extract("scheduler"));
  train(resumed, sgd, scheduler, 4);

  CHECK(scheduler.last_epoch() == 7);
  CHECK(sgd.lr(0) == straight_sgd.lr(0));
  CHECK(scheduler.get_last_lr() == straight_scheduler.get_last_lr());
  CHECK(resumed.to_vector<double>() == straight.to_vector<double>());
}

TEST_CASE("LambdaLR: a rate the optimizer refuses leaves the schedule where it was",
          "[optim]") {
  ember::Tensor param = ember::zeros({2}, ember::TensorOptions(ember::kFloat32, true));
  ember::optim::SGD optimizer({param}, {.lr = 0.1});
  ember::optim::LambdaLR scheduler(optimizer, [](int64_t epoch) {
    return epoch < 2 ? 1.0 : std::nan("");
  });
  scheduler.step();
  CHECK_THROWS_WITH(scheduler.step(), Catch::Contains("invalid learning rate"));
  CHECK(scheduler.last_epoch() == 1);
  CHECK(optimizer.lr(0) == 0.1);
  CHECK_THROWS_WITH(optimizer.set_lr(0, INFINITY), Catch::Contains("finite"));
}
