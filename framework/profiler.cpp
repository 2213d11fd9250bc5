#include "framework/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "framework/atomic_file.h"
#include "framework/error.h"

namespace ember::profiler {

namespace detail {
std::atomic<bool> g_recording{false};
}  // namespace detail

namespace {

// The events one thread closed. Only its thread appends; Profile::stop takes
// them, hence the (uncontended) lock.
struct ThreadLog {
  uint32_t index = 0;
  std::mutex mutex;
  std::vector<Event> events;
};

// Process-wide state. Never destroyed, so a thread that closes a range during
// static destruction still finds it.
struct Registry {
  std::mutex mutex;  // guards logs, next_session and starting or stopping a profile
  std::vector<std::shared_ptr<ThreadLog>> logs;
  uint64_t next_session = 1;

  std::atomic<uint64_t> session{0};  // the recording profile's, 0 when none
  std::atomic<int64_t> origin_ns{0};
  std::atomic<bool> record_shapes{true};
};

Registry& registry() {
  static Registry* instance = new Registry();
  return *instance;
}

struct ThreadState {
  std::shared_ptr<ThreadLog> log;
  Range* innermost = nullptr;
};

thread_local ThreadState t_state;

ThreadLog& this_thread_log() {
  if (!t_state.log) {
    auto log = std::make_shared<ThreadLog>();
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    log->index = static_cast<uint32_t>(r.logs.size());
    r.logs.push_back(log);
    t_state.log = std::move(log);
  }
  return *t_state.log;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void append_dims(std::string& out, const Shape& shape) {
  out += '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  out += ']';
}

// Time inside each event's directly nested events, per event index. Ranges
// close in the reverse order they open on a thread, so the events of one
// thread nest like brackets.
std::vector<int64_t> nested_time(const std::vector<Event>& events) {
  std::vector<size_t> order(events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Event& x = events[a];
    const Event& y = events[b];
    // Of two scopes opened at the same nanosecond, the longer one is outside.
    return std::tuple(x.thread, x.start_ns, -x.duration_ns) <
           std::tuple(y.thread, y.start_ns, -y.duration_ns);
  });

  std::vector<int64_t> nested(events.size(), 0);
  std::vector<size_t> open;
  uint32_t thread = 0;
  for (size_t index : order) {
    const Event& event = events[index];
    if (event.thread != thread) {
      open.clear();
      thread = event.thread;
    }
    while (!open.empty() && events[open.back()].end_ns() <= event.start_ns) open.pop_back();
    if (!open.empty()) nested[open.back()] += event.duration_ns;
    open.push_back(index);
  }
  return nested;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

std::string fit(const std::string& text, size_t width) {
  if (text.size() <= width) return text + std::string(width - text.size(), ' ');
  return text.substr(0, width - 2) + "..";
}

}  // namespace

const char* kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::Op: return "op";
    case EventKind::Backward: return "backward";
    case EventKind::Loader: return "loader";
    case EventKind::Optimizer: return "optimizer";
    case EventKind::Range: return "range";
  }
  return "unknown";
}

// ---- Range ----

void Range::open(std::string_view name, EventKind kind) {
  const uint64_t session = registry().session.load(std::memory_order_acquire);
  if (session == 0 || session_ != 0) return;
  session_ = session;
  kind_ = kind;
  name_.assign(name);
  parent_ = t_state.innermost;
  t_state.innermost = this;
  start_ns_ = now_ns();
}

bool Range::records_shapes() {
  return registry().record_shapes.load(std::memory_order_relaxed);
}

void Range::append_shape(const Tensor& tensor) {
  if (!shapes_.empty()) shapes_ += ", ";
  if (tensor.defined()) {
    append_dims(shapes_, tensor.shape());
  } else {
    shapes_ += "undefined";
  }
}

void Range::append_shape(const TensorList& tensors) {
  for (const Tensor& tensor : tensors) append_shape(tensor);
}

void Range::close() {
  const int64_t end_ns = now_ns();
  t_state.innermost = parent_;
  const uint64_t session = session_;
  session_ = 0;

  // A profile that stopped (or a new one that started) while this range was
  // open does not take it.
  Registry& r = registry();
  if (r.session.load(std::memory_order_acquire) != session) return;
  const int64_t origin = r.origin_ns.load(std::memory_order_relaxed);

  ThreadLog& log = this_thread_log();
  Event event{std::move(name_), kind_,          std::move(shapes_), log.index,
              start_ns_ - origin, end_ns - start_ns_, flops_,        bytes_};
  std::lock_guard<std::mutex> lock(log.mutex);
  log.events.push_back(std::move(event));
}

void add_flops(double flops) {
  if (!is_enabled()) return;
  if (Range* range = t_state.innermost) range->add_flops(flops);
}

void add_bytes(double bytes) {
  if (!is_enabled()) return;
  if (Range* range = t_state.innermost) range->add_bytes(bytes);
}

// ---- Profile ----

Profile::Profile(ProfileOptions options) : options_(options) {
  owner_thread_ = this_thread_log().index;

  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  EMBER_CHECK(r.session.load() == 0, "profiler::Profile: another profile is already "
              "recording; stop it (or let it go out of scope) before starting this one");
  for (auto& log : r.logs) {
    std::lock_guard<std::mutex> log_lock(log->mutex);
    log->events.clear();
  }
  session_ = r.next_session++;
  origin_ns_ = now_ns();
  r.origin_ns.store(origin_ns_, std::memory_order_relaxed);
  r.record_shapes.store(options_.record_shapes, std::memory_order_relaxed);
  r.session.store(session_, std::memory_order_release);
  detail::g_recording.store(true, std::memory_order_release);
  recording_ = true;
}

Profile::~Profile() { stop(); }

void Profile::stop() {
  if (!recording_) return;
  duration_ns_ = now_ns() - origin_ns_;
  recording_ = false;

  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  detail::g_recording.store(false, std::memory_order_release);
  r.session.store(0, std::memory_order_release);
  for (auto& log : r.logs) {
    std::lock_guard<std::mutex> log_lock(log->mutex);
    for (Event& event : log->events) events_.push_back(std::move(event));
    log->events.clear();
  }
  std::sort(events_.begin(), events_.end(), [](const Event& a, const Event& b) {
    return std::tuple(a.start_ns, -a.duration_ns, a.thread) <
           std::tuple(b.start_ns, -b.duration_ns, b.thread);
  });
}

const std::vector<Event>& Profile::events() {
  stop();
  return events_;
}

std::vector<OpStats> Profile::summary(const TableOptions& options) {
  stop();
  const std::vector<int64_t> nested = nested_time(events_);

  std::map<std::tuple<EventKind, std::string, std::string>, OpStats> groups;
  for (size_t i = 0; i < events_.size(); ++i) {
    const Event& event = events_[i];
    std::string shapes = options.group_by_shapes ? event.shapes : std::string();
    OpStats& stats = groups[{event.kind, event.name, shapes}];
    if (stats.calls == 0) {
      stats.name = event.name;
      stats.kind = event.kind;
      stats.shapes = std::move(shapes);
    }
    stats.calls += 1;
    stats.total_ns += event.duration_ns;
    stats.self_ns += std::max<int64_t>(event.duration_ns - nested[i], 0);
    stats.flops += event.flops;
    stats.bytes += event.bytes;
  }

  std::vector<OpStats> rows;
  rows.reserve(groups.size());
  for (auto& [key, stats] : groups) rows.push_back(std::move(stats));
  auto measure = [&](const OpStats& s) {
    switch (options.sort) {
      case SortBy::Self: return s.self_ns;
      case SortBy::Calls: return s.calls;
      case SortBy::Total: break;
    }
    return s.total_ns;
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const OpStats& a, const OpStats& b) { return measure(a) > measure(b); });
  return rows;
}

std::string Profile::table(const TableOptions& options) {
  std::vector<OpStats> rows = summary(options);
  const double region_ns = std::max<double>(static_cast<double>(duration_ns_), 1.0);
  const bool with_peak = options.peak_gflops > 0;
  const bool with_bandwidth = options.peak_gbytes_per_s > 0;

  std::ostringstream out;
  out << "Profile: " << events_.size() << " events in " << format("%.2f", region_ns / 1e6)
      << " ms; shares are of that wall time, rates over each row's self time\n";
  const size_t name_width = options.group_by_shapes ? 24 : 30;
  std::string header = fit("Name", name_width) + " Kind       Calls   Total ms  Total%" +
                       "    Self ms   Self%     Avg us   GFLOP/s";
  if (with_peak) header += "  %peak";
  header += "     GB/s";
  if (with_bandwidth) header += "    %bw";
  if (options.group_by_shapes) header += "  Input shapes";
  out << header << '\n' << std::string(header.size(), '-') << '\n';

  size_t shown = 0;
  for (const OpStats& s : rows) {
    if (options.max_rows != 0 && shown++ == options.max_rows) {
      out << "... " << rows.size() - options.max_rows << " more rows\n";
      break;
    }
    const double self_s = static_cast<double>(s.self_ns);
    const double gflops = s.gflops_per_s();
    const double gbytes = s.gbytes_per_s();
    out << fit(s.name, name_width) << ' ' << fit(kind_name(s.kind), 9)
        << format("%7.0f", static_cast<double>(s.calls))
        << format("%11.3f", static_cast<double>(s.total_ns) / 1e6)
        << format("%7.1f%%", 100.0 * static_cast<double>(s.total_ns) / region_ns)
        << format("%11.3f", self_s / 1e6) << format("%7.1f%%", 100.0 * self_s / region_ns)
        << format("%11.2f", static_cast<double>(s.total_ns) / 1e3 / static_cast<double>(s.calls))
        << (s.flops > 0 ? format("%10.2f", gflops) : std::string(10, ' '));
    if (with_peak) {
      out << (s.flops > 0 ? format("%6.1f%%", 100.0 * gflops / options.peak_gflops)
                          : std::string(7, ' '));
    }
    out << (s.bytes > 0 ? format("%9.2f", gbytes) : std::string(9, ' '));
    if (with_bandwidth) {
      out << (s.bytes > 0 ? format("%6.1f%%", 100.0 * gbytes / options.peak_gbytes_per_s)
                          : std::string(7, ' '));
    }
    if (options.group_by_shapes) out << "  " << s.shapes;
    out << '\n';
  }
  return out.str();
}

std::string Profile::chrome_trace() {
  stop();
  using Json = nlohmann::ordered_json;
  Json trace_events = Json::array();

  std::map<uint32_t, bool> threads;
  for (const Event& event : events_) threads[event.thread] = true;
  threads[owner_thread_] = true;
  trace_events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", "ember"}}}});
  for (const auto& [thread, seen] : threads) {
    const bool owner = thread == owner_thread_;
    std::string label = owner ? "profiling thread" : "ember thread " + std::to_string(thread);
    trace_events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 0}, {"tid", thread},
                            {"args", {{"name", label}}}});
    trace_events.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 0},
                            {"tid", thread}, {"args", {{"sort_index", owner ? 0 : 1 + thread}}}});
  }

  // Complete events ("X"); a viewer nests those of one thread by their times.
  for (const Event& event : events_) {
    Json args = Json::object();
    if (!event.shapes.empty()) args["shapes"] = event.shapes;
    if (event.flops > 0) args["flops"] = event.flops;
    if (event.bytes > 0) args["bytes"] = event.bytes;
    trace_events.push_back({{"name", event.name},
                            {"cat", kind_name(event.kind)},
                            {"ph", "X"},
                            {"ts", static_cast<double>(event.start_ns) / 1e3},
                            {"dur", static_cast<double>(event.duration_ns) / 1e3},
                            {"pid", 0},
                            {"tid", event.thread},
                            {"args", std::move(args)}});
  }

  Json trace = {{"traceEvents", std::move(trace_events)}, {"displayTimeUnit", "ms"}};
  return trace.dump();
}

void Profile::export_chrome_trace(const std::string& path) {
  write_file_atomically(path, chrome_trace(),
                        "profiler::Profile::export_chrome_trace: '" + path + "': ");
}

}  // namespace ember::profiler
