#pragma once

// The op profiler. A `profiler::Profile` records, while it lives, every op's
// forward and backward, the data loader's batches, optimizer steps and the
// ranges a user names:
//
//   ember::profiler::Profile profile;
//   for (...) {
//     ember::profiler::Range step("train_step");
//     ...forward, loss.backward(), optimizer.step()...
//   }
//   profile.stop();
//   std::cout << profile.table();
//   profile.export_chrome_trace("trace.json");  // Perfetto, chrome://tracing
//
// When no profile is recording, every instrumented scope costs one relaxed
// atomic load and a branch.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/tensor.h"

namespace ember::profiler {

// What an event stands for; each kind is a category of the Chrome trace.
enum class EventKind : uint8_t {
  Op,         // an op's forward, entered from user code or from another op
  Backward,   // an autograd node's gradient computation, and backward() itself
  Loader,     // the data loader: assembling a batch, or the loop waiting for one
  Optimizer,  // an optimizer's step
  Range,      // a range the user named
};

const char* kind_name(EventKind kind);

// One closed scope.
struct Event {
  std::string name;
  EventKind kind = EventKind::Range;
  std::string shapes;       // the inputs' shapes, "[64, 1, 28, 28], [32, 1, 3, 3]"
  uint32_t thread = 0;      // a small number per thread, stable within the process
  int64_t start_ns = 0;     // since the profile began
  int64_t duration_ns = 0;
  double flops = 0;         // floating-point operations; 0 where not defined
  double bytes = 0;         // bytes read and written; 0 where not defined

  int64_t end_ns() const { return start_ns + duration_ns; }
};

namespace detail {
extern std::atomic<bool> g_recording;
}  // namespace detail

// True while a Profile records.
inline bool is_enabled() { return detail::g_recording.load(std::memory_order_relaxed); }

// A timed scope. Does nothing unless a profile records when it opens; closes
// (and is kept) when it goes out of scope on the thread that opened it.
class Range {
 public:
  Range() = default;
  explicit Range(const char* name, EventKind kind = EventKind::Range) {
    if (is_enabled()) open(name, kind);
  }
  explicit Range(const std::string& name, EventKind kind = EventKind::Range) {
    if (is_enabled()) open(name, kind);
  }
  ~Range() {
    if (session_ != 0) close();
  }
  Range(const Range&) = delete;
  Range& operator=(const Range&) = delete;

  // Opens a default-constructed range; for names that cost something to build,
  // after checking is_enabled().
  void open(std::string_view name, EventKind kind);

  // For ops: opens with the inputs' shapes (when the profile records shapes).
  template <typename... Inputs>
  void open_op(const char* name, const Inputs&... inputs) {
    open(name, EventKind::Op);
    if (session_ != 0 && records_shapes()) {
      (append_shape(inputs), ...);
    }
  }

  bool active() const { return session_ != 0; }
  void add_flops(double flops) { flops_ += flops; }
  void add_bytes(double bytes) { bytes_ += bytes; }

 private:
  static bool records_shapes();
  void append_shape(const Tensor& tensor);
  void append_shape(const TensorList& tensors);
  void close();

  uint64_t session_ = 0;  // the profile it belongs to; 0 when inactive
  EventKind kind_ = EventKind::Range;
  int64_t start_ns_ = 0;
  double flops_ = 0;
  double bytes_ = 0;
  Range* parent_ = nullptr;  // the range open around this one on its thread
  std::string name_;
  std::string shapes_;
};

// Counts work into the innermost range open on this thread (an op's forward or
// a backward node), where kernels know it: GEMMs their FLOPs, memory-bound
// kernels their bytes. Called on a worker thread of a parallel loop, where no
// range is open, they count nothing; count before splitting work.
void add_flops(double flops);
void add_bytes(double bytes);

// Times an op for the profiler:
//   EMBER_PROFILE_OP("conv2d", input, weight);
// opens a range named "conv2d" holding the inputs' shapes until the end of the
// enclosing block. Its FLOPs or bytes go in with profiler::add_flops/add_bytes.
#define EMBER_PROFILE_OP(name, ...)                                    \
  ::ember::profiler::Range ember_profile_op_range_;                    \
  if (::ember::profiler::is_enabled()) {                               \
    ember_profile_op_range_.open_op(name __VA_OPT__(, ) __VA_ARGS__);  \
  }

// ---- results ----

// The events of one name and kind (and shapes, when grouped by them), summed.
struct OpStats {
  std::string name;
  EventKind kind = EventKind::Op;
  std::string shapes;       // empty unless grouped by shapes
  int64_t calls = 0;
  int64_t total_ns = 0;     // wall time inside the scopes
  int64_t self_ns = 0;      // total minus the scopes opened inside them
  double flops = 0;
  double bytes = 0;

  // Rates over the self time: work is counted into the innermost scope, which
  // is where it runs.
  double gflops_per_s() const { return self_ns > 0 ? flops / static_cast<double>(self_ns) : 0; }
  double gbytes_per_s() const { return self_ns > 0 ? bytes / static_cast<double>(self_ns) : 0; }
};

enum class SortBy { Total, Self, Calls };

struct TableOptions {
  SortBy sort = SortBy::Total;
  size_t max_rows = 40;          // 0: every row
  bool group_by_shapes = false;
  // The machine's limits for the efficiency columns (see machine_limits.h);
  // 0 leaves those columns out.
  double peak_gflops = 0;
  double peak_gbytes_per_s = 0;
};

struct ProfileOptions {
  bool record_shapes = true;
};

// Records while it lives, or until stop(). One profile records at a time.
class Profile {
 public:
  explicit Profile(ProfileOptions options = {});
  ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  // Ends recording and collects every thread's events; ranges still open are
  // left out. Calling it again does nothing.
  void stop();
  bool recording() const { return recording_; }

  // The collected events by start time. Stops the profile first.
  const std::vector<Event>& events();
  // Wall time from construction to stop().
  int64_t duration_ns() const { return duration_ns_; }

  // Events summed by name and kind, in the table's order.
  std::vector<OpStats> summary(const TableOptions& options = {});
  // The summary as a text table with shares of the profiled region.
  std::string table(const TableOptions& options = {});

  // The Chrome trace JSON: one track per thread, scopes nested by time.
  std::string chrome_trace();
  // Writes chrome_trace() to `path` atomically.
  void export_chrome_trace(const std::string& path);

 private:
  ProfileOptions options_;
  bool recording_ = false;
  uint64_t session_ = 0;
  int64_t origin_ns_ = 0;
  int64_t duration_ns_ = 0;
  uint32_t owner_thread_ = 0;
  std::vector<Event> events_;
};

}  // namespace ember::profiler
