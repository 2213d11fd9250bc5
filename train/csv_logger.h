#pragma once

#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace ember::train {

// Per-epoch metrics as a CSV file, one row per log() call:
//   train::CsvLogger csv("metrics.csv");
//   csv.log({{"epoch", 1}, {"train_loss", 0.41}, {"valid_acc", 0.873}});
// gives
//   epoch,train_loss,valid_acc
//   1,0.41,0.873
// The header comes from the first row's keys. Values print in their
// shortest exact form (1, 0.41, 1e-05, nan). Each row is flushed when it is
// logged, so an interrupted run keeps every finished epoch.
class CsvLogger {
 public:
  using Row = std::vector<std::pair<std::string, double>>;

  // Opens `path`: a new, empty file, or with `append` (resuming a run) the
  // existing one, whose header (if it has one) the rows must then match.
  // Throws ember::Error naming the file when it cannot be opened or read.
  explicit CsvLogger(std::string path, bool append = false);

  // Writes one row, after the header when the file has none yet. Throws
  // ember::Error for an empty row or keys other than the header's (in the
  // header's order), and naming the file when writing fails.
  void log(const Row& row);

  const std::string& path() const { return path_; }
  // The column names: the existing file's or the first row's; empty before.
  const std::vector<std::string>& header() const { return header_; }

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::ofstream out_;
};

}  // namespace ember::train
