#include "train/progress_bar.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "framework/error.h"

namespace ember::train {
namespace {

double steady_seconds() {
  using Seconds = std::chrono::duration<double>;
  return Seconds(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A terminal gets the redrawn line; anything else (a file, a pipe, a
// stringstream in a test) gets plain lines.
bool is_terminal(const std::ostream* out) {
  if (out == &std::cerr || out == &std::clog) return isatty(STDERR_FILENO) == 1;
  if (out == &std::cout) return isatty(STDOUT_FILENO) == 1;
  return false;
}

std::string format_rate(double rate) {
  char text[32];
  std::snprintf(text, sizeof(text), rate >= 100.0 ? "%.0f" : "%.1f", rate);
  return text;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<long long>(std::llround(seconds));
  long long hours = total / 3600;
  long long minutes = total / 60 % 60;
  long long secs = total % 60;
  char text[48];
  if (hours > 0) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", hours, minutes, secs);
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", minutes, secs);
  }
  return text;
}

ProgressBar::ProgressBar(int64_t total_batches, ProgressBarOptions options)
    : options_(std::move(options)), total_(total_batches) {
  EMBER_CHECK(total_batches >= 0, "ProgressBar: total_batches must be >= 0, got ",
              total_batches);
  EMBER_CHECK(options_.bar_width >= 0 && options_.log_every_batches >= 0 &&
                  options_.log_every_seconds >= 0 && options_.redraw_seconds >= 0,
              "ProgressBar: bar_width, log_every_batches, log_every_seconds and "
              "redraw_seconds must be >= 0");
  out_ = options_.out != nullptr ? options_.out : &std::cerr;
  interactive_ = options_.interactive.value_or(is_terminal(out_));
  start_ = now();
  last_print_ = start_;
}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; a stream error here loses one line.
  }
}

double ProgressBar::now() const { return options_.clock ? options_.clock() : steady_seconds(); }

double ProgressBar::loss() const {
  if (items_ == 0) return std::numeric_limits<double>::quiet_NaN();
  return loss_sum_ / static_cast<double>(items_);
}

double ProgressBar::elapsed_seconds() const { return now() - start_; }

double ProgressBar::items_per_second() const {
  double elapsed = elapsed_seconds();
  return elapsed > 0 ? static_cast<double>(items_) / elapsed : 0.0;
}

std::string ProgressBar::progress_line(bool with_bar) const {
  std::string line = options_.description;
  if (!line.empty()) line += " ";

  if (with_bar) {
    int filled = total_ > 0 ? static_cast<int>(options_.bar_width * batches_ / total_) : 0;
    line.append("|").append(filled, '#').append(options_.bar_width - filled, '.').append("| ");
  }
  line += std::to_string(batches_) + "/" + std::to_string(total_);
  if (!with_bar) line += " batches";

  char loss_text[32];
  std::snprintf(loss_text, sizeof(loss_text), "%.4f", loss());
  line += "  " + format_rate(items_per_second()) + " " + options_.unit + "/s";
  line += "  loss " + std::string(loss_text);

  // ETA from the mean time per batch so far.
  if (batches_ > 0 && total_ > batches_) {
    double eta = elapsed_seconds() / static_cast<double>(batches_) *
                 static_cast<double>(total_ - batches_);
    line += "  eta " + format_duration(eta);
  }
  return line;
}

std::string ProgressBar::final_line() const {
  char loss_text[32];
  std::snprintf(loss_text, sizeof(loss_text), "%.4f", loss());
  std::string line = options_.description;
  if (!line.empty()) line += " ";
  line += std::to_string(batches_) + "/" + std::to_string(total_) + " batches  " +
          std::to_string(items_) + " " + options_.unit + " in " +
          format_duration(elapsed_seconds()) + "  " + format_rate(items_per_second()) + " " +
          options_.unit + "/s  loss " + loss_text;
  return line;
}

std::string ProgressBar::status() const {
  return finished_ ? final_line() : progress_line(interactive_);
}

void ProgressBar::draw() {
  // \r returns to the line start; \x1b[K clears what a longer line left.
  *out_ << '\r' << progress_line(true) << "\x1b[K" << std::flush;
  printed_ = true;
}

void ProgressBar::update(int64_t items, double loss) {
  EMBER_CHECK(!finished_, "ProgressBar::update: called after finish()");
  EMBER_CHECK(items >= 0, "ProgressBar::update: items must be >= 0, got ", items);
  ++batches_;
  items_ += items;
  loss_sum_ += loss * static_cast<double>(items);

  double time = now();
  if (interactive_) {
    if (!printed_ || time - last_print_ >= options_.redraw_seconds) {
      draw();
      last_print_ = time;
    }
    return;
  }

  // The last batch is reported by finish(); the periodic line would repeat it.
  if (batches_ == total_) return;
  bool batch_due = options_.log_every_batches > 0 && batches_ % options_.log_every_batches == 0;
  bool time_due =
      options_.log_every_seconds > 0 && time - last_print_ >= options_.log_every_seconds;
  if (batch_due || time_due) {
    *out_ << progress_line(false) << '\n' << std::flush;
    last_print_ = time;
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (interactive_) {
    *out_ << '\r' << final_line() << "\x1b[K\n" << std::flush;
  } else {
    *out_ << final_line() << '\n' << std::flush;
  }
}

}  // namespace ember::train
