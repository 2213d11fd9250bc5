// ProgressBar: the plain log lines it prints when output is not a terminal,
// and the redrawn line when told it is, with a fake clock for fixed rates.

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "helpers.h"
#include "train/progress_bar.h"

namespace {

using namespace ember::train;

// A clock the test moves by hand.
struct FakeClock {
  double seconds = 100.0;
  std::function<double()> function() {
    return [this] { return seconds; };
  }
};

}  // namespace

TEST_CASE("a progress bar prints plain lines every N batches when not on a terminal",
          "[train]") {
  std::ostringstream out;
  FakeClock clock;
  ProgressBar bar(5, {.description = "epoch 1/3", .out = &out, .log_every_batches = 2,
                      .log_every_seconds = 0, .clock = clock.function()});

  for (int batch = 0; batch < 5; ++batch) {
    clock.seconds += 0.5;
    bar.update(64, 1.0 - 0.1 * batch);
  }
  bar.finish();

  CHECK_FALSE(bar.interactive());
  CHECK(out.str() ==
        "epoch 1/3 2/5 batches  128 img/s  loss 0.9500  eta 0:02\n"
        "epoch 1/3 4/5 batches  128 img/s  loss 0.8500  eta 0:01\n"
        "epoch 1/3 5/5 batches  320 img in 0:03  128 img/s  loss 0.8000\n");
}

TEST_CASE("a progress bar also prints when the time interval has passed", "[train]") {
  std::ostringstream out;
  FakeClock clock;
  ProgressBar bar(1000, {.out = &out, .log_every_batches = 0, .log_every_seconds = 10,
                         .clock = clock.function()});

  clock.seconds += 4;
  bar.update(10, 2.0);   // 4 s since the start: quiet
  clock.seconds += 7;
  bar.update(30, 1.0);   // 11 s: a line
  clock.seconds += 5;
  bar.update(10, 1.0);   // 5 s since that line: quiet

  CHECK(out.str() == "2/1000 batches  3.6 img/s  loss 1.2500  eta 1:31:29\n");
  CHECK(bar.items() == 50);
  CHECK(bar.loss() == Approx(60.0 / 50));
  CHECK(bar.items_per_second() == Approx(50.0 / 16));
}

TEST_CASE("a progress bar on a terminal redraws one line and ends it at finish", "[train]") {
  std::ostringstream out;
  FakeClock clock;
  ProgressBar bar(4, {.description = "valid", .unit = "ex", .out = &out, .interactive = true,
                      .redraw_seconds = 1.0, .bar_width = 8, .clock = clock.function()});

  clock.seconds += 1;
  bar.update(10, 0.5);  // first update: drawn
  clock.seconds += 0.5;
  bar.update(10, 0.5);  // within the redraw interval: skipped
  clock.seconds += 0.5;
  bar.update(10, 0.5);  // drawn
  bar.finish();

  CHECK(out.str() ==
        "\rvalid |##......| 1/4  10.0 ex/s  loss 0.5000  eta 0:03\x1b[K"
        "\rvalid |######..| 3/4  15.0 ex/s  loss 0.5000  eta 0:01\x1b[K"
        "\rvalid 3/4 batches  30 ex in 0:02  15.0 ex/s  loss 0.5000\x1b[K\n");
}

TEST_CASE("a progress bar on a string stream is not interactive by default", "[train]") {
  std::ostringstream out;

  ProgressBar bar(3, {.out = &out});
  bar.update(1, 0.0);

  CHECK_FALSE(bar.interactive());
  CHECK(bar.status().find("1/3 batches") != std::string::npos);
}

TEST_CASE("durations print as m:ss or h:mm:ss", "[train]") {
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(754) == "12:34");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "?");
}
