#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace ember::train {

struct ProgressBarOptions {
  std::string description{};  // heads every line, e.g. "epoch 1/5"
  std::string unit = "img";   // what the items are, for the rate ("img/s")
  std::ostream* out = nullptr;  // where lines go; nullptr: std::cerr
  // Redraw one line in place (for a terminal) or print plain log lines.
  // Unset: redraw when `out` is std::cerr or std::cout and that stream is a
  // terminal (isatty), so logs and pipes get plain lines.
  std::optional<bool> interactive{};
  // Plain lines: one every this many batches, or as soon as this many
  // seconds have passed since the last one (0 turns either off).
  int64_t log_every_batches = 100;
  double log_every_seconds = 30.0;
  // In place: redraw at most this often, so drawing costs nothing.
  double redraw_seconds = 0.1;
  int bar_width = 20;
  // Seconds from any fixed point; default std::chrono::steady_clock.
  // Tests inject a fake clock to get fixed rates and ETAs.
  std::function<double()> clock{};
};

// Progress through one epoch, as a line that updates in place on a
// terminal:
//   epoch 1/5 |#######.............| 300/860  1843 img/s  loss 0.6121  eta 0:19
// and as plain periodic log lines elsewhere (log files, CI):
//   epoch 1/5 300/860 batches  1843 img/s  loss 0.6121  eta 0:19
// ending with
//   epoch 1/5 860/860 batches  55000 img in 0:30  1843 img/s  loss 0.4410
// The loss shown is the mean so far, weighted by items; the rate counts
// from construction.
//   train::ProgressBar bar(loader.size(), {.description = "epoch 1/5"});
//   for (Batch& batch : loader) { ...; bar.update(batch.size(), loss.item()); }
//   bar.finish();
class ProgressBar {
 public:
  // Throws ember::Error for a negative total, bar width or interval.
  explicit ProgressBar(int64_t total_batches, ProgressBarOptions options = {});
  // Finishes the line if finish() was not called.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // One batch done: `items` examples with mean loss `loss`. Prints when the
  // interval (or the redraw rate) says so. Throws ember::Error for negative
  // items or an update after finish().
  void update(int64_t items, double loss);
  // Prints the final line (ending it on a terminal). A second call does nothing.
  void finish();

  bool interactive() const { return interactive_; }
  int64_t batches() const { return batches_; }
  int64_t total_batches() const { return total_; }
  int64_t items() const { return items_; }
  // The item-weighted mean loss so far; NaN before any item.
  double loss() const;
  double elapsed_seconds() const;
  // items() / elapsed_seconds(); 0 before any time has passed.
  double items_per_second() const;
  // The current line as it would print, without terminal control characters.
  std::string status() const;

 private:
  double now() const;
  std::string progress_line(bool with_bar) const;
  std::string final_line() const;
  void draw();

  ProgressBarOptions options_;
  std::ostream* out_;
  bool interactive_;
  int64_t total_;
  int64_t batches_ = 0;
  int64_t items_ = 0;
  double loss_sum_ = 0.0;  // sum of loss * items
  double start_;
  double last_print_;
  bool printed_ = false;
  bool finished_ = false;
};

// "0:07", "12:34", "1:02:03": a duration in seconds for progress lines.
std::string format_duration(double seconds);

}  // namespace ember::train
