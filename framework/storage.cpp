#include "framework/storage.h"

#include <new>

#include "framework/allocator.h"
#include "framework/error.h"

namespace ember {

namespace {

void* allocate_or_throw(size_t nbytes) {
  try {
    return CachingAllocator::instance().allocate(nbytes);
  } catch (const std::bad_alloc&) {
    detail::throw_error("storage: cannot allocate ", nbytes, " bytes (",
                        nbytes >> 20, " MiB); the system refused the request");
  }
}

}  // namespace

Storage::Storage(size_t nbytes) : data_(allocate_or_throw(nbytes)), nbytes_(nbytes), owned_(true) {}

Storage::Storage(void* data, size_t nbytes, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), owned_(false), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (owned_) {
    CachingAllocator::instance().deallocate(data_, nbytes_);
  } else if (deleter_) {
    deleter_(data_);
  }
}

}  // namespace ember
