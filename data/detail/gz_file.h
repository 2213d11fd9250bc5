#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::data::detail {

// A file read through zlib: gzip-compressed or plain, told apart by the gzip
// magic bytes (gzread passes plain files through unchanged). Every failure
// throws ember::Error naming `what` (the caller, e.g. "read_idx") and the path.
class GzFile {
 public:
  GzFile(const std::string& path, const char* what);
  ~GzFile();
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to `count` bytes; fewer only at the end of the file.
  size_t read(void* destination, size_t count);
  // True when the file is gzip-compressed (not passed through).
  bool compressed() const;
  // True when a gzip stream stopped before its end (a truncated download).
  bool ended_early() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const char* what_;
  void* file_;  // gzFile, kept out of this header
};

// The whole file, decompressed when it is gzip.
std::string read_whole_file(const std::string& path, const char* what);

}  // namespace ember::data::detail
