// The bias-variance trade-off, measured: least-squares polynomials of growing
// degree fitted to y = sin(2 pi x) + eps, eps ~ N(0, sigma^2).
//
// Every training set has the same m inputs, x_j = (j + 0.5) / m, and fresh
// noise (the fixed-design setting of Hastie, Tibshirani and Friedman, "The
// Elements of Statistical Learning", section 7.3). For every degree 0..D the
// same B training sets are fitted, each fit predicts n test points (the
// midpoints of n equal cells of [0, 1]), and train::bias_variance splits the
// expected squared error into bias^2 + variance + noise, checked against the
// error measured on K fresh noisy labels per test point. A fixed design also
// has exact answers to compare with: the mean fit is the least-squares fit to
// f itself, and the variance at a test point t is sigma^2 phi(t)^T (X^T X)^-1
// phi(t). Prints one line per degree and writes into --out:
//   bias_variance.csv       the numbers of every degree
//   bias_variance.png       the U-curve: exact bias^2, variance, noise and
//                           their sum, the Monte Carlo estimates, the error
//                           measured on noisy labels and the training error
//   bias_variance_fits.png  20 of the B fits at three degrees, beside f
// Exits with status 1 when some degree's decomposition misses the measured
// error by more than 4 standard errors.
//
// The features are Legendre polynomials P_0..P_D of 2x - 1 (the same
// function space as 1, x, ..., x^D, with normal equations far better
// conditioned); the normal equations are formed with ember matmuls and solved
// by a Cholesky factorization.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/number_flags.h"
#include "common/plot.h"
#include "ember.h"
#include "train/bias_variance.h"

namespace {

using ember::Tensor;
constexpr double kPi = 3.14159265358979323846;

struct Settings {
  int64_t train_size = 20;    // m
  double noise = 0.3;         // sigma
  int64_t max_degree = 14;    // D
  int64_t models = 2000;      // B
  int64_t test_points = 100;  // n
  int64_t label_draws = 50;   // K
  std::string out = "experiments-out/bias_variance";
  int threads = 0;
  uint64_t seed = 0;
  bool quick = false;
};

double target(double x) { return std::sin(2.0 * kPi * x); }

std::vector<double> target_at(const std::vector<double>& x) {
  std::vector<double> f(x.size());
  for (size_t i = 0; i < x.size(); ++i) f[i] = target(x[i]);
  return f;
}

// The midpoints (i + 0.5) / n of n equal cells of [0, 1].
std::vector<double> midpoints(int64_t n) {
  std::vector<double> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[i] = (i + 0.5) / n;
  return x;
}

// Legendre polynomials P_0..P_degree at 2x - 1 for every x: float64
// [x.size(), degree + 1], by Bonnet's recurrence
// (k + 1) P_{k+1}(t) = (2k + 1) t P_k(t) - k P_{k-1}(t).
Tensor legendre_features(const std::vector<double>& x, int64_t degree) {
  const int64_t width = degree + 1;
  std::vector<double> features(x.size() * width);
  for (size_t row = 0; row < x.size(); ++row) {
    double* p = features.data() + row * width;
    const double t = 2.0 * x[row] - 1.0;
    p[0] = 1.0;
    if (degree >= 1) p[1] = t;
    for (int64_t k = 1; k < degree; ++k) {
      p[k + 1] = ((2.0 * k + 1.0) * t * p[k] - k * p[k - 1]) / (k + 1.0);
    }
  }
  return ember::tensor(features, {static_cast<int64_t>(x.size()), width});
}

// A = L L^T for a symmetric positive definite matrix A, and solves with it.
class Cholesky {
 public:
  // a: float64 [p, p]. Throws ember::Error when it is not positive definite
  // (fewer distinct points than parameters).
  explicit Cholesky(const Tensor& a) : size_(a.size(0)), lower_(a.to_vector<double>()) {
    const int64_t p = size_;
    for (int64_t j = 0; j < p; ++j) {
      double pivot = at(j, j);
      for (int64_t k = 0; k < j; ++k) pivot -= at(j, k) * at(j, k);
      EMBER_CHECK(pivot > 0.0, "Cholesky: the matrix is not positive definite at column ", j,
                  " of ", p);
      at(j, j) = std::sqrt(pivot);
      for (int64_t i = j + 1; i < p; ++i) {
        double sum = at(i, j);
        for (int64_t k = 0; k < j; ++k) sum -= at(i, k) * at(j, k);
        at(i, j) = sum / at(j, j);
      }
    }
  }

  // A^-1 rhs for rhs float64 [p, k]: forward substitution L z = rhs, then
  // back substitution L^T w = z, column by column.
  Tensor solve(const Tensor& rhs) const {
    const int64_t p = size_;
    const int64_t columns = rhs.size(1);
    std::vector<double> w = rhs.contiguous().to_vector<double>();
    for (int64_t c = 0; c < columns; ++c) {
      for (int64_t i = 0; i < p; ++i) {
        for (int64_t k = 0; k < i; ++k) w[i * columns + c] -= at(i, k) * w[k * columns + c];
        w[i * columns + c] /= at(i, i);
      }
      for (int64_t i = p - 1; i >= 0; --i) {
        for (int64_t k = i + 1; k < p; ++k) w[i * columns + c] -= at(k, i) * w[k * columns + c];
        w[i * columns + c] /= at(i, i);
      }
    }
    return ember::tensor(w, {p, columns});
  }

 private:
  double& at(int64_t i, int64_t j) { return lower_[i * size_ + j]; }
  double at(int64_t i, int64_t j) const { return lower_[i * size_ + j]; }

  int64_t size_;
  std::vector<double> lower_;  // row-major; only the lower triangle is meaningful
};

// One degree's fits to every training set, and the exact values to compare.
struct DegreeResult {
  int64_t degree = 0;
  double training_error = 0.0;        // mean over sets and points of (fit - y)^2
  ember::train::BiasVariance parts;   // Monte Carlo, from the B fits
  double exact_bias_squared = 0.0;
  double exact_variance = 0.0;
  Tensor test_predictions;            // [B, n]
};

// The problem shared by every degree: inputs, B training sets of labels, the
// test points and their noisy labels.
struct Problem {
  std::vector<double> train_x;  // m
  Tensor train_y;               // float64 [B, m]
  std::vector<double> test_x;   // n
  Tensor test_f;                // float64 [n]
  Tensor test_labels;           // float64 [K, n]
};

Problem draw_problem(const Settings& settings, ember::Generator& generator) {
  Problem problem;
  problem.train_x = midpoints(settings.train_size);
  Tensor train_f = ember::tensor(target_at(problem.train_x));
  problem.train_y = train_f + settings.noise * ember::randn({settings.models, settings.train_size},
                                                            ember::kFloat64, &generator);
  problem.test_x = midpoints(settings.test_points);
  problem.test_f = ember::tensor(target_at(problem.test_x));
  problem.test_labels = problem.test_f +
                        settings.noise * ember::randn({settings.label_draws, settings.test_points},
                                                      ember::kFloat64, &generator);
  return problem;
}

DegreeResult fit_degree(const Problem& problem, int64_t degree, double noise) {
  // Least squares for all B sets at once: W = (X^T X)^-1 X^T Y^T, [p, B].
  Tensor x = legendre_features(problem.train_x, degree);  // [m, p]
  Cholesky gram(ember::matmul(x.t(), x));
  Tensor weights = gram.solve(ember::matmul(x.t(), problem.train_y.t()));
  Tensor fitted = ember::matmul(x, weights);  // [m, B]
  Tensor test = legendre_features(problem.test_x, degree);  // [n, p]

  DegreeResult result;
  result.degree = degree;
  result.training_error = ember::mean(ember::square(fitted - problem.train_y.t())).item();
  result.test_predictions = ember::matmul(test, weights).t().contiguous();
  result.parts = ember::train::bias_variance(result.test_predictions, problem.test_f,
                                             noise * noise, problem.test_labels);

  // Exact: the mean fit is the fit to f, and Var fit(t) = sigma^2 phi(t)^T G^-1 phi(t).
  Tensor train_f = ember::tensor(target_at(problem.train_x)).unsqueeze(1);
  Tensor mean_fit = ember::matmul(test, gram.solve(ember::matmul(x.t(), train_f))).squeeze(1);
  result.exact_bias_squared = ember::mean(ember::square(mean_fit - problem.test_f)).item();
  Tensor leverage = ember::sum(test * gram.solve(test.t()).t(), {1});
  result.exact_variance = noise * noise * ember::mean(leverage).item();
  return result;
}

void write_csv(const std::vector<DegreeResult>& results, const std::string& path) {
  std::ofstream csv(path);
  csv << "degree,parameters,training_error,bias_squared,variance,noise,"
         "bias_squared_plus_variance_plus_noise,measured_error,gap,gap_standard_error,"
         "exact_bias_squared,exact_variance,bias_squared_plugin,variance_population\n";
  csv.precision(10);
  for (const DegreeResult& result : results) {
    const ember::train::BiasVariance& parts = result.parts;
    csv << result.degree << ',' << result.degree + 1 << ',' << result.training_error << ','
        << parts.bias_squared_unbiased << ',' << parts.variance_unbiased << ',' << parts.noise
        << ',' << parts.expected_error() << ',' << parts.measured_error << ',' << parts.gap()
        << ',' << parts.gap_standard_error << ',' << result.exact_bias_squared << ','
        << result.exact_variance << ',' << parts.bias_squared << ',' << parts.variance << '\n';
  }
  EMBER_CHECK(csv.good(), "cannot write ", path);
}

// Lines: the exact decomposition; points: what the B fits and K labels measured.
void plot_u_curve(const std::vector<DegreeResult>& results, const Settings& settings,
                  const std::string& path) {
  std::vector<double> degree, bias, variance, noise, total, exact_bias, exact_variance,
      measured, training;
  for (const DegreeResult& result : results) {
    degree.push_back(static_cast<double>(result.degree));
    // A bias^2 estimate below zero (the true one under its Monte Carlo
    // error) has no place on a log scale: left out of the drawing.
    const double bias_squared = result.parts.bias_squared_unbiased;
    bias.push_back(bias_squared > 0 ? bias_squared : std::nan(""));
    variance.push_back(result.parts.variance_unbiased);
    noise.push_back(result.parts.noise);
    total.push_back(result.exact_bias_squared + result.exact_variance + result.parts.noise);
    exact_bias.push_back(result.exact_bias_squared);
    exact_variance.push_back(result.exact_variance);
    measured.push_back(result.parts.measured_error);
    training.push_back(result.training_error);
  }
  char title[200];
  std::snprintf(title, sizeof title,
                "Least-squares polynomials fitted to sin(2 pi x) + N(0, %.2g^2) at %lld points "
                "(%lld training sets per degree)",
                settings.noise, static_cast<long long>(settings.train_size),
                static_cast<long long>(settings.models));
  plot::Figure figure{.title = title, .x_label = "polynomial degree (capacity)",
                      .y_label = "squared error (log scale)"};
  figure.log_y = true;
  // Down to 1e-6, where the exact bias^2 of degrees 5 and 6 (2e-5) still shows.
  figure.y_range = plot::Range{1e-6, 30.0};
  figure.key = "outside right";
  figure.add("bias^2 (exact)", degree, exact_bias, plot::Style::Lines, "#1f77b4");
  figure.add("variance (exact)", degree, exact_variance, plot::Style::Lines, "#ff7f0e");
  figure.add("noise sigma^2", degree, noise, plot::Style::Lines, "#7f7f7f");
  figure.add("bias^2 + variance + noise (exact)", degree, total, plot::Style::Lines, "#000000");
  figure.add("bias^2 estimated from the fits", degree, bias, plot::Style::Points, "#1f77b4");
  figure.add("variance estimated from the fits", degree, variance, plot::Style::Points,
             "#ff7f0e");
  figure.add("error measured on fresh noisy labels", degree, measured, plot::Style::Points,
             "#d62728");
  figure.add("training error", degree, training, plot::Style::LinesPoints, "#2ca02c");
  plot::draw([&] { plot::save_png(figure, path, {.width = 1250, .height = 640}); });
}

// 20 of the fits at three degrees, with f and the mean fit.
void plot_fits(const Problem& problem, const std::vector<int64_t>& degrees,
               const std::string& path) {
  const int64_t shown = 20;
  std::vector<double> grid = ember::linspace(0.0, 1.0, 201, ember::kFloat64).to_vector<double>();
  std::vector<double> f = target_at(grid);

  std::vector<plot::Figure> figures;
  for (int64_t degree : degrees) {
    Tensor x = legendre_features(problem.train_x, degree);
    Tensor weights =
        Cholesky(ember::matmul(x.t(), x)).solve(ember::matmul(x.t(), problem.train_y.t()));
    Tensor curves = ember::matmul(legendre_features(grid, degree), weights).t();  // [B, 201]
    std::vector<double> mean_curve = ember::mean(curves, {0}).to_vector<double>();
    plot::Figure figure{.title = "degree " + std::to_string(degree), .x_label = "x",
                        .y_label = "y"};
    figure.y_range = plot::Range{-2.0, 2.0};
    figure.key = degree == degrees.front() ? "bottom left" : "";
    for (int64_t b = 0; b < shown; ++b) {
      figure.add(b == 0 ? "fits to 20 training sets" : "", grid,
                 curves.select(0, b).to_vector<double>(), plot::Style::Lines, "#9ecae1");
    }
    figure.add("mean fit over all sets", grid, mean_curve, plot::Style::Lines, "#d62728");
    figure.add("f(x) = sin(2 pi x)", grid, f, plot::Style::Lines, "#000000");
    figures.push_back(std::move(figure));
  }
  plot::draw([&] {
    plot::save_png(figures, path, {.width = 1500, .height = 480, .columns = 3});
  });
}

void print_settings(const Settings& settings) {
  std::printf("bias_variance: f(x) = sin(2 pi x), sigma %.3g; %lld training sets of the same "
              "%lld inputs, degrees 0-%lld;\n  %lld test points x %lld noisy labels; seed %llu, "
              "%d threads\n",
              settings.noise, static_cast<long long>(settings.models),
              static_cast<long long>(settings.train_size),
              static_cast<long long>(settings.max_degree),
              static_cast<long long>(settings.test_points),
              static_cast<long long>(settings.label_draws),
              static_cast<unsigned long long>(settings.seed), ember::get_num_threads());
  std::printf("bias^2 and variance estimated from the fits (finite-B corrected), beside the "
              "exact values;\ngap = measured - (bias^2 + variance + noise), in standard errors "
              "too\n");
  std::printf("%6s %9s %10s %10s %10s %10s %8s %10s %10s %9s %6s\n", "degree", "train err",
              "bias^2", "exact", "variance", "exact", "noise", "sum", "measured", "gap",
              "gap/se");
}

void print_result(const DegreeResult& result) {
  const ember::train::BiasVariance& parts = result.parts;
  std::printf("%6lld %9.4f %10.3g %10.3g %10.4g %10.4g %8.4g %10.4g %10.4g %9.2g %6.2f%s\n",
              static_cast<long long>(result.degree), result.training_error,
              parts.bias_squared_unbiased, result.exact_bias_squared, parts.variance_unbiased,
              result.exact_variance, parts.noise, parts.expected_error(), parts.measured_error,
              parts.gap(), parts.gap() / parts.gap_standard_error,
              parts.adds_up() ? "" : "  (beyond 4 standard errors)");
}

int run(const Settings& settings) {
  auto start = std::chrono::steady_clock::now();
  if (settings.threads > 0) ember::set_num_threads(settings.threads);
  plot::create_directories(settings.out);
  ember::Generator generator(settings.seed);
  print_settings(settings);

  // One problem for every degree, so that degrees differ only by the model.
  Problem problem = draw_problem(settings, generator);
  std::vector<DegreeResult> results;
  for (int64_t degree = 0; degree <= settings.max_degree; ++degree) {
    results.push_back(fit_degree(problem, degree, settings.noise));
    print_result(results.back());
  }

  size_t best = 0;
  for (size_t r = 1; r < results.size(); ++r) {
    if (results[r].parts.measured_error < results[best].parts.measured_error) best = r;
  }
  std::printf("lowest measured test error at degree %lld: %.4f (noise floor %.4f)\n",
              static_cast<long long>(results[best].degree), results[best].parts.measured_error,
              settings.noise * settings.noise);

  const std::string stem = settings.out + "/bias_variance";
  write_csv(results, stem + ".csv");
  plot_u_curve(results, settings, stem + ".png");
  plot_fits(problem, {1, results[best].degree, settings.max_degree}, stem + "_fits.png");
  std::printf("wrote %s.csv, %s.png, %s_fits.png  (%.1f s)\n", stem.c_str(), stem.c_str(),
              stem.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  int misses = 0;
  for (const DegreeResult& result : results) misses += result.parts.adds_up() ? 0 : 1;
  if (misses > 0) std::printf("%d degrees do not add up within 4 standard errors\n", misses);
  return misses == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  ember::blas::reexec_with_fast_kernels(argv);

  Settings settings;
  CLI::App app{"Bias^2, variance and noise of polynomial regression of growing degree"};
  app.add_flag("--quick", settings.quick, "200 training sets and 10 labels per test point");
  app.add_option("--out", settings.out, "Directory for the CSV and the PNGs")
      ->capture_default_str();
  app.add_option("--threads", settings.threads, "Threads (0: EMBER_NUM_THREADS or every core)")
      ->capture_default_str()->check(number_flags::kNonNegative);
  app.add_option("--seed", settings.seed, "Seed of the training labels and the test labels")
      ->capture_default_str();
  app.add_option("--train-size", settings.train_size, "Points per training set (m)")
      ->capture_default_str()->check(CLI::Range(2, 100000));
  app.add_option("--noise", settings.noise, "Standard deviation sigma of the label noise")
      ->capture_default_str()->check(CLI::Range(0.0, 100.0));
  app.add_option("--max-degree", settings.max_degree, "Highest polynomial degree (D < m)")
      ->capture_default_str()->check(CLI::Range(0, 30));
  app.add_option("--models", settings.models, "Training sets per degree (B)")
      ->capture_default_str()->check(CLI::Range(2, 1000000));
  app.add_option("--labels", settings.label_draws, "Noisy labels per test point (K)")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);
  // --quick: smaller defaults; sizes given on the command line stay.
  if (settings.quick) {
    if (app.count("--models") == 0) settings.models = 200;
    if (app.count("--labels") == 0) settings.label_draws = 10;
  }

  try {
    EMBER_CHECK(settings.max_degree < settings.train_size, "--max-degree ",
                settings.max_degree, " needs more points than that per training set, got ",
                "--train-size ", settings.train_size);
    return run(settings);
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "bias_variance: %s\n", error.what());
    return 1;
  }
}
