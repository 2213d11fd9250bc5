// Boosting (SAMME): learner weights, errors and example weights against a
// three-round example worked by hand; the stopping rules for perfect and
// chance-level learners; resampling that follows the weights; real learners.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "framework/random.h"
#include "helpers.h"
#include "optim/adam.h"
#include "train/boosting.h"
#include "train/ensemble_fixtures.h"
#include "train/fit.h"
#include "train/metrics.h"

namespace {

namespace train = ember::train;
using ember::Tensor;
using ember_test::ErrorMentions;
using ensemble_test::FixedPredictor;

// Learners that predict the given tables, one per round, and the weights
// and rows each round handed to its learner.
struct ScriptedRounds {
  std::vector<std::vector<int64_t>> tables;
  int64_t classes = 0;
  int64_t built = 0;
  std::vector<std::vector<double>> weights;
  std::vector<std::vector<int64_t>> indices;

  train::ModelFactory factory() {
    return [this] { return std::make_shared<FixedPredictor>(tables.at(built++), classes); };
  }
  train::FitFunction recorder() {
    return [this](ember::nn::Module&, const train::TrainingSet& data, int64_t) {
      weights.push_back(data.weights.defined() ? data.weights.to_vector<double>()
                                               : std::vector<double>{});
      indices.push_back(data.indices);
    };
  }
};

void check_all_close(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) CHECK(actual[i] == Approx(expected[i]).epsilon(1e-12));
}

std::vector<double> scaled(std::vector<double> values, double divisor) {
  for (double& value : values) value /= divisor;
  return values;
}

}  // namespace

TEST_CASE("SAMME weights match a three-round example worked by hand", "[ensemble]") {
  // K = 3 classes, labels y = (0, 0, 1, 1, 2), weights start at 1/5.
  // Round 1 predicts (0, 0, 1, 1, 1): misses row 4.
  //   err = 1/5; alpha = log(0.8 / 0.2) + log(2) = log 8
  //   w = (1, 1, 1, 1, 8) / 5, normalized (1, 1, 1, 1, 8) / 12
  // Round 2 predicts (0, 1, 1, 1, 2): misses row 1.
  //   err = 1/12; alpha = log(11) + log(2) = log 22
  //   w = (1, 22, 1, 1, 8) / 33
  // Round 3 predicts (1, 0, 2, 1, 2): misses rows 0 and 2.
  //   err = 2/33; alpha = log(31 / 2) + log(2) = log 31
  //   w = (31, 22, 31, 1, 8) / 93
  // Votes, row 0: class 0 gets log 8 + log 22 = log 176, class 1 log 31;
  // row 4: class 1 log 8, class 2 log 22 + log 31 = log 682. Every row's
  // argmax is its label; the votes divide by log 8 + log 22 + log 31 = log 5456.
  ScriptedRounds rounds{.tables = {{0, 0, 1, 1, 1}, {0, 1, 1, 1, 2}, {1, 0, 2, 1, 2}},
                        .classes = 3};
  std::vector<int64_t> labels{0, 0, 1, 1, 2};
  Tensor inputs = ensemble_test::with_row_ids(ember::zeros({5, 1}));
  train::Boosting boosting(rounds.factory(), {.rounds = 3, .fit_function = rounds.recorder()});

  boosting.fit(inputs, ember::tensor(labels));

  REQUIRE(boosting.size() == 3);
  check_all_close(boosting.learner_weights(), {std::log(8.0), std::log(22.0), std::log(31.0)});
  check_all_close(boosting.errors(), {1.0 / 5, 1.0 / 12, 2.0 / 33});
  check_all_close(boosting.weight_history()[0], scaled({1, 1, 1, 1, 1}, 5));
  check_all_close(boosting.weight_history()[1], scaled({1, 1, 1, 1, 8}, 12));
  check_all_close(boosting.weight_history()[2], scaled({1, 22, 1, 1, 8}, 33));
  check_all_close(boosting.example_weights(), scaled({31, 22, 31, 1, 8}, 93));
  for (int64_t round = 0; round < 3; ++round) {
    check_all_close(rounds.weights[round], boosting.weight_history()[round]);
  }
  CHECK(boosting.stop_reason() == train::BoostingStop::Rounds);
  CHECK(boosting.predict(inputs).to_vector<int64_t>() == labels);

  std::vector<double> votes = boosting.decision_function(inputs).to_vector<double>();
  const double total = std::log(5456.0);
  check_all_close({votes[0], votes[1], votes[2]}, {std::log(176.0) / total,
                                                   std::log(31.0) / total, 0.0});
  check_all_close({votes[12], votes[13], votes[14]}, {0.0, std::log(8.0) / total,
                                                      std::log(682.0) / total});
  // After round 1 alone, row 4 goes to round 1's class 1.
  CHECK(boosting.predict(inputs, 1).to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 1, 1});
}

TEST_CASE("SAMME's learning rate scales every learner weight", "[ensemble]") {
  ScriptedRounds rounds{.tables = {{0, 0, 1, 1, 1}, {0, 1, 1, 1, 2}}, .classes = 3};
  train::Boosting boosting(rounds.factory(), {.rounds = 2, .learning_rate = 0.5,
                                              .fit_function = rounds.recorder()});

  boosting.fit(ensemble_test::with_row_ids(ember::zeros({5, 1})),
               ember::tensor(std::vector<int64_t>{0, 0, 1, 1, 2}));

  // alpha_1 = 0.5 log 8 = log sqrt(8): row 4's weight grows to sqrt(8) / 5
  // before normalizing; err_2 = w_1 = 1 / (4 + sqrt(8)).
  const double root8 = std::sqrt(8.0);
  const double error = 1.0 / (4.0 + root8);
  check_all_close(boosting.learner_weights(),
                  {0.5 * std::log(8.0), 0.5 * (std::log((1 - error) / error) + std::log(2.0))});
  check_all_close(boosting.weight_history()[1], scaled({1, 1, 1, 1, root8}, 4 + root8));
}

TEST_CASE("SAMME keeps a perfect learner with weight 1 and stops", "[ensemble]") {
  ScriptedRounds rounds{.tables = {{0, 1, 1, 0}, {1, 1, 1, 1}}, .classes = 2};
  Tensor inputs = ensemble_test::with_row_ids(ember::zeros({4, 1}));
  train::Boosting boosting(rounds.factory(), {.rounds = 5, .fit_function = rounds.recorder()});

  boosting.fit(inputs, ember::tensor(std::vector<int64_t>{0, 1, 1, 0}));

  CHECK(boosting.size() == 1);
  CHECK(boosting.learner_weights() == std::vector<double>{1.0});
  CHECK(boosting.errors() == std::vector<double>{0.0});
  CHECK(boosting.stop_reason() == train::BoostingStop::PerfectLearner);
  CHECK(rounds.built == 1);
  CHECK(boosting.predict(inputs).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1, 0});
}

TEST_CASE("SAMME drops a learner no better than chance and stops", "[ensemble]") {
  // K = 3, so chance error is 1 - 1/3 = 2/3. Round 1 is the hand-worked
  // example's: alpha = log 8, weights (1, 1, 1, 1, 8) / 12.
  std::vector<int64_t> labels{0, 0, 1, 1, 2};
  Tensor inputs = ensemble_test::with_row_ids(ember::zeros({5, 1}));

  SECTION("a later learner is dropped") {
    ScriptedRounds rounds{.tables = {{0, 0, 1, 1, 1}, {1, 1, 2, 2, 2}, {2, 2, 2, 2, 0}},
                          .classes = 3};
    train::Boosting boosting(rounds.factory(), {.rounds = 3, .fit_function = rounds.recorder()});

    boosting.fit(inputs, ember::tensor(labels));

    // Round 2: err = 4/12 = 1/3, alpha = log 2 + log 2 = log 4, kept.
    // Round 3 misses every row: err = 1 >= 2/3, dropped.
    CHECK(boosting.size() == 2);
    CHECK(rounds.built == 3);
    CHECK(boosting.stop_reason() == train::BoostingStop::NoBetterThanChance);
    check_all_close(boosting.learner_weights(), {std::log(8.0), std::log(4.0)});
  }
  SECTION("a first learner at chance is an error") {
    ScriptedRounds rounds{.tables = {{1, 2, 0, 2, 0}}, .classes = 3};
    train::Boosting boosting(rounds.factory(), {.rounds = 3, .fit_function = rounds.recorder()});

    CHECK_THROWS_MATCHES(boosting.fit(inputs, ember::tensor(labels)), ember::Error,
                         ErrorMentions({"first learner", "no better than chance"}));
  }
}

TEST_CASE("SAMME with resampling draws rows in proportion to their weights", "[ensemble]") {
  // Round 1 misses only row 0 of 1,000 (K = 2): err = 1/1000, alpha =
  // log 999, and row 0's weight becomes 999 / (999 + 999) = 1/2. Round 2's
  // 1,000 draws then hold row 0 Binomial(1000, 1/2) times: 500 +- 15.8, so
  // +- 80 is five sd.
  const int64_t n = 1000;
  std::vector<int64_t> labels(n, 1);
  std::vector<int64_t> first(n, 1);
  first[0] = 0;
  std::vector<int64_t> second(n, 1);
  second[1] = 0;
  ScriptedRounds rounds{.tables = {first, second}, .classes = 2};
  train::Boosting boosting(rounds.factory(),
                           {.rounds = 2, .weighting = train::BoostingWeighting::Resample,
                            .seed = 3, .fit_function = rounds.recorder()});

  boosting.fit(ensemble_test::with_row_ids(ember::zeros({n, 1})), ember::tensor(labels));

  REQUIRE(rounds.indices.size() == 2);
  CHECK(rounds.weights[1].empty());
  CHECK(rounds.indices[1].size() == static_cast<size_t>(n));
  int64_t row0 = std::count(rounds.indices[1].begin(), rounds.indices[1].end(), 0);
  CHECK(row0 > 420);
  CHECK(row0 < 580);
  CHECK(boosting.weight_history()[1][0] == Approx(0.5));
}

TEST_CASE("SAMME refuses bad settings and learners of the wrong width", "[ensemble]") {
  auto factory = ensemble_test::mlp(2, 4, 3);
  CHECK_THROWS_MATCHES(train::Boosting(factory, {.rounds = 0}), ember::Error,
                       ErrorMentions({"rounds", "0"}));
  CHECK_THROWS_MATCHES(train::Boosting(factory, {.num_classes = 1}), ember::Error,
                       ErrorMentions({"num_classes", "1"}));
  CHECK_THROWS_MATCHES(train::Boosting(factory, {.learning_rate = 0.0}), ember::Error,
                       ErrorMentions({"learning_rate"}));

  // Labels 0-1 make K = 2, but the learners give 3 logits.
  ensemble_test::Problem problem = ensemble_test::blobs(5, 2, 0);
  train::Boosting boosting(factory, {.rounds = 2});
  CHECK_THROWS_MATCHES(boosting.fit(problem.inputs, problem.labels), ember::Error,
                       ErrorMentions({"[N, K] = [10, 2]", "[10, 3]", "num_classes"}));
  CHECK_THROWS_MATCHES(boosting.predict(problem.inputs), ember::Error,
                       ErrorMentions({"before fit"}));
}
