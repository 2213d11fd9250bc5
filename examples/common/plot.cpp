#include "common/plot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "framework/error.h"

namespace plot {

namespace {

namespace fs = std::filesystem;

// Matplotlib's "tab10": ten colours that stay apart on white and on pale maps.
constexpr std::array<const char*, 10> kColors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                  "#bcbd22", "#17becf"};

// A gnuplot string literal. Single quotes take every character literally
// except the quote itself, which is doubled; control characters (a newline
// would end the command) become spaces.
std::string quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "''";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += ' ';
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// Enough digits to tell neighbouring float32 values apart; gnuplot reads
// "NaN" as a missing point.
std::string number(double value) {
  if (!std::isfinite(value)) return "NaN";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

void check_color(const std::string& color) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  bool ok = color.size() == 7 && color[0] == '#' &&
            std::all_of(color.begin() + 1, color.end(), hex);
  EMBER_CHECK(ok, "plot: colour '", color, "' is not of the form #rrggbb");
}

// The legend position goes into the script as it is, so only the words of
// gnuplot's `set key` are let through.
void check_key(const std::string& key) {
  bool ok = std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == ',' || c == '.';
  });
  EMBER_CHECK(ok, "plot: legend position '", key,
              "' holds characters other than letters, digits, spaces, commas and dots");
}

void check_range(const Range& range, const char* axis) {
  EMBER_CHECK(std::isfinite(range.min) && std::isfinite(range.max) && range.min < range.max,
              "plot: the ", axis, " range [", range.min, ", ", range.max,
              "] must be finite with min < max");
}

// Where the files of one PNG go: the directory and the bare names the script
// uses, so it runs from that directory.
struct Files {
  fs::path directory;
  std::string png;
  std::string data;
  std::string script;
  std::string log;
};

Files files_for(const std::string& path) {
  fs::path png(path);
  EMBER_CHECK(png.has_filename(), "plot: '", path, "' names no file");
  std::string stem = png.stem().string();
  EMBER_CHECK(std::none_of(path.begin(), path.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x20; }),
              "plot: the file name '", path, "' holds control characters");
  fs::path directory = png.parent_path().empty() ? fs::path(".") : png.parent_path();
  create_directories(directory.string());
  return {directory, png.filename().string(), stem + ".dat", stem + ".gp", stem + ".log"};
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  EMBER_CHECK(out.good(), "plot: cannot write ", path.string());
}

// The numbers of every drawing, as gnuplot data blocks ("index N" in a plot
// command): blocks end with two blank lines, grid rows with one.
class DataText {
 public:
  // Adds a series' block; returns its index.
  int add(const Series& series) {
    text_ << "# " << series.label << "\n# x y\n";
    for (size_t i = 0; i < series.x.size(); ++i) {
      text_ << number(series.x[i]) << ' ' << number(series.y[i]) << '\n';
    }
    return end_block();
  }

  // Adds a grid's block, one row of constant y after another.
  int add(const Grid& grid, const std::vector<double>& values, const std::string& title) {
    text_ << "# " << title << "\n# x y value\n";
    for (int64_t j = 0; j < grid.rows; ++j) {
      for (int64_t i = 0; i < grid.columns; ++i) {
        text_ << number(grid.x_at(i)) << ' ' << number(grid.y_at(j)) << ' '
              << number(values[j * grid.columns + i]) << '\n';
      }
      text_ << '\n';
    }
    return end_block();
  }

  std::string str() const { return text_.str(); }

 private:
  int end_block() {
    text_ << "\n\n";
    return blocks_++;
  }

  std::ostringstream text_;
  int blocks_ = 0;
};

std::string style_clause(const Series& series, size_t position) {
  const std::string color = series.color.empty() ? cycle_color(position) : series.color;
  const std::string lc = " lc rgb " + quote(color);
  const std::string pt = " pt " + std::to_string(series.point_type);
  const std::string title = series.label.empty() ? " notitle" : " title " + quote(series.label);
  switch (series.style) {
    case Style::Lines: return "with lines lw 2" + lc + title;
    case Style::Points: return "with points ps 1.3" + pt + lc + title;
    case Style::LinesPoints: return "with linespoints lw 1.5 ps 0.6" + pt + lc + title;
    // The fill takes the series' colour; the border stays dark grey.
    case Style::Bars: return "with boxes" + lc + " fs solid 0.8 border lc rgb '#404040'" + title;
  }
  return "with lines" + lc + title;
}

void check_series(const Series& series) {
  EMBER_CHECK(series.x.size() == series.y.size(), "plot: series '", series.label, "' has ",
              series.x.size(), " x values but ", series.y.size(), " y values");
  EMBER_CHECK(series.point_type >= 0 && series.point_type <= 15, "plot: series '",
              series.label, "' has point type ", series.point_type, "; gnuplot's are 0-15");
  if (!series.color.empty()) check_color(series.color);
}

// The commands shared by every script: the terminal, and how data is read.
std::string preamble(const Files& files, int width, int height) {
  std::ostringstream script;
  script << "# Redraw with: gnuplot " << files.script << " (in this directory)\n"
         << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         << "  set terminal pngcairo size " << width << "," << height
         << " noenhanced font 'sans,10'\n"
         << "} else {\n"
         << "  set terminal png size " << width << "," << height << " noenhanced\n"
         << "}\n"
         << "set output " << quote(files.png) << "\n"
         << "set datafile missing 'NaN'\n"
         << "set style fill solid 0.7\n"
         // Absolute, so that a series of one bar is as wide as the others.
         << "set boxwidth 0.8 absolute\n";
  return script.str();
}

std::string key_command(const std::string& key) {
  check_key(key);
  if (key.empty()) return "unset key\n";
  return "set key " + key + " box opaque Left reverse samplen 2 width 2\n";
}

std::string range_command(const char* axis, const std::optional<Range>& range) {
  if (!range) return std::string("set ") + axis + "range [*:*]\n";
  check_range(*range, axis);
  return std::string("set ") + axis + "range [" + number(range->min) + ":" +
         number(range->max) + "]\n";
}

// One chart's commands; its series go into `data`.
std::string chart_commands(const Figure& figure, const Files& files, DataText& data) {
  EMBER_CHECK(!figure.series.empty(), "plot: the figure '", figure.title, "' has no series");
  std::ostringstream script;
  script << "set title " << quote(figure.title) << "\n"
         << "set xlabel " << quote(figure.x_label) << "\n"
         << "set ylabel " << quote(figure.y_label) << "\n"
         << "unset logscale\n"
         // %g: "1e-06" and "10" where gnuplot's default would print "0.0000010".
         << "set format x '%g'\nset format y '%g'\n"
         << (figure.log_x ? "set logscale x\n" : "")
         << (figure.log_y ? "set logscale y\n" : "") << range_command("x", figure.x_range)
         << range_command("y", figure.y_range) << "set grid\n"
         << key_command(figure.key) << "plot ";
  for (size_t s = 0; s < figure.series.size(); ++s) {
    const Series& series = figure.series[s];
    check_series(series);
    int index = data.add(series);
    script << (s == 0 ? "" : ", \\\n     ") << quote(files.data) << " index " << index
           << " using 1:2 " << style_clause(series, s);
  }
  script << "\n";
  return script.str();
}

// Runs `gnuplot script` in `directory`, its output going to `log`. Returns
// the exit status (127: it could not be started).
int run_gnuplot(const std::string& program, const Files& files) {
  // Everything the child needs is prepared before fork: between fork and exec
  // only async-signal-safe calls are allowed.
  const std::string directory = files.directory.string();
  pid_t child = fork();
  EMBER_CHECK(child >= 0, "plot: cannot start ", program);
  if (child == 0) {
    if (chdir(directory.c_str()) != 0) _exit(126);
    int log = open(files.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
      close(log);
    }
    execl(program.c_str(), program.c_str(), files.script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    EMBER_CHECK(errno == EINTR, "plot: lost track of ", program);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string read_tail(const fs::path& path, size_t characters) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > characters ? "..." + text.substr(text.size() - characters) : text;
}

// Writes the data and the script, then draws the PNG.
void render(const Files& files, const std::string& data, const std::string& script) {
  write_file(files.directory / files.data, data);
  write_file(files.directory / files.script, script);

  std::string program = find_gnuplot();
  EMBER_CHECK(!program.empty(), "plot: gnuplot is not installed (Debian package gnuplot-nox: ",
              "apt-get install gnuplot-nox); kept ", (files.directory / files.data).string(),
              " and ", files.script, " beside it: `gnuplot ", files.script,
              "` in that directory draws ", files.png);
  int status = run_gnuplot(program, files);
  fs::path log = files.directory / files.log;
  EMBER_CHECK(status == 0, "plot: gnuplot failed on ", (files.directory / files.script).string(),
              " (exit status ", status, "): ", read_tail(log, 600));

  // Warnings (points left out of a log axis, say) stay in the log; a clean
  // run leaves no log behind.
  std::error_code error;
  if (fs::file_size(log, error) == 0 && !error) fs::remove(log, error);
}

int default_size(int requested, int per_chart, int charts) {
  return requested > 0 ? requested : per_chart * charts;
}

// log10 of every value, those under the floor raised to it: the smallest
// positive value, and at least 1e-9 of the largest.
std::vector<double> log_values(const std::vector<double>& values) {
  double largest = 0.0;
  double smallest_positive = std::numeric_limits<double>::infinity();
  for (double v : values) {
    if (!std::isfinite(v) || v <= 0.0) continue;
    largest = std::max(largest, v);
    smallest_positive = std::min(smallest_positive, v);
  }
  EMBER_CHECK(largest > 0.0, "plot: a log-scaled map needs positive values; this one has none");
  double floor = std::max(smallest_positive, largest * 1e-9);
  std::vector<double> logs(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    logs[i] = std::isfinite(values[i]) ? std::log10(std::max(values[i], floor)) : values[i];
  }
  return logs;
}

// Evenly spaced levels over the finite values, half a step in from either end
// (gnuplot's automatic levels bunch up or thin out with the range's digits).
std::string contour_levels(const std::vector<double>& values, int levels) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  if (!(low < high)) return "set cntrparam levels discrete " + number(low) + "\n";
  double step = (high - low) / levels;
  return "set cntrparam levels incremental " + number(low + step / 2) + "," + number(step) +
         "," + number(high) + "\n";
}

}  // namespace

Figure& Figure::add(std::string label, std::vector<double> x, std::vector<double> y,
                    Style style, std::string color, int point_type) {
  series.push_back(
      {std::move(label), std::move(x), std::move(y), style, std::move(color), point_type});
  check_series(series.back());
  return *this;
}

ContourFigure& ContourFigure::add(std::string label, std::vector<double> x,
                                  std::vector<double> y, Style style, std::string color,
                                  int point_type) {
  paths.push_back(
      {std::move(label), std::move(x), std::move(y), style, std::move(color), point_type});
  check_series(paths.back());
  return *this;
}

double Grid::x_at(int64_t i) const {
  return x.min + (x.max - x.min) * static_cast<double>(i) / static_cast<double>(columns - 1);
}

double Grid::y_at(int64_t j) const {
  return y.min + (y.max - y.min) * static_cast<double>(j) / static_cast<double>(rows - 1);
}

Grid sample(const std::function<double(double, double)>& f, Range x, Range y,
            int64_t points_per_axis) {
  check_range(x, "x");
  check_range(y, "y");
  EMBER_CHECK(points_per_axis >= 2, "plot: a grid needs at least 2 points per axis, got ",
              points_per_axis);
  Grid grid{x, y, points_per_axis, points_per_axis};
  grid.values.resize(static_cast<size_t>(points_per_axis * points_per_axis));
  for (int64_t j = 0; j < grid.rows; ++j) {
    for (int64_t i = 0; i < grid.columns; ++i) {
      grid.values[j * grid.columns + i] = f(grid.x_at(i), grid.y_at(j));
    }
  }
  return grid;
}

std::string cycle_color(size_t i) { return kColors[i % kColors.size()]; }

std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::string directories = path != nullptr ? path : "/usr/bin:/bin";
  std::stringstream parts(directories);
  std::string directory;
  while (std::getline(parts, directory, ':')) {
    if (directory.empty()) continue;
    fs::path candidate = fs::path(directory) / "gnuplot";
    std::error_code error;
    if (fs::is_regular_file(candidate, error) && access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return "";
}

void save_png(const Figure& figure, const std::string& path, const PngOptions& options) {
  save_png(std::vector<Figure>{figure}, path, options);
}

void save_png(const std::vector<Figure>& figures, const std::string& path,
              const PngOptions& options) {
  EMBER_CHECK(!figures.empty(), "plot: no figures to draw into ", path);
  EMBER_CHECK(options.columns >= 0, "plot: columns must be >= 0, got ", options.columns);
  Files files = files_for(path);
  const int charts = static_cast<int>(figures.size());
  const int columns = options.columns > 0 ? std::min(options.columns, charts) : charts;
  const int rows = (charts + columns - 1) / columns;

  DataText data;
  std::ostringstream script;
  script << preamble(files, default_size(options.width, 720, columns),
                     default_size(options.height, 520, rows));
  if (charts > 1) script << "set multiplot layout " << rows << "," << columns << "\n";
  for (const Figure& figure : figures) script << chart_commands(figure, files, data);
  if (charts > 1) script << "unset multiplot\n";
  render(files, data.str(), script.str());
}

void save_png(const ContourFigure& figure, const std::string& path,
              const PngOptions& options) {
  const Grid& grid = figure.grid;
  EMBER_CHECK(grid.columns >= 2 && grid.rows >= 2 &&
                  grid.values.size() == static_cast<size_t>(grid.columns * grid.rows),
              "plot: the grid of '", figure.title, "' holds ", grid.values.size(),
              " values for ", grid.rows, " x ", grid.columns, " points");
  EMBER_CHECK(figure.levels > 0, "plot: levels must be positive, got ", figure.levels);
  Files files = files_for(path);

  // Block 0 is the map; the contour lines are traced from it into a data
  // block of the script ($contours), then drawn over the colours.
  DataText data;
  std::vector<double> values = figure.log_scale ? log_values(grid.values) : grid.values;
  data.add(grid, values, figure.log_scale ? "log10 f" : "f");
  std::ostringstream script;
  script << preamble(files, default_size(options.width, 820, 1),
                     default_size(options.height, 620, 1))
         << "set view map\nset contour base\nunset surface\n"
         << contour_levels(values, figure.levels)
         << "set table $contours\n"
         << "splot " << quote(files.data) << " index 0 using 1:2:3 with lines notitle\n"
         << "unset table\nunset contour\nset surface\n"
         << "set title " << quote(figure.title) << "\n"
         << "set xlabel " << quote(figure.x_label) << "\n"
         << "set ylabel " << quote(figure.y_label) << "\n"
         << "set cblabel " << quote(figure.log_scale ? "log10 f" : "f") << " offset 1,0\n"
         << "set xrange [" << number(grid.x.min) << ":" << number(grid.x.max) << "]\n"
         << "set yrange [" << number(grid.y.min) << ":" << number(grid.y.max) << "]\n"
         << "set palette defined (0 '#fbfbf2', 1 '#e3ecd9', 2 '#bcd6e6', 3 '#93b7d8')\n"
         << key_command(figure.key)
         << "plot " << quote(files.data) << " index 0 using 1:2:3 with image notitle, \\\n"
         << "     $contours using 1:2 with lines lc rgb '#8a8a8a' lw 0.7 notitle";
  for (size_t p = 0; p < figure.paths.size(); ++p) {
    const Series& path_series = figure.paths[p];
    check_series(path_series);
    int index = data.add(path_series);
    script << ", \\\n     " << quote(files.data) << " index " << index << " using 1:2 "
           << style_clause(path_series, p);
  }
  script << "\n";
  render(files, data.str(), script.str());
}

bool draw(const std::function<void()>& save) {
  try {
    save();
    return true;
  } catch (const ember::Error& error) {
    std::fprintf(stderr, "no picture: %s\n", error.what());
    return false;
  }
}

void create_directories(const std::string& directory) {
  std::error_code error;
  fs::create_directories(directory, error);
  EMBER_CHECK(!error, "cannot create the directory ", directory, ": ", error.message());
}

}  // namespace plot
