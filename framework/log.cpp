#include "framework/log.h"

#include <iostream>
#include <mutex>
#include <set>

namespace ember {
namespace {

struct Logger {
  std::mutex mutex;
  LogSink sink;
  LogLevel minimum = LogLevel::Warning;
  std::set<std::string> warned;
};

Logger& logger() {
  static Logger instance;
  return instance;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "log";
}

}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard<std::mutex> lock(logger().mutex);
  logger().sink = std::move(sink);
}

void set_log_level(LogLevel minimum) {
  std::lock_guard<std::mutex> lock(logger().mutex);
  logger().minimum = minimum;
}

void log(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(logger().mutex);
  if (level < logger().minimum) return;
  if (logger().sink) {
    logger().sink(level, message);
  } else {
    std::cerr << "ember " << level_name(level) << ": " << message << "\n";
  }
}

void warn_once(const std::string& key, const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(logger().mutex);
    if (!logger().warned.insert(key).second) return;
  }
  log(LogLevel::Warning, message);
}

}  // namespace ember
