#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {

// A caching allocator for tensor storage. Blocks are 64-byte aligned and
// rounded up to size classes (four per power of two, so at most 25% slack).
// Freed blocks are kept for reuse instead of returning to the system: a fresh
// page costs a fault on first touch, which otherwise dominates out-of-place
// elementwise ops on large tensors. Blocks of 2 MiB or more are advised onto
// transparent huge pages when huge pages are enabled. At most 4 GiB stays
// cached (EMBER_CACHE_LIMIT_MB changes it); past that, freed blocks go back.
class CachingAllocator {
 public:
  static CachingAllocator& instance();

  void* allocate(size_t nbytes);
  void deallocate(void* ptr, size_t nbytes);

  // Returns every cached block to the system.
  void empty_cache();

  struct Stats {
    size_t bytes_in_use = 0;
    size_t bytes_cached = 0;
    uint64_t allocations = 0;
    uint64_t cache_hits = 0;
  };
  Stats stats() const;

  void set_huge_pages(bool enabled);

  // The size class a request of `nbytes` is rounded up to.
  static size_t round_size(size_t nbytes);
};

}  // namespace ember
