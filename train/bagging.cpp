#include "train/bagging.h"

#include <cmath>
#include <limits>
#include <utility>

#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/random.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/softmax.h"
#include "train/detail/scores.h"

namespace ember::train {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool is_classification(Aggregation aggregation) {
  return aggregation != Aggregation::AverageOutputs;
}

// The targets as plain numbers, with the accessors scoring needs: labels for
// classification, `width` values per row for regression.
struct Targets {
  std::vector<int64_t> labels;
  std::vector<double> values;
  int64_t width = 1;
};

Targets read_targets(const Tensor& targets, Aggregation aggregation) {
  Targets result;
  const int64_t n = targets.size(0);
  if (is_classification(aggregation)) {
    EMBER_CHECK(targets.dtype() == kInt64 && targets.dim() == 1,
                "Bagging: classification needs int64 labels [N], got ",
                dtype_name(targets.dtype()), " ", targets.shape(),
                "; for regression use Aggregation::AverageOutputs");
    result.labels = targets.to_vector<int64_t>();
  } else {
    result.values = targets.to_vector<double>();
    result.width = n == 0 ? 1 : targets.numel() / n;
  }
  return result;
}

// Checks that scores of `rows` rows fit the targets: [rows, C] with every
// label below C, or `width` values per row.
void check_scores(const Tensor& scores, int64_t rows, const Targets& targets,
                  Aggregation aggregation) {
  EMBER_CHECK(scores.dim() >= 1 && scores.size(0) == rows,
              "Bagging: a member gave outputs ", scores.shape(), " for ", rows, " inputs");
  if (is_classification(aggregation)) {
    EMBER_CHECK(scores.dim() == 2, "Bagging: classification needs logits [N, C], got ",
                scores.shape());
    for (int64_t label : targets.labels) {
      EMBER_CHECK(label >= 0 && label < scores.size(1), "Bagging: label ", label,
                  " is outside the ", scores.size(1), " classes of the members' outputs");
    }
  } else {
    EMBER_CHECK(rows == 0 || scores.numel() / rows == targets.width,
                "Bagging: outputs ", scores.shape(), " do not match targets of ",
                targets.width, " values per row");
  }
}

// The score of `predictions` (`width` per row) for training rows `rows`.
double score_rows(const std::vector<double>& predictions, int64_t width,
                  const std::vector<int64_t>& rows, const Targets& targets,
                  Aggregation aggregation) {
  if (is_classification(aggregation)) {
    std::vector<int64_t> labels;
    for (int64_t row : rows) labels.push_back(targets.labels[row]);
    return detail::accuracy(predictions, width, labels);
  }
  std::vector<double> values;
  for (int64_t row : rows) {
    auto first = targets.values.begin() + row * targets.width;
    values.insert(values.end(), first, first + targets.width);
  }
  return detail::r_squared(predictions, values);
}

}  // namespace

Bagging::Bagging(ModelFactory make_model, BaggingOptions options)
    : make_model_(std::move(make_model)), options_(std::move(options)) {
  EMBER_CHECK(make_model_ != nullptr, "Bagging: the model factory is empty");
  EMBER_CHECK(options_.members >= 1, "Bagging: members must be at least 1, got ",
              options_.members);
}

Tensor Bagging::member_scores(nn::Module& member, const Tensor& inputs) const {
  Tensor outputs = train::predict(member, inputs);
  switch (options_.aggregation) {
    case Aggregation::Vote:
      EMBER_CHECK(outputs.dim() == 2, "Bagging: voting needs logits [N, C], got ",
                  outputs.shape());
      return one_hot(outputs.argmax(1), outputs.size(1)).to(outputs.dtype());
    case Aggregation::AverageProbabilities:
      EMBER_CHECK(outputs.dim() == 2, "Bagging: averaging probabilities needs logits [N, C], got ",
                  outputs.shape());
      return softmax(outputs, 1);
    case Aggregation::AverageOutputs:
      return outputs;
  }
  EMBER_ASSERT(false);
  return outputs;
}

void Bagging::fit(const Tensor& inputs, const Tensor& targets) {
  EMBER_CHECK(inputs.defined() && targets.defined() && inputs.dim() >= 1 &&
                  targets.dim() >= 1 && inputs.size(0) == targets.size(0) && inputs.size(0) >= 1,
              "Bagging: inputs [N, ...] and targets [N, ...] must have N >= 1 rows each, got ",
              inputs.defined() ? format_shape(inputs.shape()) : "undefined", " and ",
              targets.defined() ? format_shape(targets.shape()) : "undefined");
  const int64_t n = inputs.size(0);
  const int64_t count = options_.members;
  const Targets target_values = read_targets(targets, options_.aggregation);

  // Built and drawn in member order before any training, so neither the
  // initializations nor the samples depend on which member finishes first.
  std::vector<std::shared_ptr<nn::Module>> members;
  for (int64_t m = 0; m < count; ++m) {
    members.push_back(make_model_());
    EMBER_CHECK(members.back() != nullptr, "Bagging: the model factory returned null");
  }
  std::vector<data::BootstrapSample> samples;
  if (options_.bootstrap) {
    Generator generator(options_.seed);
    for (int64_t m = 0; m < count; ++m) samples.push_back(data::bootstrap_sample(n, generator));
  }
  const FitFunction fit_member =
      options_.fit_function ? options_.fit_function : gradient_fit(options_.fit);

  // Each member trains, then scores the rows it left out.
  std::vector<Tensor> oob_scores(count);
  auto train_member = [&](int64_t m) {
    TrainingSet data{.inputs = inputs, .targets = targets};
    if (options_.bootstrap) data.indices = samples[m].indices;
    fit_member(*members[m], data, m);
    if (options_.bootstrap && !samples[m].out_of_bag.empty()) {
      Tensor rows = tensor(samples[m].out_of_bag);
      oob_scores[m] = member_scores(*members[m], index_select(inputs, 0, rows));
    }
  };
  if (options_.parallel) {
    parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m) train_member(m);
    });
  } else {
    for (int64_t m = 0; m < count; ++m) train_member(m);
  }

  // Each member's own out-of-bag score, and the sums of the scores each row
  // received from the members that left it out.
  std::vector<double> member_oob(count, kNaN);
  std::vector<double> sums;
  std::vector<int64_t> votes(n, 0);
  int64_t width = 0;
  for (int64_t m = 0; m < count; ++m) {
    if (!oob_scores[m].defined()) continue;
    const std::vector<int64_t>& rows = samples[m].out_of_bag;
    const int64_t size = static_cast<int64_t>(rows.size());
    check_scores(oob_scores[m], size, target_values, options_.aggregation);
    std::vector<double> scores = oob_scores[m].to_vector<double>();
    if (sums.empty()) {
      width = static_cast<int64_t>(scores.size()) / size;
      sums.assign(n * width, 0.0);
    }
    EMBER_CHECK(static_cast<int64_t>(scores.size()) == size * width,
                "Bagging: members gave outputs of different widths ", width, " and ",
                oob_scores[m].shape());
    member_oob[m] = score_rows(scores, width, rows, target_values, options_.aggregation);
    for (int64_t k = 0; k < size; ++k) {
      for (int64_t j = 0; j < width; ++j) sums[rows[k] * width + j] += scores[k * width + j];
      ++votes[rows[k]];
    }
  }

  // The rows some member left out, each averaged over those members.
  std::vector<int64_t> covered;
  std::vector<double> covered_scores;
  std::vector<double> aggregate(sums.size(), kNaN);
  for (int64_t row = 0; row < n; ++row) {
    if (votes[row] == 0) continue;
    covered.push_back(row);
    for (int64_t j = 0; j < width; ++j) {
      double value = sums[row * width + j] / static_cast<double>(votes[row]);
      aggregate[row * width + j] = value;
      covered_scores.push_back(value);
    }
  }

  members_ = std::move(members);
  samples_ = std::move(samples);
  member_oob_scores_ = std::move(member_oob);
  oob_count_ = static_cast<int64_t>(covered.size());
  oob_score_ = covered.empty()
                   ? kNaN
                   : score_rows(covered_scores, width, covered, target_values,
                                options_.aggregation);
  oob_prediction_ = Tensor();
  for (const Tensor& scores : oob_scores) {
    if (!scores.defined()) continue;
    Shape shape = scores.shape();
    shape[0] = n;
    oob_prediction_ = tensor(aggregate, shape);
    break;
  }
}

Tensor Bagging::predict(const Tensor& inputs, int64_t members) const {
  EMBER_CHECK(!members_.empty(), "Bagging: predict before fit");
  if (members < 0) members = size();
  EMBER_CHECK(members >= 1 && members <= size(), "Bagging: members must be in [1, ", size(),
              "], got ", members);
  Tensor total;
  for (int64_t m = 0; m < members; ++m) {
    Tensor scores = member_scores(*members_[m], inputs);
    total = m == 0 ? scores : total + scores;
  }
  return total / static_cast<double>(members);
}

Tensor Bagging::predict_classes(const Tensor& inputs, int64_t members) const {
  EMBER_CHECK(is_classification(options_.aggregation),
              "Bagging: predict_classes needs Vote or AverageProbabilities, not AverageOutputs");
  return predict(inputs, members).argmax(1);
}

}  // namespace ember::train
