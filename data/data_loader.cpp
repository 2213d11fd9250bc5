#include "data/data_loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <vector>

#include "data/collate.h"
#include "data/detail/seed.h"
#include "framework/error.h"
#include "framework/parallel.h"
#include "framework/profiler.h"

namespace ember::data {
namespace detail {

// Examples of one batch fetched per parallel_for chunk: one costs at least a
// microsecond (a small image converted to float), so chunks of 8 keep the
// ~1 us cost of handing a chunk to a thread small beside the work.
constexpr int64_t kExampleGrain = 8;

// Batches in an epoch of n examples; written so that a batch size near the
// int64 limit cannot overflow (n + batch_size - 1 would).
int64_t batch_count(int64_t n, int64_t batch_size, bool drop_last) {
  return n / batch_size + (!drop_last && n % batch_size != 0 ? 1 : 0);
}

// One epoch: its order, the batch the loop holds, and the batches in flight.
//
// Prefetch: batches current+1 .. current+depth may be assembled ahead. Each
// background task claims the lowest unclaimed batch in that window (an atomic
// counter), assembles it serially and files it in a ring slot. The loop, when
// its next batch is not ready, claims and assembles the next unclaimed batch
// itself (with parallel_for over its examples) instead of idling, and sleeps
// only when every batch in the window is already being assembled. Batches
// are delivered in order; their contents depend only on (seed, epoch, batch),
// never on which thread made them.
class Epoch {
 public:
  Epoch(const DataLoader& loader, int64_t epoch, std::vector<int64_t> order, int64_t depth);
  ~Epoch();

  bool at_end() const { return current_ >= num_batches_; }
  Batch& current() { return batch_; }
  // Moves to the next batch (or the end).
  void advance();

 private:
  struct Slot {
    int64_t index = -1;
    bool ready = false;
    Batch batch;
    std::exception_ptr error;
  };

  Batch assemble(int64_t batch_index) const;
  int64_t claim();
  void produce(int64_t batch_index);
  void spawn();
  Batch take(int64_t batch_index);
  void stop();

  DatasetPtr dataset_;
  DataLoaderOptions options_;  // a copy: the loader may move while the epoch runs
  uint64_t seed_;
  int64_t epoch_;
  std::vector<int64_t> order_;
  int64_t num_batches_;
  int64_t current_ = -1;
  Batch batch_;

  int64_t depth_;
  std::atomic<int64_t> next_claim_{0};
  std::atomic<int64_t> limit_{-1};  // highest claimable batch
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable filed_;
  std::vector<Slot> slots_;  // batch b lives in slots_[b % depth_]
  TaskGroup tasks_;          // last member: tasks never outlive the state they use
};

Epoch::Epoch(const DataLoader& loader, int64_t epoch, std::vector<int64_t> order, int64_t depth)
    : dataset_(loader.dataset()),
      options_(loader.options()),
      seed_(loader.seed()),
      epoch_(epoch),
      order_(std::move(order)),
      depth_(depth),
      slots_(static_cast<size_t>(depth)) {
  const auto n = static_cast<int64_t>(order_.size());
  const int64_t batch_size = options_.batch_size;
  num_batches_ = batch_count(n, batch_size, options_.drop_last);

  limit_ = depth_ - 1;
  for (int64_t b = 0; b < std::min(depth_, num_batches_); ++b) spawn();
  advance();
}

Epoch::~Epoch() { stop(); }

void Epoch::stop() {
  stopping_ = true;
  try {
    tasks_.wait();
  } catch (...) {
    // Tasks file their errors in slots; nothing else can arrive here.
  }
}

Batch Epoch::assemble(int64_t batch_index) const {
  profiler::Range range("DataLoader.assemble", profiler::EventKind::Loader);
  const int64_t begin = batch_index * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, order_.size());
  std::vector<int64_t> indices(order_.begin() + begin, order_.begin() + end);
  auto fetch = [&](int64_t row) {
    Generator generator(derive_seed(seed_, Stream::Example, {static_cast<uint64_t>(epoch_),
                                                             static_cast<uint64_t>(begin + row)}));
    return dataset_->fetch(indices[row], generator);
  };

  // The first example fixes the batch's shapes; the rest fill their rows.
  BatchBuilder builder(end - begin, fetch(0), indices[0]);
  parallel_for(1, end - begin, kExampleGrain, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) builder.put(row, fetch(row), indices[row]);
  });
  Batch batch = builder.finish(std::move(indices));

  if (options_.batch_transform) {
    Generator generator(derive_seed(seed_, Stream::Batch, {static_cast<uint64_t>(epoch_),
                                                           static_cast<uint64_t>(batch_index)}));
    batch = options_.batch_transform(std::move(batch), generator);
  }
  return batch;
}

int64_t Epoch::claim() {
  int64_t next = next_claim_.load();
  while (!stopping_ && next <= limit_.load() && next < num_batches_) {
    if (next_claim_.compare_exchange_weak(next, next + 1)) return next;
  }
  return -1;
}

void Epoch::produce(int64_t batch_index) {
  Batch batch;
  std::exception_ptr error;
  try {
    batch = assemble(batch_index);
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot& slot = slots_[static_cast<size_t>(batch_index % depth_)];
    EMBER_ASSERT(!slot.ready);
    slot = Slot{batch_index, true, std::move(batch), error};
  }
  filed_.notify_all();
}

void Epoch::spawn() {
  tasks_.run([this] {
    int64_t batch_index = claim();
    if (batch_index >= 0) produce(batch_index);
  });
}

Batch Epoch::take(int64_t batch_index) {
  Slot& slot = slots_[static_cast<size_t>(batch_index % depth_)];
  auto filed = [&] { return slot.ready && slot.index == batch_index; };
  std::unique_lock<std::mutex> lock(mutex_);
  while (!filed()) {
    lock.unlock();
    // Not ready: assemble the next unclaimed batch here rather than idle;
    // sleep only when every batch up to the window's end is taken.
    int64_t claimed = claim();
    if (claimed >= 0) produce(claimed);
    lock.lock();
    if (claimed < 0) filed_.wait(lock, filed);
  }
  Slot done = std::move(slot);
  slot = Slot{};
  lock.unlock();
  if (done.error) std::rethrow_exception(done.error);
  return std::move(done.batch);
}

void Epoch::advance() {
  // The training loop's wait for its next batch: the loader's share of a step.
  profiler::Range range("DataLoader.next", profiler::EventKind::Loader);
  const int64_t next = current_ + 1;
  batch_ = Batch{};
  if (next >= num_batches_) {
    current_ = num_batches_;
    stop();
    return;
  }
  try {
    batch_ = depth_ == 0 ? assemble(next) : take(next);
  } catch (...) {
    // A failed batch ends the epoch: the loop sees the error once, and an
    // iterator it keeps is at the end rather than waiting for lost work.
    current_ = num_batches_;
    stop();
    throw;
  }
  current_ = next;
  if (depth_ == 0) return;
  // The loop now holds `next`: one more batch may be assembled ahead.
  limit_ = next + depth_;
  if (next + depth_ < num_batches_) spawn();
}

}  // namespace detail

DataLoader::DataLoader(DatasetPtr dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  EMBER_CHECK(dataset_ != nullptr, "DataLoader: the dataset is null");
  EMBER_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ",
              options_.batch_size);
  EMBER_CHECK(options_.num_prefetch >= 0, "DataLoader: num_prefetch must be non-negative, got ",
              options_.num_prefetch);
  const int64_t n = dataset_->size();
  EMBER_CHECK(n > 0, "DataLoader: the dataset is empty; expected at least one example");
  EMBER_CHECK(!(options_.sampler && options_.shuffle), "DataLoader: a sampler and shuffle = "
              "true exclude each other; the sampler decides the order");

  if (options_.sampler) {
    sampler_ = options_.sampler;
  } else if (options_.shuffle) {
    sampler_ = std::make_shared<RandomSampler>(n);
  } else {
    sampler_ = std::make_shared<SequentialSampler>(n);
  }

  if (options_.seed) {
    seed_ = *options_.seed;
  } else {
    Generator& source = default_generator();
    auto bits = source.block(source.reserve(1));
    seed_ = static_cast<uint64_t>(bits[0]) << 32 | bits[1];
  }
}

int64_t DataLoader::size() const {
  const int64_t n = sampler_->size();
  const int64_t batch_size = options_.batch_size;
  return detail::batch_count(n, batch_size, options_.drop_last);
}

void DataLoader::set_epoch(int64_t epoch) {
  EMBER_CHECK(epoch >= 0, "DataLoader::set_epoch: epoch must be non-negative, got ", epoch);
  epoch_ = epoch;
}

DataLoader::Iterator DataLoader::begin() {
  const int64_t epoch = epoch_++;
  Generator generator(detail::derive_seed(seed_, detail::Stream::Sampler,
                                          {static_cast<uint64_t>(epoch)}));
  std::vector<int64_t> order = sampler_->indices(generator);
  const int64_t n = dataset_->size();
  for (size_t i = 0; i < order.size(); ++i) {
    EMBER_CHECK(order[i] >= 0 && order[i] < n, "DataLoader: the sampler yielded index ",
                order[i], " at position ", i, ", outside the dataset's ", n, " examples");
  }

  // With one thread there is no worker to assemble batches ahead: queued
  // tasks would only run when the loop waits, so the loop assembles each.
  const int64_t depth = get_num_threads() > 1 ? options_.num_prefetch : 0;
  return Iterator(std::make_unique<detail::Epoch>(*this, epoch, std::move(order), depth));
}

DataLoader::Iterator::Iterator(std::unique_ptr<detail::Epoch> epoch) : epoch_(std::move(epoch)) {}
DataLoader::Iterator::Iterator(Iterator&& other) noexcept = default;
DataLoader::Iterator& DataLoader::Iterator::operator=(Iterator&& other) noexcept = default;
DataLoader::Iterator::~Iterator() = default;

Batch& DataLoader::Iterator::operator*() const {
  EMBER_CHECK(epoch_ != nullptr && !epoch_->at_end(),
              "DataLoader::Iterator: dereferenced past the last batch");
  return epoch_->current();
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  EMBER_CHECK(epoch_ != nullptr && !epoch_->at_end(),
              "DataLoader::Iterator: incremented past the last batch");
  epoch_->advance();
  return *this;
}

bool DataLoader::Iterator::operator==(std::default_sentinel_t) const {
  return epoch_ == nullptr || epoch_->at_end();
}

}  // namespace ember::data
