// Losses (ops/loss.h): gradients against finite differences over every
// option, PyTorch's reduction and edge semantics, and the errors for targets
// and weights of the wrong shape, dtype or range. Values against PyTorch
// itself are in tests/parity/test_nn_parity.cpp.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "framework/autograd/grad_mode.h"
#include "framework/parallel.h"
#include "helpers.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ops/softmax.h"

using namespace ember;
using ember_test::ErrorMentions;
using ember_test::randn64;

namespace {

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return "none";
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
    case Reduction::BatchMean: return "batchmean";
  }
  return "?";
}

Tensor leaf(const Tensor& values) {
  Tensor x = values.detach().clone();
  x.requires_grad_(true);
  return x;
}

// Uniform values in [low, high), float64.
Tensor uniform64(const Shape& shape, double low, double high, uint64_t seed) {
  Generator generator(seed);
  return add(mul(rand(shape, kFloat64, &generator), high - low), low);
}

// int64 class labels of `shape` ({} makes a 0-d tensor).
Tensor labels(const std::vector<int64_t>& values, const Shape& shape) {
  return tensor(values, {static_cast<int64_t>(values.size())}).reshape(shape);
}

double value(const Tensor& t) { return t.item<double>(); }

}  // namespace

// ---- gradients over every option ----

TEST_CASE("regression losses have correct gradients for input and target",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  INFO("reduction " << reduction_name(reduction));
  Tensor x = leaf(randn64({3, 5}, 1));
  Tensor y = leaf(randn64({3, 5}, 2));
  // A strided input and target reach the same kernels through a copy.
  Tensor xt = leaf(randn64({5, 3}, 3)).t();
  Tensor yt = leaf(randn64({5, 3}, 4)).t();

  std::vector<std::pair<std::string, std::function<Tensor(const TensorList&)>>> losses = {
      {"mse", [&](auto& in) { return mse_loss(in[0], in[1], reduction); }},
      {"l1", [&](auto& in) { return l1_loss(in[0], in[1], reduction); }},
      {"smooth_l1",
       [&](auto& in) { return smooth_l1_loss(in[0], in[1], {.reduction = reduction}); }},
      {"smooth_l1 beta 0.4",
       [&](auto& in) {
         return smooth_l1_loss(in[0], in[1], {.beta = 0.4, .reduction = reduction});
       }},
      {"smooth_l1 beta 0",
       [&](auto& in) {
         return smooth_l1_loss(in[0], in[1], {.beta = 0.0, .reduction = reduction});
       }},
      {"huber", [&](auto& in) { return huber_loss(in[0], in[1], {.reduction = reduction}); }},
      {"huber delta 0.3",
       [&](auto& in) { return huber_loss(in[0], in[1], {.delta = 0.3, .reduction = reduction}); }},
  };
  for (auto& [name, f] : losses) {
    INFO(name);
    CHECK_GRADCHECK(f, TensorList({x, y}));
    CHECK_GRADCHECK(f, TensorList({xt, yt}));
  }
}

TEST_CASE("nll_loss has correct gradients for every layout and option",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  auto weighted = GENERATE(false, true);
  INFO("reduction " << reduction_name(reduction) << (weighted ? ", class weights" : ""));
  Tensor weight = weighted ? uniform64({4}, 0.2, 2.0, 5) : Tensor();
  NllLossOptions options{.weight = weight, .ignore_index = 1, .reduction = reduction};

  Tensor x2 = leaf(randn64({5, 4}, 6));
  Tensor t2 = labels({0, 1, 3, 2, 3}, {5});
  Tensor x4 = leaf(randn64({2, 4, 3, 2}, 7));
  Tensor t4 = labels({0, 1, 2, 3, 3, 0, 1, 1, 2, 0, 3, 2}, {2, 3, 2});
  Tensor x1 = leaf(randn64({4}, 8));
  Tensor t1 = labels({2}, {});

  auto f = [&](const TensorList& in) { return nll_loss(in[0], in[1], options); };

  CHECK_GRADCHECK(f, TensorList({x2, t2}));
  CHECK_GRADCHECK(f, TensorList({x4, t4}));
  CHECK_GRADCHECK(f, TensorList({x1, t1}));
  CHECK_GRADCHECK(f, TensorList({leaf(randn64({4, 5}, 9)).t(), t2}));
}

TEST_CASE("cross_entropy with class indices has correct gradients for every option",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  auto weighted = GENERATE(false, true);
  auto smoothing = GENERATE(0.0, 0.2);
  INFO("reduction " << reduction_name(reduction) << (weighted ? ", class weights" : "")
                    << ", label_smoothing " << smoothing);
  CrossEntropyOptions options{.weight = weighted ? uniform64({4}, 0.2, 2.0, 10) : Tensor(),
                              .ignore_index = 3,
                              .label_smoothing = smoothing,
                              .reduction = reduction};

  Tensor x2 = leaf(randn64({5, 4}, 11));
  Tensor t2 = labels({0, 1, 3, 2, 1}, {5});
  // [N, C, d1, d2] with 10 positions: the column kernels and their vector tail.
  Tensor x4 = leaf(randn64({2, 4, 2, 5}, 12));
  Tensor t4 = labels({0, 1, 2, 3, 3, 0, 1, 1, 2, 0, 3, 2, 0, 0, 1, 2, 2, 1, 0, 3}, {2, 2, 5});
  Tensor x1 = leaf(randn64({4}, 13));
  Tensor t1 = labels({1}, {});

  auto f = [&](const TensorList& in) { return cross_entropy(in[0], in[1], options); };

  CHECK_GRADCHECK(f, TensorList({x2, t2}));
  CHECK_GRADCHECK(f, TensorList({x4, t4}));
  CHECK_GRADCHECK(f, TensorList({x1, t1}));
}

TEST_CASE("cross_entropy with probability targets has correct gradients for both",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  auto weighted = GENERATE(false, true);
  auto smoothing = GENERATE(0.0, 0.3);
  INFO("reduction " << reduction_name(reduction) << (weighted ? ", class weights" : "")
                    << ", label_smoothing " << smoothing);
  CrossEntropyOptions options{.weight = weighted ? uniform64({3}, 0.2, 2.0, 14) : Tensor(),
                              .label_smoothing = smoothing,
                              .reduction = reduction};

  Tensor x2 = leaf(randn64({4, 3}, 15));
  Tensor p2 = leaf(softmax(randn64({4, 3}, 16), 1));
  Tensor x3 = leaf(randn64({2, 3, 4}, 17));
  Tensor p3 = leaf(softmax(randn64({2, 3, 4}, 18), 1));

  auto f = [&](const TensorList& in) { return cross_entropy(in[0], in[1], options); };

  CHECK_GRADCHECK(f, TensorList({x2, p2}));
  CHECK_GRADCHECK(f, TensorList({x3, p3}));
}

TEST_CASE("binary cross entropy losses have correct gradients for input and target",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  auto weighted = GENERATE(false, true);
  INFO("reduction " << reduction_name(reduction) << (weighted ? ", weights" : ""));
  Tensor weight = weighted ? uniform64({4}, 0.2, 2.0, 19) : Tensor();
  Tensor pos_weight = uniform64({3, 1}, 0.5, 3.0, 20);
  Tensor probabilities = leaf(uniform64({3, 4}, 0.05, 0.95, 21));
  Tensor logits = leaf(randn64({3, 4}, 22).mul_(3.0));
  Tensor target = leaf(uniform64({3, 4}, 0.0, 1.0, 23));

  auto bce = [&](const TensorList& in) {
    return binary_cross_entropy(in[0], in[1], {.weight = weight, .reduction = reduction});
  };
  auto with_logits = [&](const TensorList& in) {
    return binary_cross_entropy_with_logits(in[0], in[1],
                                            {.weight = weight, .reduction = reduction});
  };
  auto with_pos_weight = [&](const TensorList& in) {
    return binary_cross_entropy_with_logits(
        in[0], in[1], {.weight = weight, .pos_weight = pos_weight, .reduction = reduction});
  };

  CHECK_GRADCHECK(bce, TensorList({probabilities, target}));
  CHECK_GRADCHECK(with_logits, TensorList({logits, target}));
  CHECK_GRADCHECK(with_pos_weight, TensorList({logits, target}));
}

TEST_CASE("kl_div has correct gradients for input and target", "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum,
                            Reduction::BatchMean);
  auto log_target = GENERATE(false, true);
  INFO("reduction " << reduction_name(reduction) << (log_target ? ", log_target" : ""));
  Tensor input = leaf(log_softmax(randn64({3, 5}, 24), 1));
  Tensor target = leaf(log_target ? log_softmax(randn64({3, 5}, 25), 1)
                                  : softmax(randn64({3, 5}, 25), 1));

  auto f = [&](const TensorList& in) {
    return kl_div(in[0], in[1], {.log_target = log_target, .reduction = reduction});
  };

  CHECK_GRADCHECK(f, TensorList({input, target}));
}

TEST_CASE("cosine_embedding_loss has correct gradients for both inputs",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  auto margin = GENERATE(0.0, -0.3);
  INFO("reduction " << reduction_name(reduction) << ", margin " << margin);
  Tensor x1 = leaf(randn64({4, 6}, 26));
  Tensor x2 = leaf(randn64({4, 6}, 27));
  Tensor y = labels({1, -1, -1, 1}, {4});
  Tensor v1 = leaf(randn64({6}, 28));
  Tensor v2 = leaf(randn64({6}, 29));

  auto f = [&](const TensorList& in) {
    return cosine_embedding_loss(in[0], in[1], in[2], {.margin = margin, .reduction = reduction});
  };

  CHECK_GRADCHECK(f, TensorList({x1, x2, y}));
  CHECK_GRADCHECK(f, TensorList({x1, x2, y.to(kFloat64)}));
  CHECK_GRADCHECK(f, TensorList({v1, v2, labels({-1}, {})}));
}

TEST_CASE("margin_ranking_loss has correct gradients for inputs and target, broadcasting",
          "[ops][loss][gradcheck]") {
  auto reduction = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  INFO("reduction " << reduction_name(reduction));
  Tensor x1 = leaf(randn64({3, 1}, 30));
  Tensor x2 = leaf(randn64({1, 4}, 31));
  Tensor y = leaf(uniform64({3, 4}, -1.0, 1.0, 32));

  auto f = [&](const TensorList& in) {
    return margin_ranking_loss(in[0], in[1], in[2], {.margin = 0.2, .reduction = reduction});
  };

  CHECK_GRADCHECK(f, TensorList({x1, x2, y}));
}

// ---- semantics ----

TEST_CASE("nll_loss's mean divides by the total weight of the targets kept",
          "[ops][loss]") {
  Tensor x = tensor(std::vector<double>{-1, -2, -3, -4, -5, -6}, {3, 2});
  Tensor t = labels({1, 0, -100}, {3});
  Tensor w = tensor(std::vector<double>{0.5, 2.0});

  double mean_loss = value(nll_loss(x, t, {.weight = w}));
  double sum_loss = value(nll_loss(x, t, {.weight = w, .reduction = Reduction::Sum}));
  Tensor none = nll_loss(x, t, {.weight = w, .reduction = Reduction::None});

  CHECK(sum_loss == Approx(2.0 * 2 + 0.5 * 3));
  CHECK(mean_loss == Approx((2.0 * 2 + 0.5 * 3) / (2.0 + 0.5)));
  CHECK(none.to_vector<double>() == std::vector<double>{4.0, 1.5, 0.0});
}

TEST_CASE("a batch whose targets are all ignored has a NaN mean and zero gradients",
          "[ops][loss]") {
  Tensor x = leaf(randn64({3, 4}, 33));
  Tensor t = labels({-100, -100, -100}, {3});

  Tensor nll_mean = nll_loss(x, t);
  Tensor ce_mean = cross_entropy(x, t, {.label_smoothing = 0.1});
  add(nll_mean, ce_mean).backward();

  CHECK(std::isnan(value(nll_mean)));
  CHECK(std::isnan(value(ce_mean)));
  CHECK(value(nll_loss(x, t, {.reduction = Reduction::Sum})) == 0.0);
  CHECK(x.grad().to_vector<double>() == std::vector<double>(12, 0.0));
}

TEST_CASE("cross_entropy equals nll_loss of log_softmax, values and gradients",
          "[ops][loss]") {
  auto dtype = GENERATE(kFloat32, kFloat64);
  Tensor logits = randn64({4, 3, 2, 5}, 34).mul_(3.0).to(dtype);
  Tensor t = randint(0, 3, {4, 2, 5}, kInt64);
  Tensor w = uniform64({3}, 0.5, 2.0, 35).to(dtype);
  Tensor a = leaf(logits);
  Tensor b = leaf(logits);

  Tensor fused = cross_entropy(a, t, {.weight = w, .ignore_index = 2});
  Tensor composed = nll_loss(log_softmax(b, 1), t, {.weight = w, .ignore_index = 2});
  fused.backward();
  composed.backward();

  double rtol = dtype == kFloat32 ? 1e-5 : 1e-12;
  CHECK_CLOSE(fused, composed, rtol, rtol);
  CHECK_CLOSE(a.grad(), b.grad(), rtol, dtype == kFloat32 ? 1e-7 : 1e-15);
}

TEST_CASE("label smoothing mixes in the mean over classes as PyTorch 1.13 does",
          "[ops][loss]") {
  Tensor x = randn64({3, 4}, 36);
  Tensor t = labels({2, -100, 0}, {3});
  Tensor w = tensor(std::vector<double>{1.0, 0.5, 2.0, 1.5});
  const double eps = 0.25;
  Tensor lsm = log_softmax(x, 1);

  Tensor none = cross_entropy(x, t, {.weight = w, .label_smoothing = eps,
                                     .reduction = Reduction::None});
  double mean_loss = value(cross_entropy(x, t, {.weight = w, .label_smoothing = eps}));

  // PyTorch: (1 - eps) * nll + (eps / C) * sum_c -w[c] lsm[c]; mean divides
  // both by the weight of the kept targets.
  std::vector<double> l = lsm.to_vector<double>();
  std::vector<double> wv = w.to_vector<double>();
  auto expected = [&](int64_t n, int64_t target) {
    double smooth = 0;
    for (int64_t c = 0; c < 4; ++c) smooth -= wv[c] * l[n * 4 + c];
    return (1 - eps) * -wv[target] * l[n * 4 + target] + eps / 4 * smooth;
  };
  std::vector<double> got = none.to_vector<double>();
  CHECK(got[0] == Approx(expected(0, 2)));
  CHECK(got[1] == 0.0);
  CHECK(got[2] == Approx(expected(2, 0)));
  CHECK(mean_loss == Approx((got[0] + got[2]) / (wv[2] + wv[0])));
}

TEST_CASE("cross_entropy with probability targets averages over samples, not weights",
          "[ops][loss]") {
  Tensor x = randn64({2, 3, 2}, 37);
  Tensor p = softmax(randn64({2, 3, 2}, 38), 1);
  Tensor w = tensor(std::vector<double>{3.0, 1.0, 0.5});

  double total = value(cross_entropy(x, p, {.weight = w, .reduction = Reduction::Sum}));
  double average = value(cross_entropy(x, p, {.weight = w}));
  Tensor none = cross_entropy(x, p, {.weight = w, .reduction = Reduction::None});

  Tensor expected = neg(sum(mul(mul(log_softmax(x, 1), p), w.reshape({3, 1})), {1}));
  CHECK_CLOSE(none, expected, 1e-12, 1e-12);
  CHECK(average == Approx(total / 4));
}

TEST_CASE("binary_cross_entropy clamps its logs at -100 and keeps gradients finite",
          "[ops][loss]") {
  Tensor x = leaf(tensor(std::vector<double>{0, 1, 0, 1}));
  Tensor t = tensor(std::vector<double>{0, 1, 1, 0});

  Tensor loss = binary_cross_entropy(x, t, {.reduction = Reduction::None});
  sum(loss).backward();

  // The gradient divides by PyTorch's bound, the float 1e-12f, in float64 too.
  double bound = static_cast<double>(1e-12f);
  CHECK(loss.to_vector<double>() == std::vector<double>{0, 0, 100, 100});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, -1 / bound, 1 / bound});
}

TEST_CASE("binary_cross_entropy_with_logits is exact for logits of +-1e4", "[ops][loss]") {
  auto dtype = GENERATE(kFloat32, kFloat64);
  Tensor x = leaf(tensor(std::vector<double>{1e4, -1e4, 1e4, -1e4}).to(dtype));
  Tensor t = tensor(std::vector<double>{1, 0, 0, 1}).to(dtype);
  Tensor pos_weight = full({4}, 2.0, dtype);

  Tensor plain = binary_cross_entropy_with_logits(x, t, {.reduction = Reduction::None});
  Tensor weighted = binary_cross_entropy_with_logits(
      x, t, {.pos_weight = pos_weight, .reduction = Reduction::None});
  sum(weighted).backward();

  CHECK(plain.to_vector<double>() == std::vector<double>{0, 0, 1e4, 1e4});
  CHECK(weighted.to_vector<double>() == std::vector<double>{0, 0, 1e4, 2e4});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 1, -2});
}

TEST_CASE("kl_div is zero where the target is zero and BatchMean divides by the batch",
          "[ops][loss]") {
  Tensor input = tensor(std::vector<double>{-1, -2, -0.5, -1}, {2, 2});
  Tensor target = tensor(std::vector<double>{0, 0.5, 1, 0.25}, {2, 2});

  Tensor none = kl_div(input, target, {.reduction = Reduction::None});
  double total = value(kl_div(input, target, {.reduction = Reduction::Sum}));

  std::vector<double> v = none.to_vector<double>();
  CHECK(v[0] == 0.0);
  CHECK(v[1] == Approx(0.5 * (std::log(0.5) + 2)));
  CHECK(value(kl_div(input, target, {.reduction = Reduction::BatchMean})) == Approx(total / 2));
  CHECK(value(kl_div(input, target)) == Approx(total / 4));
}

TEST_CASE("margin_ranking_loss and cosine_embedding_loss pass the gradient at the hinge",
          "[ops][loss]") {
  Tensor x1 = leaf(tensor(std::vector<double>{1.0, 0.5, 0.0}));
  Tensor x2 = leaf(tensor(std::vector<double>{0.0, 0.5, 0.4}));
  Tensor y = leaf(tensor(std::vector<double>{-1, 1, 1}));

  margin_ranking_loss(x1, x2, y, {.reduction = Reduction::Sum}).backward();

  // PyTorch's clamp_min lets the gradient through where the hinge is exactly 0.
  CHECK(x1.grad().to_vector<double>() == std::vector<double>{1, -1, -1});
  CHECK(x2.grad().to_vector<double>() == std::vector<double>{-1, 1, 1});
  CHECK(y.grad().to_vector<double>()[2] == Approx(0.4));
}

TEST_CASE("cosine_embedding_loss ignores labels other than 1 and -1", "[ops][loss]") {
  Tensor x1 = randn64({3, 4}, 39);
  Tensor x2 = randn64({3, 4}, 40);

  Tensor loss = cosine_embedding_loss(x1, x2, labels({1, -1, 0}, {3}),
                                      {.reduction = Reduction::None});

  std::vector<double> a = x1.to_vector<double>(), b = x2.to_vector<double>();
  double dot = 0, na = 0, nb = 0;
  for (int i = 0; i < 4; ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  std::vector<double> v = loss.to_vector<double>();
  CHECK(v[0] == Approx(1 - dot / std::sqrt((na + 1e-12) * (nb + 1e-12))));
  CHECK(v[2] == 0.0);
}

TEST_CASE("reductions of empty inputs follow PyTorch: mean NaN, sum 0", "[ops][loss]") {
  Tensor empty_x = zeros({0, 3}, kFloat64);

  CHECK(std::isnan(value(mse_loss(empty_x, empty_x))));
  CHECK(value(l1_loss(empty_x, empty_x, Reduction::Sum)) == 0.0);
  CHECK(std::isnan(value(nll_loss(empty_x, labels({}, {0})))));
  CHECK(std::isnan(value(cross_entropy(empty_x, empty_x))));
  CHECK(mse_loss(empty_x, empty_x, Reduction::None).shape() == Shape{0, 3});
}

TEST_CASE("loss values and gradients do not depend on the thread count", "[ops][loss]") {
  int saved = get_num_threads();
  Tensor logits = randn64({512, 300}, 41).to(kFloat32);
  Tensor t = randint(0, 300, {512}, kInt64);

  auto run = [&] {
    Tensor x = leaf(logits);
    Tensor loss = cross_entropy(x, t, {.label_smoothing = 0.1});
    loss.backward();
    return TensorList{loss, x.grad(), nll_loss(logits, t, {.reduction = Reduction::Sum})};
  };
  set_num_threads(1);
  TensorList serial = run();
  set_num_threads(2);
  TensorList parallel = run();
  set_num_threads(saved);

  for (size_t i = 0; i < serial.size(); ++i) {
    CHECK(std::memcmp(serial[i].raw_data(), parallel[i].raw_data(),
                      serial[i].numel() * sizeof(float)) == 0);
  }
}

// ---- errors ----

TEST_CASE("regression losses refuse targets of another shape or dtype", "[ops][loss]") {
  Tensor x = zeros({3, 4});

  CHECK_THROWS_MATCHES(mse_loss(x, zeros({4})), Error,
                       ErrorMentions({"mse_loss", "[4]", "[3, 4]"}));
  CHECK_THROWS_MATCHES(l1_loss(x, zeros({3, 4}, kFloat64)), Error,
                       ErrorMentions({"l1_loss", "float64", "float32"}));
  CHECK_THROWS_MATCHES(huber_loss(zeros({3}, kInt64), zeros({3}, kInt64)), Error,
                       ErrorMentions({"huber_loss", "int64"}));
  CHECK_THROWS_MATCHES(kl_div(x, zeros({3, 1})), Error, ErrorMentions({"kl_div", "[3, 1]"}));
  CHECK_THROWS_MATCHES(smooth_l1_loss(x, x, {.beta = -1.0}), Error,
                       ErrorMentions({"smooth_l1_loss", "beta"}));
  CHECK_THROWS_MATCHES(huber_loss(x, x, {.delta = 0.0}), Error,
                       ErrorMentions({"huber_loss", "delta"}));
  CHECK_THROWS_MATCHES(mse_loss(x, x, Reduction::BatchMean), Error,
                       ErrorMentions({"mse_loss", "BatchMean"}));
}

TEST_CASE("nll_loss and cross_entropy refuse bad class targets and weights", "[ops][loss]") {
  Tensor x = zeros({3, 5});

  CHECK_THROWS_MATCHES(nll_loss(x, zeros({3})), Error,
                       ErrorMentions({"nll_loss", "int64", "float32"}));
  CHECK_THROWS_MATCHES(nll_loss(x, labels({1, 2}, {2})), Error,
                       ErrorMentions({"nll_loss", "[2]", "[3, 5]", "expected [3]"}));
  CHECK_THROWS_MATCHES(nll_loss(x, labels({1, 5, 2}, {3})), Error,
                       ErrorMentions({"nll_loss", "target 5", "position 1", "5 classes"}));
  CHECK_THROWS_MATCHES(cross_entropy(x, labels({1, -1, 2}, {3})), Error,
                       ErrorMentions({"cross_entropy", "target -1", "5 classes"}));
  CHECK_THROWS_MATCHES(nll_loss(x, labels({1, 2, 3}, {3}), {.weight = ones({4})}), Error,
                       ErrorMentions({"nll_loss", "weight", "[5]", "[4]"}));
  CHECK_THROWS_MATCHES(nll_loss(x, labels({1, 2, 3}, {3}), {.weight = ones({5}, kFloat64)}),
                       Error, ErrorMentions({"nll_loss", "weight", "float64"}));
  CHECK_THROWS_MATCHES(nll_loss(zeros({2, 3, 4}), labels({0, 1, 2, 0, 1, 2}, {2, 3})), Error,
                       ErrorMentions({"nll_loss", "[2, 3]", "[2, 4]"}));
  CHECK_THROWS_MATCHES(nll_loss(scalar_tensor(1.0), labels({0}, {})), Error,
                       ErrorMentions({"nll_loss", "0-d"}));
  CHECK_THROWS_MATCHES(cross_entropy(x, labels({1, 2, 3}, {3}), {.label_smoothing = 1.5}),
                       Error, ErrorMentions({"cross_entropy", "label_smoothing", "1.5"}));
  CHECK_THROWS_MATCHES(cross_entropy(x, zeros({3, 4})), Error,
                       ErrorMentions({"cross_entropy", "[3, 4]", "[3, 5]"}));
  CHECK_THROWS_MATCHES(cross_entropy(x, zeros({3, 5}), {.ignore_index = 1}), Error,
                       ErrorMentions({"cross_entropy", "ignore_index"}));
  CHECK_THROWS_MATCHES(cross_entropy(x, zeros({3}, kBool)), Error,
                       ErrorMentions({"cross_entropy", "int64", "bool"}));
}

TEST_CASE("class weights that require grad are refused, as in PyTorch", "[ops][loss]") {
  Tensor w = ones({5});
  w.requires_grad_(true);

  CHECK_THROWS_MATCHES(nll_loss(zeros({3, 5}), labels({1, 2, 3}, {3}), {.weight = w}), Error,
                       ErrorMentions({"nll_loss", "weight", "detach"}));
  CHECK_THROWS_MATCHES(binary_cross_entropy(full({5}, 0.5), full({5}, 0.5), {.weight = w}),
                       Error, ErrorMentions({"binary_cross_entropy", "weight"}));
}

TEST_CASE("binary cross entropy losses refuse bad inputs, targets and weights",
          "[ops][loss]") {
  Tensor p = full({2, 3}, 0.5);

  CHECK_THROWS_MATCHES(binary_cross_entropy(full({2, 3}, 1.5), p), Error,
                       ErrorMentions({"binary_cross_entropy", "[0, 1]"}));
  CHECK_THROWS_MATCHES(
      binary_cross_entropy(full({2, 3}, std::numeric_limits<double>::quiet_NaN()), p), Error,
      ErrorMentions({"binary_cross_entropy", "[0, 1]"}));
  CHECK_THROWS_MATCHES(binary_cross_entropy(p, full({3}, 0.5)), Error,
                       ErrorMentions({"binary_cross_entropy", "[3]", "[2, 3]"}));
  CHECK_THROWS_MATCHES(binary_cross_entropy(p, p, {.weight = ones({2})}), Error,
                       ErrorMentions({"binary_cross_entropy", "[2]"}));
  CHECK_THROWS_MATCHES(binary_cross_entropy_with_logits(p, p, {.weight = ones({4, 2, 3})}),
                       Error, ErrorMentions({"binary_cross_entropy_with_logits", "[4, 2, 3]"}));
  CHECK_THROWS_MATCHES(binary_cross_entropy_with_logits(p, p, {.pos_weight = ones({2})}),
                       Error, ErrorMentions({"pos_weight", "[2]"}));
}

TEST_CASE("pairwise losses refuse mismatched inputs and targets", "[ops][loss]") {
  Tensor a = zeros({3, 4});

  CHECK_THROWS_MATCHES(cosine_embedding_loss(a, zeros({2, 4}), labels({1, 1, 1}, {3})), Error,
                       ErrorMentions({"cosine_embedding_loss", "[3, 4]", "[2, 4]"}));
  CHECK_THROWS_MATCHES(cosine_embedding_loss(a, a, labels({1}, {})), Error,
                       ErrorMentions({"cosine_embedding_loss", "0-d target", "[3, 4]"}));
  CHECK_THROWS_MATCHES(cosine_embedding_loss(a, a, labels({1, 1}, {2})), Error,
                       ErrorMentions({"cosine_embedding_loss", "[2]", "3 rows"}));
  CHECK_THROWS_MATCHES(cosine_embedding_loss(zeros({2, 3, 4}), zeros({2, 3, 4}),
                                             labels({1, 1}, {2})),
                       Error, ErrorMentions({"cosine_embedding_loss", "[2, 3, 4]"}));
  CHECK_THROWS_MATCHES(margin_ranking_loss(zeros({3}), zeros({3, 1}), zeros({3})), Error,
                       ErrorMentions({"margin_ranking_loss", "[3]", "[3, 1]"}));
  CHECK_THROWS_MATCHES(margin_ranking_loss(zeros({3}), zeros({4}), zeros({3})), Error,
                       ErrorMentions({"margin_ranking_loss"}));
}
