#include "data/detail/gz_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "framework/error.h"

namespace ember::data::detail {
namespace {

gzFile handle(void* file) { return static_cast<gzFile>(file); }

}  // namespace

GzFile::GzFile(const std::string& path, const char* what) : path_(path), what_(what) {
  std::error_code error;
  EMBER_CHECK(std::filesystem::exists(path, error), what, ": no such file: ", path);
  EMBER_CHECK(!std::filesystem::is_directory(path, error), what, ": ", path,
              " is a directory, expected a file");
  errno = 0;
  file_ = gzopen(path.c_str(), "rb");
  EMBER_CHECK(file_ != nullptr, what, ": cannot open ", path, ": ",
              errno != 0 ? std::strerror(errno) : "out of memory");
  // A larger buffer than zlib's 8 KB default halves the time spent in read
  // calls on the 26 MB Fashion-MNIST training images.
  gzbuffer(handle(file_), 1 << 17);
}

GzFile::~GzFile() { gzclose(handle(file_)); }

size_t GzFile::read(void* destination, size_t count) {
  auto* out = static_cast<char*>(destination);
  size_t done = 0;
  while (done < count) {
    // gzread takes an unsigned int, so read in pieces below 1 GB.
    unsigned piece = static_cast<unsigned>(std::min<size_t>(count - done, 1u << 30));
    int got = gzread(handle(file_), out + done, piece);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(handle(file_), &code);
      ember::detail::throw_error(what_, ": corrupt or unreadable file ", path_, ": ",
                          code == Z_ERRNO ? std::strerror(errno) : message);
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

bool GzFile::compressed() const { return gzdirect(handle(file_)) == 0; }

bool GzFile::ended_early() const {
  int code = Z_OK;
  gzerror(handle(file_), &code);
  return code == Z_BUF_ERROR;
}

std::string read_whole_file(const std::string& path, const char* what) {
  GzFile file(path, what);
  std::string contents;
  char buffer[1 << 16];
  while (size_t got = file.read(buffer, sizeof(buffer))) {
    contents.append(buffer, got);
    if (got < sizeof(buffer)) break;
  }
  EMBER_CHECK(!file.ended_early(), what, ": ", path, " is truncated: its gzip stream ends "
              "early, so rows may be missing");
  return contents;
}

}  // namespace ember::data::detail
