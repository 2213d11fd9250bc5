#pragma once

// A small gnuplot driver for the experiments: line, point and bar charts, several
// charts side by side, and maps of 2-D functions (colours and contour lines) with
// paths drawn over them.
//
//   plot::Figure figure{.title = "Training loss", .x_label = "epoch", .y_label = "loss"};
//   figure.log_y = true;
//   figure.add("adam", epochs, losses);
//   plot::save_png(figure, "out/loss.png");  // also writes out/loss.dat and out/loss.gp
//
// save_png writes the numbers (loss.dat) and the script (loss.gp) beside the
// PNG first, then runs gnuplot in that directory, so `cd out && gnuplot
// loss.gp` redraws it by hand. Text is drawn literally (no gnuplot markup).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace plot {

enum class Style { Lines, Points, LinesPoints, Bars };

// One curve: y[i] against x[i]. Non-finite values are left out of the drawing.
struct Series {
  // Empty: left out of the legend.
  std::string label = "";
  std::vector<double> x = {};
  std::vector<double> y = {};
  Style style = Style::Lines;
  // "#rrggbb"; empty: the next colour of a ten-colour cycle.
  std::string color = "";
  // gnuplot's point type for Points and LinesPoints: 7 a filled circle, 5 a
  // filled square, 9 a filled triangle, 3 a star, 2 a cross.
  int point_type = 7;
};

struct Range {
  double min = 0.0;
  double max = 1.0;
};

// A chart of one or more series on shared axes.
struct Figure {
  std::string title = "";
  std::string x_label = "";
  std::string y_label = "";
  bool log_x = false;
  bool log_y = false;
  // Unset: fitted to the data.
  std::optional<Range> x_range = std::nullopt;
  std::optional<Range> y_range = std::nullopt;
  // Where the legend goes, in gnuplot's words ("top right", "bottom left",
  // "outside right"); empty: no legend.
  std::string key = "top right";
  std::vector<Series> series = {};

  // Appends a series. Throws ember::Error when x and y differ in length.
  Figure& add(std::string label, std::vector<double> x, std::vector<double> y,
              Style style = Style::Lines, std::string color = "", int point_type = 7);
};

// f sampled on a regular grid: value(i, j) = f(x_i, y_j), x_i running over
// `columns` points from x.min to x.max, y_j over `rows` points likewise.
struct Grid {
  Range x = {};
  Range y = {};
  int64_t columns = 0;
  int64_t rows = 0;
  std::vector<double> values = {};  // [rows, columns], row-major

  double x_at(int64_t i) const;
  double y_at(int64_t j) const;
};

// Samples f at points_per_axis x points_per_axis points. Throws ember::Error
// for fewer than 2 points or an empty range.
Grid sample(const std::function<double(double, double)>& f, Range x, Range y,
            int64_t points_per_axis = 200);

// A 2-D function as a colour map with contour lines, and paths over it (e.g.
// the iterates of optimizers); markers are paths with Style::Points. Paths
// leaving the grid are clipped at its border.
struct ContourFigure {
  std::string title = "";
  std::string x_label = "x";
  std::string y_label = "y";
  Grid grid = {};
  // Colours and contour levels on log10(f) (values under the smallest positive
  // one, or 1e-9 of the largest, are raised to it), for functions spanning
  // many decades such as Rosenbrock's; needs f >= 0 somewhere positive.
  bool log_scale = false;
  int levels = 15;
  std::string key = "outside right top";
  std::vector<Series> paths = {};

  ContourFigure& add(std::string label, std::vector<double> x, std::vector<double> y,
                     Style style = Style::Lines, std::string color = "", int point_type = 7);
};

struct PngOptions {
  // Pixels; 0: 720 x 520 per chart.
  int width = 0;
  int height = 0;
  // Charts per row when several are drawn together; 0: all in one row.
  int columns = 0;
};

// Writes PATH (a .png), PATH's stem + ".dat" (the numbers) and + ".gp" (the
// script), creating the directory, then runs gnuplot (pngcairo when built in,
// else png). Throws ember::Error when a figure has no series, when a file
// cannot be written, when gnuplot is missing (naming Debian's gnuplot-nox
// package; the .dat and .gp files are kept) or when it fails (with its message).
void save_png(const Figure& figure, const std::string& path, const PngOptions& options = {});
// The figures side by side (options.columns per row), sharing one PNG.
void save_png(const std::vector<Figure>& figures, const std::string& path,
              const PngOptions& options = {});
void save_png(const ContourFigure& figure, const std::string& path,
              const PngOptions& options = {});

// The i-th colour of the cycle series without a colour of their own take, so
// markers can match a curve drawn before them.
std::string cycle_color(size_t i);

// The gnuplot program on PATH, or an empty string when there is none.
std::string find_gnuplot();

// Runs `save` (a save_png call). When it throws ember::Error (gnuplot missing
// or failing), says so on stderr and returns false: a program's CSV files are
// its results, the pictures a convenience.
bool draw(const std::function<void()>& save);

// Creates `directory` and its parents where missing. Throws ember::Error
// naming it when that fails (a file in the way, no permission), so a program
// can check its output directory before it spends time computing.
void create_directories(const std::string& directory);

}  // namespace plot
