#include "data/csv.h"

#include <charconv>
#include <cmath>

#include "data/detail/gz_file.h"
#include "framework/error.h"

namespace ember::data {
namespace {

struct ParsedCsv {
  CsvTable table;
  std::vector<int64_t> line_numbers;  // the file line of each row, for errors
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string trim(std::string_view text, char delimiter) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && is_blank(text[begin]) && text[begin] != delimiter) ++begin;
  while (end > begin && is_blank(text[end - 1]) && text[end - 1] != delimiter) --end;
  return std::string(text.substr(begin, end - begin));
}

// Splits one line on the delimiter. A field that starts with a double quote
// runs to the closing quote, delimiters included; "" inside it is one quote.
std::vector<std::string> split_fields(std::string_view line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && trim(field, delimiter).empty()) {
      quoted = true;
      field.clear();
    } else if (c == delimiter) {
      fields.push_back(trim(field, delimiter));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(trim(field, delimiter));
  return fields;
}

bool parse_number(const std::string& text, double& value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars takes no plus sign
  if (begin == end) return false;
  auto [stop, error] = std::from_chars(begin, end, value);
  return error == std::errc() && stop == end;
}

ParsedCsv parse(const std::string& path, bool header, char delimiter) {
  const std::string text = detail::read_whole_file(path, "read_csv");
  ParsedCsv parsed;
  std::vector<double> values;
  size_t width = 0;
  int64_t width_line = 0;
  bool expect_header = header;

  int64_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t stop = text.find('\n', start);
    if (stop == std::string::npos) stop = text.size();
    std::string_view line(text.data() + start, stop - start);
    start = stop + 1;
    ++line_number;
    if (trim(line, delimiter).empty()) continue;

    std::vector<std::string> fields = split_fields(line, delimiter);
    if (width == 0) {
      width = fields.size();
      width_line = line_number;
    }
    EMBER_CHECK(fields.size() == width, "read_csv: ", path, ":", line_number, ": ",
                fields.size(), " fields, expected ", width, " as in line ", width_line);
    if (expect_header) {
      parsed.table.columns = std::move(fields);
      expect_header = false;
      continue;
    }
    for (size_t f = 0; f < fields.size(); ++f) {
      double value = 0.0;
      EMBER_CHECK(parse_number(fields[f], value), "read_csv: ", path, ":", line_number,
                  ": field ", f + 1, " (\"", fields[f], "\") is not a number",
                  fields[f].empty() ? " (empty field: missing values are not supported)" : "");
      values.push_back(value);
    }
    parsed.line_numbers.push_back(line_number);
  }

  if (!header) {
    for (size_t f = 0; f < width; ++f) parsed.table.columns.push_back(std::to_string(f));
  }
  auto rows = static_cast<int64_t>(parsed.line_numbers.size());
  parsed.table.values = ember::tensor(values, {rows, static_cast<int64_t>(width)}, kFloat64);
  return parsed;
}

int64_t find_label_column(const std::string& path, const CsvDatasetOptions& options,
                          const std::vector<std::string>& columns) {
  const auto width = static_cast<int64_t>(columns.size());
  if (options.label_index) {
    int64_t index = *options.label_index < 0 ? *options.label_index + width
                                             : *options.label_index;
    EMBER_CHECK(index >= 0 && index < width, "CsvDataset: label_index ", *options.label_index,
                " is out of range for the ", width, " columns of ", path);
    return index;
  }
  if (!options.label_name) return -1;
  std::string names;
  for (int64_t c = 0; c < width; ++c) {
    if (columns[c] == *options.label_name) return c;
    names += (c == 0 ? "\"" : ", \"") + columns[c] + "\"";
  }
  ember::detail::throw_error("CsvDataset: ", path, " has no column \"", *options.label_name,
                             "\"; its columns are ", names);
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  return parse(path, options.header, options.delimiter).table;
}

CsvDataset::CsvDataset(const std::string& path, const CsvDatasetOptions& options)
    : CsvDataset(load(path, options)) {}

CsvDataset::CsvDataset(Columns columns)
    : TensorDataset(std::move(columns.input), std::move(columns.target)),
      feature_names_(std::move(columns.feature_names)),
      label_name_(std::move(columns.label_name)) {}

CsvDataset::Columns CsvDataset::load(const std::string& path, const CsvDatasetOptions& options) {
  // Option mistakes first: they need no file.
  EMBER_CHECK(!(options.label_name && options.label_index), "CsvDataset: give label_name or ",
              "label_index, not both");
  EMBER_CHECK(!options.label_name || options.header, "CsvDataset: label_name \"",
              options.label_name.value_or(""), "\" needs a header row; set header = true or "
              "use label_index");
  ParsedCsv parsed = parse(path, options.header, options.delimiter);
  const CsvTable& table = parsed.table;
  const int64_t rows = table.values.size(0);
  const auto width = static_cast<int64_t>(table.columns.size());
  EMBER_CHECK(rows > 0, "CsvDataset: ", path, " holds no data rows");
  const int64_t label = find_label_column(path, options, table.columns);

  // Every column but the label, in file order, becomes an input feature.
  Columns columns;
  std::vector<int64_t> features;
  for (int64_t c = 0; c < width; ++c) {
    if (c == label) continue;
    features.push_back(c);
    columns.feature_names.push_back(table.columns[c]);
  }
  const auto num_features = static_cast<int64_t>(features.size());
  const double* values = table.values.data_ptr<double>();
  columns.input = empty({rows, num_features}, kFloat32);
  float* input = columns.input.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t f = 0; f < num_features; ++f) {
      input[r * num_features + f] = static_cast<float>(values[r * width + features[f]]);
    }
  }
  if (label < 0) return columns;

  columns.label_name = table.columns[label];
  std::vector<double> labels(rows);
  for (int64_t r = 0; r < rows; ++r) {
    labels[r] = values[r * width + label];
    EMBER_CHECK(options.label_dtype != kInt64 ||
                    (std::isfinite(labels[r]) && labels[r] == std::floor(labels[r])),
                "CsvDataset: ", path, ":", parsed.line_numbers[r], ": label ", labels[r],
                " in column \"", columns.label_name, "\" is not a whole number; use "
                "label_dtype = kFloat32 for regression targets");
  }
  columns.target = ember::tensor(labels, {rows}, kFloat64).to(options.label_dtype);
  return columns;
}

}  // namespace ember::data
