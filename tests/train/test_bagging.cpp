// Bagging: one member without resampling is the single model; bootstrap
// samples have the expected share of distinct rows; out-of-bag scores use
// only the members that left a row out; aggregation by votes, probabilities
// and outputs.

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "framework/random.h"
#include "helpers.h"
#include "optim/adam.h"
#include "train/bagging.h"
#include "train/ensemble_fixtures.h"
#include "train/fit.h"
#include "train/metrics.h"

namespace {

namespace train = ember::train;
using ember::Tensor;
using ember_test::ErrorMentions;
using ensemble_test::FixedPredictor;

// Remembers the rows it was trained on and predicts their labels; any other
// row it predicts as its tag class, so its out-of-bag votes are known.
class Memorizer : public ember::nn::Module {
 public:
  Memorizer(std::vector<int64_t> labels, int64_t classes, int64_t tag)
      : labels_(std::move(labels)), classes_(classes), tag_(tag) {}

  void learn(const std::vector<int64_t>& rows) { seen_.insert(rows.begin(), rows.end()); }
  int64_t tag() const { return tag_; }

  Tensor forward(const Tensor& input) override {
    std::vector<int64_t> rows = ensemble_test::row_ids(input);
    std::vector<float> logits(rows.size() * classes_, 0.0f);
    for (size_t r = 0; r < rows.size(); ++r) {
      int64_t predicted = seen_.count(rows[r]) ? labels_[rows[r]] : tag_;
      logits[r * classes_ + predicted] = 1.0f;
    }
    return ember::tensor(logits, {static_cast<int64_t>(rows.size()), classes_});
  }

 private:
  std::vector<int64_t> labels_;
  int64_t classes_;
  int64_t tag_;
  std::set<int64_t> seen_;
};

void memorize(ember::nn::Module& model, const train::TrainingSet& data, int64_t) {
  dynamic_cast<Memorizer&>(model).learn(data.indices);
}

// A model whose output is the constant `value` [N, 1] (regression).
class Constant : public ember::nn::Module {
 public:
  explicit Constant(float value) : value_(value) {}
  Tensor forward(const Tensor& input) override {
    return ember::full({input.size(0), 1}, value_);
  }

 private:
  float value_;
};

void no_training(ember::nn::Module&, const train::TrainingSet&, int64_t) {}

}  // namespace

TEST_CASE("bagging one member without resampling predicts as the single model trained alike",
          "[ensemble]") {
  ensemble_test::Problem problem = ensemble_test::blobs(40, 3, 1);
  train::ModelFactory make_model = ensemble_test::mlp(2, 16, 3);
  train::FitOptions fit{.epochs = 4, .batch_size = 16, .seed = 7};
  Tensor probe = ensemble_test::blobs(10, 3, 2).inputs;

  ember::manual_seed(3);
  train::Bagging bagging(make_model, {.members = 1, .bootstrap = false, .fit = fit});
  bagging.fit(problem.inputs, problem.labels);
  ember::manual_seed(3);
  std::shared_ptr<ember::nn::Module> single = make_model();
  train::fit(*single, {.inputs = problem.inputs, .targets = problem.labels}, fit);

  CHECK_CLOSE(train::predict(*bagging.members()[0], probe), train::predict(*single, probe), 0, 0);
  CHECK_CLOSE(bagging.predict(probe), train::predict_proba(*single, probe), 0, 0);
  CHECK_CLOSE(bagging.predict_classes(probe), train::predict(*single, probe).argmax(1), 0, 0);
  CHECK(bagging.samples().empty());
  CHECK(std::isnan(bagging.oob_score()));
}

TEST_CASE("bootstrap samples hold about 63.2% distinct rows for large n", "[ensemble]") {
  // The distinct count D of n draws from n has mean n (1 - (1 - 1/n)^n) ->
  // n (1 - 1/e) and variance -> n (e^-1 - 2 e^-2) (Feller's occupancy
  // formulas), so D / n has sd sqrt(0.0972 / n) = 0.00099 at n = 100,000.
  // 0.005 is five sd: a false failure has odds below 1 in 10^6 per sample.
  const int64_t n = 100000;
  Tensor inputs = ember::zeros({n, 1});
  Tensor labels = ember::zeros({n}, ember::kInt64);
  auto make_model = [] { return std::make_shared<FixedPredictor>(std::vector<int64_t>{0}, 2); };
  train::Bagging bagging(make_model, {.members = 4, .seed = 11, .fit_function = no_training});

  bagging.fit(inputs, labels);

  REQUIRE(bagging.samples().size() == 4);
  for (const ember::data::BootstrapSample& sample : bagging.samples()) {
    std::set<int64_t> distinct(sample.indices.begin(), sample.indices.end());
    double share = static_cast<double>(distinct.size()) / static_cast<double>(n);
    CHECK(sample.indices.size() == static_cast<size_t>(n));
    CHECK(share == Approx(1.0 - std::exp(-1.0)).margin(0.005));
    CHECK(distinct.size() + sample.out_of_bag.size() == static_cast<size_t>(n));
    CHECK_FALSE(distinct.count(sample.out_of_bag.front()));
  }
  CHECK(bagging.samples()[0].indices != bagging.samples()[1].indices);
}

TEST_CASE("out-of-bag votes come only from the members that did not draw the row",
          "[ensemble]") {
  // Member m predicts the labels of the rows it drew and class m % 3 for the
  // others, so a row's out-of-bag votes are the tags of the members that
  // left it out, and the expected scores follow from the samples alone.
  const int64_t n = 30;
  const int64_t classes = 3;
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = i % classes;
  int64_t built = 0;
  auto make_memorizer = [&] { return std::make_shared<Memorizer>(labels, classes, built++ % 3); };
  train::Bagging bagging(make_memorizer, {.members = 7, .aggregation = train::Aggregation::Vote,
                                          .seed = 5, .fit_function = memorize});

  bagging.fit(ensemble_test::with_row_ids(ember::zeros({n, 1})), ember::tensor(labels));

  std::vector<std::vector<double>> shares(n, std::vector<double>(classes, 0.0));
  std::vector<int64_t> voters(n, 0);
  for (int64_t m = 0; m < 7; ++m) {
    const std::vector<int64_t>& out_of_bag = bagging.samples()[m].out_of_bag;
    int64_t agree = 0;
    for (int64_t row : out_of_bag) {
      shares[row][m % 3] += 1.0;
      ++voters[row];
      agree += labels[row] == m % 3 ? 1 : 0;
    }
    CHECK(bagging.member_oob_scores()[m] ==
          Approx(static_cast<double>(agree) / static_cast<double>(out_of_bag.size())));
  }
  int64_t covered = 0;
  int64_t correct = 0;
  std::vector<double> oob = bagging.oob_prediction().to_vector<double>();
  for (int64_t row = 0; row < n; ++row) {
    if (voters[row] == 0) {
      CHECK(std::isnan(oob[row * classes]));
      continue;
    }
    ++covered;
    int64_t best = 0;
    for (int64_t c = 0; c < classes; ++c) {
      CHECK(oob[row * classes + c] == Approx(shares[row][c] / voters[row]));
      if (shares[row][c] > shares[row][best]) best = c;
    }
    correct += best == labels[row] ? 1 : 0;
  }
  CHECK(bagging.oob_count() == covered);
  CHECK(covered > 20);
  CHECK(bagging.oob_score() == Approx(static_cast<double>(correct) / covered));
}

TEST_CASE("bagging averages regression outputs over the first members asked for",
          "[ensemble]") {
  float next = 1.0f;
  train::Bagging bagging([&] { return std::make_shared<Constant>(next++); },
                         {.members = 4, .bootstrap = false,
                          .aggregation = train::Aggregation::AverageOutputs,
                          .fit_function = no_training});
  Tensor inputs = ember::zeros({5, 3});

  bagging.fit(inputs, ember::zeros({5, 1}));

  CHECK_CLOSE(bagging.predict(inputs), ember::full({5, 1}, 2.5), 0, 0);  // (1+2+3+4) / 4
  CHECK_CLOSE(bagging.predict(inputs, 2), ember::full({5, 1}, 1.5), 0, 0);
  CHECK_THROWS_MATCHES(bagging.predict_classes(inputs), ember::Error,
                       ErrorMentions({"predict_classes", "AverageOutputs"}));
  CHECK_THROWS_MATCHES(bagging.predict(inputs, 5), ember::Error, ErrorMentions({"[1, 4]", "5"}));
}

TEST_CASE("bagging votes give each member one vote and break ties toward the lower class",
          "[ensemble]") {
  // Rows 0-2 predicted (1, 0, 1), (2, 2, 0), (0, 1, 2) by the three members.
  std::vector<std::vector<int64_t>> tables{{1, 2, 0}, {0, 2, 1}, {1, 0, 2}};
  int64_t built = 0;
  train::Bagging bagging([&] { return std::make_shared<FixedPredictor>(tables[built++], 3); },
                         {.members = 3, .bootstrap = false,
                          .aggregation = train::Aggregation::Vote,
                          .fit_function = no_training});
  Tensor inputs = ensemble_test::with_row_ids(ember::zeros({3, 1}));

  bagging.fit(inputs, ember::tensor(std::vector<int64_t>{0, 1, 2}));

  Tensor expected = ember::tensor({1.f / 3, 2.f / 3, 0.f, 1.f / 3, 0.f, 2.f / 3,
                                   1.f / 3, 1.f / 3, 1.f / 3}).reshape({3, 3});
  CHECK_CLOSE(bagging.predict(inputs), expected, 1e-6, 1e-7);
  CHECK(bagging.predict_classes(inputs).to_vector<int64_t>() == std::vector<int64_t>{1, 2, 0});
}

TEST_CASE("a bagged MLP scores well out of bag and on new data", "[ensemble]") {
  ensemble_test::Problem train_set = ensemble_test::blobs(60, 3, 3);
  ensemble_test::Problem test_set = ensemble_test::blobs(50, 3, 4);
  ember::manual_seed(0);
  train::Bagging bagging(ensemble_test::mlp(2, 16, 3),
                         {.members = 5, .fit = {.epochs = 15, .batch_size = 16,
                                                .optimizer = [](std::vector<Tensor> p) {
                                                  return std::make_unique<ember::optim::Adam>(
                                                      p, ember::optim::AdamOptions{.lr = 1e-2});
                                                }}});

  bagging.fit(train_set.inputs, train_set.labels);

  // A row is in no bootstrap sample of 5 with probability 0.632^5 = 0.10, so
  // about 162 of the 180 rows (sd 4) have an out-of-bag vote.
  CHECK(bagging.oob_count() > 145);
  CHECK(bagging.oob_count() < 180);
  // Blobs 3 sd apart: the Bayes rate is about 93%.
  CHECK(bagging.oob_score() > 0.85);
  for (double score : bagging.member_oob_scores()) CHECK(score > 0.8);
  CHECK(train::accuracy(bagging.predict(test_set.inputs), test_set.labels) > 0.85);
}

TEST_CASE("concurrent and serial bagging train the same members", "[ensemble]") {
  ensemble_test::Problem problem = ensemble_test::blobs(30, 3, 5);
  train::BaggingOptions options{.members = 3, .fit = {.epochs = 2, .batch_size = 16}};

  ember::manual_seed(1);
  options.parallel = true;
  train::Bagging concurrent(ensemble_test::mlp(2, 8, 3), options);
  concurrent.fit(problem.inputs, problem.labels);
  ember::manual_seed(1);
  options.parallel = false;
  train::Bagging serial(ensemble_test::mlp(2, 8, 3), options);
  serial.fit(problem.inputs, problem.labels);

  CHECK_CLOSE(concurrent.predict(problem.inputs), serial.predict(problem.inputs), 1e-6, 1e-7);
  CHECK(concurrent.member_oob_scores() == serial.member_oob_scores());
}

TEST_CASE("bagging refuses bad settings and targets that do not fit", "[ensemble]") {
  ensemble_test::Problem problem = ensemble_test::blobs(5, 2, 0);
  CHECK_THROWS_MATCHES(train::Bagging(ensemble_test::mlp(2, 4, 2), {.members = 0}), ember::Error,
                       ErrorMentions({"members", "0"}));
  CHECK_THROWS_MATCHES(train::Bagging(nullptr), ember::Error, ErrorMentions({"factory"}));

  train::Bagging bagging(ensemble_test::mlp(2, 4, 2), {.members = 2});
  CHECK_THROWS_MATCHES(bagging.predict(problem.inputs), ember::Error,
                       ErrorMentions({"before fit"}));
  CHECK_THROWS_MATCHES(bagging.fit(problem.inputs, problem.labels.to(ember::kFloat32)),
                       ember::Error, ErrorMentions({"int64 labels", "AverageOutputs"}));
}
