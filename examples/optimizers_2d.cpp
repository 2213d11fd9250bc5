// Eight optimizers side by side, twice: on three functions of two variables,
// where their paths can be drawn, and training an MLP on Fashion-MNIST.
//
// Functions: SGD, Momentum, Nesterov (SGD with momentum 0.9), Adagrad,
// Adadelta, RMSprop, Adam and AdamW (weight decay 0.01) each minimize
//   Rosenbrock  (1 - x)^2 + 100 (y - x^2)^2      from (-1.5, 2),  minimum (1, 1)
//   Beale       (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2
//                                                from (1, 1.5),   minimum (3, 0.5)
//   saddle      x^2 - y^2                        from (1, 0.001), no minimum
// on a float64 parameter [2] whose gradient autograd computes, at the
// learning rates of kFunctionRates (chosen from a log grid by --lr-sweep for
// Rosenbrock and Beale, 0.01 on the saddle). Writes trajectories.csv (every
// iterate), functions.csv (final loss and distance to the minimum) and one
// PNG per function with the paths over its contour map.
//
// Fashion-MNIST: the same optimizers train the MLP 784-512-256-10 (ReLU) from
// the same initial weights on the same batches (a 20,000-image subset, 10
// epochs of batch 64; --quick: 2,000 images, 2 epochs), at the rates of
// kFashionRates. Writes fashion.csv and fashion_mlp.png (training loss and
// validation accuracy against epochs).
//
//   optimizers_2d [--quick] [--part all|functions|fashion] [--lr-sweep] [--out DIR]
//
// Exits with status 2 when the Fashion-MNIST files are missing (after the
// functions, when they were asked for too), 1 on other errors.
#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/experiment.h"
#include "common/plot.h"
#include "data/tensor_dataset.h"
#include "ember.h"
#include "optim/optim.h"

namespace {

namespace data = ember::data;
namespace nn = ember::nn;
namespace optim = ember::optim;
using ember::Tensor;

const std::vector<std::string> kOptimizers = {"sgd",      "momentum", "nesterov", "adagrad",
                                              "adadelta", "rmsprop",  "adam",     "adamw"};

// `name` over `params` at learning rate `lr`, PyTorch's defaults otherwise;
// "momentum" and "nesterov" are SGD with momentum 0.9, adamw decays by 0.01.
std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 std::vector<Tensor> params, double lr) {
  if (name == "sgd" || name == "momentum" || name == "nesterov") {
    double momentum = name == "sgd" ? 0.0 : 0.9;
    optim::SGDOptions options{.lr = lr, .momentum = momentum, .nesterov = name == "nesterov"};
    return std::make_unique<optim::SGD>(params, options);
  }
  if (name == "adagrad") {
    return std::make_unique<optim::Adagrad>(params, optim::AdagradOptions{.lr = lr});
  }
  if (name == "adadelta") {
    return std::make_unique<optim::Adadelta>(params, optim::AdadeltaOptions{.lr = lr});
  }
  if (name == "rmsprop") {
    return std::make_unique<optim::RMSprop>(params, optim::RMSpropOptions{.lr = lr});
  }
  if (name == "adamw") {
    return std::make_unique<optim::AdamW>(params, optim::AdamWOptions{.lr = lr});
  }
  return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = lr});
}

// ---- Part 1: functions of two variables ----

// Written once for doubles (the contour map) and tensors (autograd).
template <typename T>
T rosenbrock(const T& x, const T& y) {
  T valley = y - x * x;
  return (1.0 - x) * (1.0 - x) + 100.0 * valley * valley;
}

template <typename T>
T beale(const T& x, const T& y) {
  T a = 1.5 - x + x * y;
  T b = 2.25 - x + x * y * y;
  T c = 2.625 - x + x * y * y * y;
  return a * a + b * b + c * c;
}

template <typename T>
T saddle(const T& x, const T& y) {
  return x * x - y * y;
}

struct Problem {
  std::string name;
  std::string title;
  std::function<Tensor(const Tensor&, const Tensor&)> loss;
  std::function<double(double, double)> value;
  std::array<double, 2> start;
  std::optional<std::array<double, 2>> minimum;
  plot::Range x_range;
  plot::Range y_range;
  bool log_scale;
  int64_t steps;
  // A run stops early below this loss (the saddle, unbounded below, once a
  // path has left it).
  double stop_below = -std::numeric_limits<double>::infinity();
  // The learning rate of each optimizer.
  std::map<std::string, double> rates;
};

// Learning rates on the functions with minima: of the grid {1e-4, 3e-4, 1e-3,
// ..., 1, 3} (3000 steps each), the smallest that ends below a loss of 1e-12,
// else the one that ends lowest; --lr-sweep prints the grid and its choice.
// On the saddle every optimizer takes 0.01 (Adadelta its default 1.0, its
// rate being a multiplier), so the paths differ by the algorithm alone.
const std::map<std::string, std::map<std::string, double>> kFunctionRates = {
    {"rosenbrock", {{"sgd", 1e-3}, {"momentum", 1e-3}, {"nesterov", 1e-3}, {"adagrad", 1.0},
                    {"adadelta", 0.1}, {"rmsprop", 3e-3}, {"adam", 3e-2}, {"adamw", 3e-2}}},
    {"beale", {{"sgd", 3e-2}, {"momentum", 3e-3}, {"nesterov", 3e-3}, {"adagrad", 1.0},
               {"adadelta", 0.1}, {"rmsprop", 3e-3}, {"adam", 3e-2}, {"adamw", 0.3}}},
    {"saddle", {{"sgd", 1e-2}, {"momentum", 1e-2}, {"nesterov", 1e-2}, {"adagrad", 1e-2},
                {"adadelta", 1.0}, {"rmsprop", 1e-2}, {"adam", 1e-2}, {"adamw", 1e-2}}},
};

std::vector<Problem> make_problems(bool quick) {
  const int64_t steps = quick ? 500 : 3000;
  return {
      {"rosenbrock", "Rosenbrock (1-x)^2 + 100 (y-x^2)^2", rosenbrock<Tensor>,
       rosenbrock<double>, {-1.5, 2.0}, std::array<double, 2>{1.0, 1.0}, {-2.0, 2.0},
       {-1.0, 3.0}, true, steps, -std::numeric_limits<double>::infinity(),
       kFunctionRates.at("rosenbrock")},
      {"beale", "Beale's function", beale<Tensor>, beale<double>, {1.0, 1.5},
       std::array<double, 2>{3.0, 0.5}, {-1.0, 4.5}, {-1.5, 2.5}, true, steps,
       -std::numeric_limits<double>::infinity(), kFunctionRates.at("beale")},
      {"saddle", "Saddle x^2 - y^2", saddle<Tensor>, saddle<double>, {1.0, 1e-3}, std::nullopt,
       {-1.5, 1.5}, {-1.5, 1.5}, false, quick ? 300 : 1000, -2.0, kFunctionRates.at("saddle")},
  };
}

// Every iterate of one run, the start included.
struct Path {
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> loss;
  bool diverged = false;
};

Path descend(const Problem& problem, const std::string& optimizer_name, double lr) {
  Tensor point = ember::tensor(std::vector<double>{problem.start[0], problem.start[1]});
  point.requires_grad_();
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(optimizer_name, {point}, lr);
  Path path;
  for (int64_t step = 0;; ++step) {
    optimizer->zero_grad();
    Tensor loss = problem.loss(point[0], point[1]);
    std::vector<double> at = point.detach().to_vector<double>();
    path.x.push_back(at[0]);
    path.y.push_back(at[1]);
    path.loss.push_back(loss.item());

    // Far outside the picture counts as diverged: the numbers would only overflow.
    if (!std::isfinite(path.loss.back()) || std::abs(at[0]) + std::abs(at[1]) > 1e6) {
      path.diverged = true;
      break;
    }
    if (step == problem.steps || path.loss.back() < problem.stop_below) break;
    loss.backward();
    optimizer->step();
  }
  return path;
}

double distance(const Problem& problem, double x, double y) {
  if (!problem.minimum) return std::numeric_limits<double>::quiet_NaN();
  return std::hypot(x - (*problem.minimum)[0], y - (*problem.minimum)[1]);
}

// The first step that gets within 0.01 of the minimum, or (the saddle) below
// f = -1; -1 when none does.
int64_t steps_to_target(const Problem& problem, const Path& path) {
  for (size_t i = 0; i < path.x.size(); ++i) {
    bool reached = problem.minimum ? distance(problem, path.x[i], path.y[i]) < 1e-2
                                   : path.loss[i] < -1.0;
    if (reached) return static_cast<int64_t>(i);
  }
  return -1;
}

std::string distance_text(const Problem& problem, double x, double y) {
  if (!problem.minimum) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", distance(problem, x, y));
  return text;
}

std::string target_text(int64_t step) { return step < 0 ? "never" : std::to_string(step); }

void draw_problem(const Problem& problem, const std::map<std::string, Path>& paths,
                  const std::string& out) {
  plot::ContourFigure figure{
      .title = problem.title + ": paths of 8 optimizers",
      .grid = plot::sample(problem.value, problem.x_range, problem.y_range, 160),
      .log_scale = problem.log_scale};
  for (size_t i = 0; i < kOptimizers.size(); ++i) {
    const std::string& name = kOptimizers[i];
    const Path& path = paths.at(name);
    figure.add(name + " (lr " + experiment::number(problem.rates.at(name)) + ")", path.x, path.y,
               plot::Style::Lines, plot::cycle_color(i));
  }
  // Where each path ended, in its colour, on top of every path.
  for (size_t i = 0; i < kOptimizers.size(); ++i) {
    const Path& path = paths.at(kOptimizers[i]);
    figure.add("", {path.x.back()}, {path.y.back()}, plot::Style::Points, plot::cycle_color(i));
  }
  figure.add("start", {problem.start[0]}, {problem.start[1]}, plot::Style::Points, "#000000");
  if (problem.minimum) {
    figure.add("minimum", {(*problem.minimum)[0]}, {(*problem.minimum)[1]}, plot::Style::Points,
               "#000000", 3);
  }
  plot::draw([&] { plot::save_png(figure, out + "/" + problem.name + ".png"); });
}

void run_functions(const experiment::Flags& flags) {
  experiment::CsvTable trajectories(flags.out + "/trajectories.csv",
                                    {"function", "optimizer", "lr", "step", "x", "y", "loss"});
  experiment::CsvTable summary(flags.out + "/functions.csv",
                               {"function", "optimizer", "lr", "steps", "x", "y", "loss",
                                "distance_to_minimum", "steps_to_target", "diverged"});
  for (const Problem& problem : make_problems(flags.quick)) {
    std::printf("\n%s from (%g, %g), %lld steps; target: %s\n", problem.title.c_str(),
                problem.start[0], problem.start[1], static_cast<long long>(problem.steps),
                problem.minimum ? "within 0.01 of the minimum" : "f < -1 (escaped)");
    std::printf("  %-9s %8s %11s %11s %12s %10s %8s\n", "optimizer", "lr", "x", "y", "loss",
                "distance", "target");
    std::map<std::string, Path> paths;
    for (const std::string& name : kOptimizers) {
      double lr = problem.rates.at(name);
      Path path = descend(problem, name, lr);
      for (size_t i = 0; i < path.x.size(); ++i) {
        trajectories.row({problem.name, name, experiment::number(lr), std::to_string(i),
                          experiment::number(path.x[i]), experiment::number(path.y[i]),
                          experiment::number(path.loss[i])});
      }
      double x = path.x.back();
      double y = path.y.back();
      int64_t target = steps_to_target(problem, path);
      summary.row({problem.name, name, experiment::number(lr), std::to_string(path.x.size() - 1),
                   experiment::number(x), experiment::number(y),
                   experiment::number(path.loss.back()),
                   experiment::number(distance(problem, x, y)), std::to_string(target),
                   path.diverged ? "1" : "0"});
      std::printf("  %-9s %8g %11.4g %11.4g %12.4g %10s %8s%s\n", name.c_str(), lr, x, y,
                  path.loss.back(), distance_text(problem, x, y).c_str(),
                  target_text(target).c_str(), path.diverged ? "  diverged" : "");
      paths.emplace(name, std::move(path));
    }
    draw_problem(problem, paths, flags.out);
  }
}

// The rule of kFunctionRates: the smallest rate whose run ends below 1e-12,
// else the one whose run ends lowest. `losses` follow `rates`.
double choose_rate(const std::vector<double>& rates, const std::vector<double>& losses) {
  size_t best = 0;
  for (size_t i = 0; i < rates.size(); ++i) {
    if (losses[i] < 1e-12) return rates[i];
    if (losses[i] < losses[best]) best = i;
  }
  return rates[best];
}

// Every optimizer at every rate of a log grid on every function: the final
// loss (the saddle: steps to f < -1), and the rate chosen by choose_rate.
void sweep_rates(const experiment::Flags& flags) {
  const std::vector<double> rates = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0};
  experiment::CsvTable csv(flags.out + "/lr_sweep.csv",
                           {"function", "optimizer", "lr", "loss", "steps_to_target"});
  for (const Problem& problem : make_problems(flags.quick)) {
    std::printf("\nlearning-rate sweep on %s (%s)\n  %-9s", problem.name.c_str(),
                problem.minimum ? "final loss" : "steps to f < -1", "optimizer");
    for (double lr : rates) std::printf(" %9g", lr);
    std::printf("%s\n", problem.minimum ? "    chosen" : "");
    for (const std::string& name : kOptimizers) {
      std::printf("  %-9s", name.c_str());
      std::vector<double> losses;
      for (double lr : rates) {
        Path path = descend(problem, name, lr);
        int64_t target = steps_to_target(problem, path);
        losses.push_back(path.diverged ? std::numeric_limits<double>::infinity()
                                       : path.loss.back());
        csv.row({problem.name, name, experiment::number(lr), experiment::number(losses.back()),
                 std::to_string(target)});
        if (problem.minimum) {
          std::printf(" %9.2e", losses.back());
        } else {
          std::printf(" %9s", target_text(target).c_str());
        }
      }
      if (problem.minimum) std::printf(" %9g", choose_rate(rates, losses));
      std::printf("\n");
    }
  }
}

// ---- Part 2: an MLP on Fashion-MNIST ----

// Rates for the MLP: plain SGD at 0.1, and momentum's at 0.01 (the same
// effective step, lr / (1 - 0.9)); the adaptive methods at PyTorch's defaults,
// except RMSprop's 1e-2, which diverges here, lowered to Adam's 1e-3.
const std::map<std::string, double> kFashionRates = {
    {"sgd", 0.1},      {"momentum", 1e-2}, {"nesterov", 1e-2}, {"adagrad", 1e-2},
    {"adadelta", 1.0}, {"rmsprop", 1e-3},  {"adam", 1e-3},     {"adamw", 1e-3}};

nn::Sequential make_mlp() {
  return nn::Sequential(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 256), nn::ReLU(),
                        nn::Linear(256, 10));
}

struct Curves {
  std::vector<double> epochs;
  std::vector<double> train_loss;
  std::vector<double> valid_accuracy;
};

int run_fashion(const experiment::Flags& flags) {
  const int64_t train_count = flags.quick ? 2000 : 20000;
  const int64_t valid_count = flags.quick ? 1000 : 5000;
  const int64_t epochs = flags.quick ? 2 : 10;
  std::optional<experiment::FashionTensors> fashion =
      experiment::load_fashion(flags.data_dir, train_count, valid_count, "optimizers_2d");
  if (!fashion) return experiment::kNoDataStatus;

  std::printf("\nMLP 784-512-256-10 on Fashion-MNIST: %lld train / %lld valid images, "
              "%lld epochs of batch 64, %d threads\n",
              static_cast<long long>(train_count), static_cast<long long>(valid_count),
              static_cast<long long>(epochs), ember::get_num_threads());
  std::printf("  %-9s %8s %11s %11s %10s %10s %8s\n", "optimizer", "lr", "train loss",
              "valid loss", "valid acc", "best acc", "seconds");
  experiment::CsvTable csv(flags.out + "/fashion.csv",
                           {"optimizer", "lr", "epoch", "train_loss", "valid_loss",
                            "valid_accuracy", "seconds"});
  std::map<std::string, Curves> curves;
  for (const std::string& name : kOptimizers) {
    // The same initial weights and the same batches for every optimizer.
    ember::manual_seed(flags.seed);
    nn::Sequential model = make_mlp();
    double lr = kFashionRates.at(name);
    std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(name, model->parameters(), lr);
    data::DataLoader loader(data::TensorDataset(fashion->train_inputs, fashion->train_labels),
                            {.batch_size = 64, .shuffle = true, .seed = flags.seed});

    auto start = std::chrono::steady_clock::now();
    Curves& curve = curves[name];
    experiment::Evaluation valid;
    double best = 0.0;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      double train_loss = experiment::train_epoch(*model, *optimizer, loader);
      valid = experiment::evaluate(*model, fashion->valid_inputs, fashion->valid_labels);
      best = std::max(best, valid.accuracy);
      curve.epochs.push_back(static_cast<double>(epoch));
      curve.train_loss.push_back(train_loss);
      curve.valid_accuracy.push_back(valid.accuracy);
      csv.row({name, experiment::number(lr), std::to_string(epoch),
               experiment::number(train_loss), experiment::number(valid.loss),
               experiment::number(valid.accuracy),
               experiment::number(experiment::seconds_since(start))});
    }
    std::printf("  %-9s %8g %11.4f %11.4f %10.4f %10.4f %8.1f\n", name.c_str(), lr,
                curve.train_loss.back(), valid.loss, valid.accuracy, best,
                experiment::seconds_since(start));
    std::fflush(stdout);
  }

  plot::Figure loss{.title = "Training loss (MLP, Fashion-MNIST)", .x_label = "epoch",
                    .y_label = "mean training loss of the epoch"};
  loss.log_y = true;
  plot::Figure accuracy{.title = "Validation accuracy", .x_label = "epoch",
                        .y_label = "accuracy", .key = "bottom right"};
  for (const std::string& name : kOptimizers) {
    const Curves& curve = curves[name];
    loss.add(name, curve.epochs, curve.train_loss, plot::Style::LinesPoints);
    accuracy.add(name, curve.epochs, curve.valid_accuracy, plot::Style::LinesPoints);
  }
  plot::draw([&] {
    plot::save_png(std::vector<plot::Figure>{loss, accuracy}, flags.out + "/fashion_mlp.png");
  });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  CLI::App app{"Optimizers on 2-D test functions and on an MLP for Fashion-MNIST"};
  experiment::Flags flags;
  experiment::add_flags(app, flags, "optimizers_2d", true);
  std::string part = "all";
  app.add_option("--part", part, "What to run")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "functions", "fashion"}));
  bool lr_sweep = false;
  app.add_flag("--lr-sweep", lr_sweep,
               "Only sweep the learning rates on the functions (lr_sweep.csv)");
  CLI11_PARSE(app, argc, argv);

  try {
    experiment::apply(flags);
    if (lr_sweep) {
      sweep_rates(flags);
      return 0;
    }
    if (part != "fashion") run_functions(flags);
    int status = part != "functions" ? run_fashion(flags) : 0;
    if (status == 0 || part == "all") std::printf("\nwrote %s\n", flags.out.c_str());
    return status;
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "optimizers_2d: %s\n", error.what());
    return 1;
  }
}
