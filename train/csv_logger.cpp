#include "train/csv_logger.h"

#include <cerrno>
#include <cstring>

#include "framework/error.h"
#include "train/detail/metadata.h"

namespace ember::train {
namespace {

// RFC 4180: a field holding a comma, a quote or a line break is quoted, and
// its quotes doubled.
std::string quote_field(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// Splits one CSV line into fields, undoing quote_field.
std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string text;
  for (const std::string& key : keys) text += (text.empty() ? "" : ",") + quote_field(key);
  return text;
}

}  // namespace

CsvLogger::CsvLogger(std::string path, bool append) : path_(std::move(path)) {
  // Resuming: keep the file's header, and end a last line cut short by a crash.
  bool needs_newline = false;
  if (append) {
    std::ifstream in(path_, std::ios::binary);
    if (in) {
      std::string first_line;
      if (std::getline(in, first_line) && !first_line.empty()) header_ = split_line(first_line);
      in.clear();
      in.seekg(0, std::ios::end);
      if (in.tellg() > 0) {
        in.seekg(-1, std::ios::end);
        needs_newline = in.get() != '\n';
      }
    }
  }

  out_.open(path_, append ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary);
  EMBER_CHECK(out_.is_open(), "CsvLogger: cannot open '", path_, "' for writing: ",
              std::strerror(errno));
  if (needs_newline) out_ << '\n' << std::flush;
}

void CsvLogger::log(const Row& row) {
  EMBER_CHECK(!row.empty(), "CsvLogger::log: an empty row for '", path_, "'");
  std::vector<std::string> keys;
  for (const auto& [key, value] : row) keys.push_back(key);

  if (header_.empty()) {
    header_ = keys;
    out_ << join_keys(header_) << '\n';
  } else {
    EMBER_CHECK(keys == header_, "CsvLogger::log: the row's columns (", join_keys(keys),
                ") differ from the header of '", path_, "' (", join_keys(header_),
                "); every row needs the same keys in the same order");
  }

  std::string line;
  for (const auto& [key, value] : row) {
    line += (line.empty() ? "" : ",") + detail::format_double(value);
  }
  out_ << line << '\n' << std::flush;
  EMBER_CHECK(out_.good(), "CsvLogger::log: writing to '", path_, "' failed: ",
              std::strerror(errno));
}

}  // namespace ember::train
