#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/tensor_dataset.h"

// Delimited text files of numbers, for tabular data. Files may be
// gzip-compressed. Fields may be double-quoted ("1.5", "a, b" in a header);
// blank lines are skipped; "nan" and "inf" are numbers, an empty field is not.
namespace ember::data {

struct CsvOptions {
  bool header = true;     // the first non-blank line names the columns
  char delimiter = ',';
};

struct CsvTable {
  // Header names, or "0", "1", ... without a header.
  std::vector<std::string> columns;
  // float64 [rows, columns]: exact for integers up to 2^53.
  Tensor values;
};

// Reads every row of `path`. Throws ember::Error naming the file, and file:line
// for a field that is not a number or a row whose field count differs from the
// first row's.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

struct CsvDatasetOptions {
  bool header = true;
  char delimiter = ',';
  // The target column, by header name or by index (negative counts from the
  // end; -1 is the last column); give at most one. Neither: no targets.
  std::optional<std::string> label_name = std::nullopt;
  std::optional<int64_t> label_index = std::nullopt;
  // int64 class indices (each label must be a whole number), or a floating
  // dtype for regression targets.
  DType label_dtype = kInt64;
};

// Rows of a CSV file as examples: input float32 [F] (every column but the
// label), target a 0-d label of label_dtype.
// Throws as read_csv, and for a file without rows, a label column that does
// not exist (the message lists the columns), a label name without a header,
// and a non-whole label when label_dtype is int64 (file:line).
class CsvDataset : public TensorDataset {
 public:
  explicit CsvDataset(const std::string& path, const CsvDatasetOptions& options = {});

  // The input columns' names, in input order.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  // The label column's name (empty without one).
  const std::string& label_name() const { return label_name_; }

 private:
  struct Columns {
    Tensor input;
    Tensor target;
    std::vector<std::string> feature_names;
    std::string label_name;
  };
  explicit CsvDataset(Columns columns);
  static Columns load(const std::string& path, const CsvDatasetOptions& options);

  std::vector<std::string> feature_names_;
  std::string label_name_;
};

}  // namespace ember::data
