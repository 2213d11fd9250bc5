#pragma once

#include <string>
#include <string_view>

namespace ember {

// A file that replaces `target` as a whole or not at all. The bytes go to a
// temporary file beside the target; commit() syncs it, renames it over the
// target and syncs the directory, so a crash leaves either the old file or the
// new one. Destroyed without commit(), it removes the temporary file.
// Errors throw ember::Error starting with `where` ("save_safetensors: 'x': ").
class AtomicFile {
 public:
  AtomicFile(const std::string& target, std::string where);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t count);
  void write(std::string_view text) { write(text.data(), text.size()); }
  void commit();

 private:
  std::string target_;
  std::string where_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Replaces the file at `path` by `contents` through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view contents,
                           const std::string& where);

}  // namespace ember
