#pragma once

#include <functional>
#include <string>

namespace ember {

enum class LogLevel { Debug, Info, Warning, Error };

// Where ember's few messages go. The library logs nothing by default except
// warnings the user should act on (stderr). An application may install its own
// sink, or raise the threshold to silence warnings.
using LogSink = std::function<void(LogLevel, const std::string&)>;
void set_log_sink(LogSink sink);
void set_log_level(LogLevel minimum);
void log(LogLevel level, const std::string& message);

// Logs `message` at warning level the first time `key` is seen.
void warn_once(const std::string& key, const std::string& message);

}  // namespace ember
