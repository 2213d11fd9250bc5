#include "framework/allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace ember {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kHugePageThreshold = size_t{2} << 20;

// Free blocks by size class. One lock: allocation is per tensor, not per
// element, so contention stays far below the cost of the work itself.
struct SharedCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t bytes_cached = 0;
};

SharedCache& shared_cache() {
  static auto* cache = new SharedCache;  // leaked: outlives static tensors
  return *cache;
}

std::atomic<size_t> g_bytes_in_use{0};
std::atomic<uint64_t> g_allocations{0};
std::atomic<uint64_t> g_cache_hits{0};
std::atomic<bool> g_huge_pages{true};

// Cached bytes beyond this go back to the system, so a program whose tensor
// sizes keep changing cannot hoard memory. EMBER_CACHE_LIMIT_MB overrides it.
size_t cache_limit() {
  static const size_t limit = [] {
    const char* env = std::getenv("EMBER_CACHE_LIMIT_MB");
    long long megabytes = env != nullptr ? std::atoll(env) : 4096;
    return static_cast<size_t>(std::max(0LL, megabytes)) << 20;
  }();
  return limit;
}

void* system_allocate(size_t nbytes) {
  void* ptr = std::aligned_alloc(kAlignment, nbytes);
  if (ptr == nullptr) throw std::bad_alloc();
  if (nbytes >= kHugePageThreshold && g_huge_pages.load(std::memory_order_relaxed)) {
    madvise(ptr, nbytes, MADV_HUGEPAGE);
  }
  return ptr;
}

}  // namespace

CachingAllocator& CachingAllocator::instance() {
  static CachingAllocator allocator;
  return allocator;
}

size_t CachingAllocator::round_size(size_t nbytes) {
  if (nbytes <= 256) return nbytes <= 64 ? 64 : (nbytes + 63) / 64 * 64;

  // Four classes per power of two: 256, 320, 384, 448, 512, 640, ...
  size_t power = size_t{1} << (63 - __builtin_clzll(nbytes - 1));
  size_t step = power / 4;
  return (nbytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t nbytes) {
  size_t size = round_size(nbytes == 0 ? 1 : nbytes);
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_bytes_in_use.fetch_add(size, std::memory_order_relaxed);

  SharedCache& cache = shared_cache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto found = cache.free_blocks.find(size);
    if (found != cache.free_blocks.end() && !found->second.empty()) {
      void* ptr = found->second.back();
      found->second.pop_back();
      cache.bytes_cached -= size;
      g_cache_hits.fetch_add(1, std::memory_order_relaxed);
      return ptr;
    }
  }
  return system_allocate(size);
}

void CachingAllocator::deallocate(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  size_t size = round_size(nbytes == 0 ? 1 : nbytes);
  g_bytes_in_use.fetch_sub(size, std::memory_order_relaxed);

  SharedCache& cache = shared_cache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.bytes_cached + size <= cache_limit()) {
      cache.free_blocks[size].push_back(ptr);
      cache.bytes_cached += size;
      return;
    }
  }
  std::free(ptr);
}

void CachingAllocator::empty_cache() {
  SharedCache& cache = shared_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  for (auto& [size, blocks] : cache.free_blocks) {
    for (void* ptr : blocks) std::free(ptr);
    blocks.clear();
  }
  cache.bytes_cached = 0;
}

CachingAllocator::Stats CachingAllocator::stats() const {
  Stats stats;
  stats.bytes_in_use = g_bytes_in_use.load();
  stats.allocations = g_allocations.load();
  stats.cache_hits = g_cache_hits.load();
  SharedCache& cache = shared_cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  stats.bytes_cached = cache.bytes_cached;
  return stats;
}

void CachingAllocator::set_huge_pages(bool enabled) { g_huge_pages = enabled; }

}  // namespace ember
