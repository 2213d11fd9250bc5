// CsvLogger: header from the first row, exact values, appending on resume.

#include <catch2/catch.hpp>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "data/data_test_helpers.h"
#include "helpers.h"
#include "train/csv_logger.h"

namespace {

using ember::Error;
using ember_test::ErrorMentions;
using ember_test::TempDir;
using ember::train::CsvLogger;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a CSV log writes the first row's keys as its header, then one line per row",
          "[train]") {
  TempDir dir;
  std::string path = dir.file("metrics.csv");
  double nan = std::numeric_limits<double>::quiet_NaN();

  {
    CsvLogger csv(path);
    csv.log({{"epoch", 1}, {"train_loss", 0.41}, {"lr", 1e-05}});
    csv.log({{"epoch", 2}, {"train_loss", 0.1 + 0.2}, {"lr", nan}});
  }

  CHECK(read_file(path) ==
        "epoch,train_loss,lr\n"
        "1,0.41,1e-05\n"
        "2,0.30000000000000004,nan\n");
}

TEST_CASE("a CSV log row can be read before the logger closes", "[train]") {
  TempDir dir;
  std::string path = dir.file("live.csv");
  CsvLogger csv(path);

  csv.log({{"epoch", 1}, {"acc", 0.5}});

  CHECK(read_file(path) == "epoch,acc\n1,0.5\n");
}

TEST_CASE("a CSV log appends to an existing file when resuming and keeps its header",
          "[train]") {
  TempDir dir;
  std::string path = dir.file("resume.csv");
  {
    CsvLogger first(path);
    first.log({{"epoch", 1}, {"valid_loss", 0.5}});
  }

  CsvLogger resumed(path, /*append=*/true);
  resumed.log({{"epoch", 2}, {"valid_loss", 0.25}});

  CHECK(resumed.header() == std::vector<std::string>{"epoch", "valid_loss"});
  CHECK(read_file(path) == "epoch,valid_loss\n1,0.5\n2,0.25\n");
  CHECK_THROWS_MATCHES(resumed.log({{"epoch", 3}, {"loss", 0.1}}), Error,
                       ErrorMentions({"epoch,loss", "epoch,valid_loss", "resume.csv"}));
}

TEST_CASE("a CSV log without append starts the file over", "[train]") {
  TempDir dir;
  std::string path = dir.file("fresh.csv");
  ember_test::write_text(path, "old,header\n1,2\n");

  CsvLogger csv(path);
  csv.log({{"a", 1}});

  CHECK(read_file(path) == "a\n1\n");
}

TEST_CASE("a CSV log quotes keys with commas and names the file it cannot open", "[train]") {
  TempDir dir;
  std::string path = dir.file("quoted.csv");
  {
    CsvLogger csv(path);
    csv.log({{"loss, train", 1}, {"say \"hi\"", 2}});
  }
  CsvLogger again(path, true);

  CHECK(read_file(path) == "\"loss, train\",\"say \"\"hi\"\"\"\n1,2\n");
  CHECK(again.header() == std::vector<std::string>{"loss, train", "say \"hi\""});
  CHECK_THROWS_MATCHES(CsvLogger(dir.file("no/such/dir.csv")), Error,
                       ErrorMentions({"no/such/dir.csv"}));
}
