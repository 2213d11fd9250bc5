#include "framework/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "framework/error.h"

namespace ember {
namespace {

std::string reason(int error_number) {
  return std::generic_category().message(error_number);
}

// Makes the rename itself durable. Filesystems that cannot sync a directory
// answer EINVAL; there is nothing more to do on those.
void sync_directory(const std::string& target, const std::string& where) {
  std::filesystem::path directory = std::filesystem::path(target).parent_path();
  if (directory.empty()) directory = ".";
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, where, "the file was written, but opening its directory to sync it ",
              "failed: ", reason(errno));
  int result = ::fsync(fd);
  int error_number = errno;
  ::close(fd);
  EMBER_CHECK(result == 0 || error_number == EINVAL, where, "the file was written, but ",
              "syncing its directory failed (the rename may not survive a power loss): ",
              reason(error_number));
}

}  // namespace

AtomicFile::AtomicFile(const std::string& target, std::string where)
    : target_(target), where_(std::move(where)) {
  EMBER_CHECK(!target.empty() && target.back() != '/', where_, "the path names no file");
  // pid + counter keeps threads and processes apart; O_EXCL refuses a stale
  // leftover of a crashed run with the same pid, and then the next number is tried.
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    path_ = target + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  EMBER_CHECK(fd_ >= 0, where_, "cannot create the temporary file '", path_, "': ",
              reason(errno), "; the previous file, if any, is unchanged");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(path_.c_str());
}

void AtomicFile::write(const void* data, size_t count) {
  EMBER_CHECK(fd_ >= 0 && !committed_, where_, "write after commit");
  const char* bytes = static_cast<const char*>(data);
  while (count > 0) {
    ssize_t written = ::write(fd_, bytes, count);
    if (written < 0 && errno == EINTR) continue;
    EMBER_CHECK(written >= 0, where_, "writing '", path_, "' failed: ", reason(errno),
                "; the previous file, if any, is unchanged");
    bytes += written;
    count -= static_cast<size_t>(written);
  }
}

void AtomicFile::commit() {
  EMBER_CHECK(fd_ >= 0 && !committed_, where_, "commit called twice");

  // Data on disk before the rename makes the new name visible.
  const char* failure = nullptr;
  if (::fsync(fd_) != 0) failure = "fsync of '";
  int error_number = errno;
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && failure == nullptr) {
    failure = "closing '";
    error_number = errno;
  }
  EMBER_CHECK(failure == nullptr, where_, failure, path_, "' failed: ", reason(error_number),
              "; the previous file, if any, is unchanged");

  EMBER_CHECK(::rename(path_.c_str(), target_.c_str()) == 0, where_, "renaming '", path_,
              "' over the target failed: ", reason(errno),
              "; the previous file, if any, is unchanged");
  committed_ = true;
  sync_directory(target_, where_);
}

void write_file_atomically(const std::string& path, std::string_view contents,
                           const std::string& where) {
  AtomicFile file(path, where);
  file.write(contents);
  file.commit();
}

}  // namespace ember
