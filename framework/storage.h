#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace ember {

// A contiguous block of bytes shared by a tensor and all its views. It also
// carries the version counter: every in-place write to any view bumps it, so
// autograd can tell when a tensor it saved has changed.
class Storage {
 public:
  // Owned memory from the caching allocator, 64-byte aligned, uninitialized.
  explicit Storage(size_t nbytes);

  // Memory owned elsewhere; `deleter` (may be empty) runs when the storage dies.
  Storage(void* data, size_t nbytes, std::function<void(void*)> deleter);

  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }

  uint64_t version() const { return version_.load(std::memory_order_relaxed); }

  // Live views of this storage that were made from a tensor requiring grad.
  // In-place changes to the base would not reach their gradients, so autograd
  // refuses them while any exist.
  int64_t tracked_views() const { return tracked_views_.load(std::memory_order_relaxed); }
  void add_tracked_view(int64_t delta) { tracked_views_.fetch_add(delta); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  size_t nbytes_;
  bool owned_;
  std::function<void(void*)> deleter_;
  std::atomic<uint64_t> version_{0};
  std::atomic<int64_t> tracked_views_{0};
};

}  // namespace ember
