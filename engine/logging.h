#pragma once
// The mxpp logger, on stderr. MX_LOG_LEVEL sets its level: trace, debug, info (default), warn, error,
// critical or off.
#include <utility>

#include <fmt/format.h>
#include <spdlog/logger.h>

namespace mx {

spdlog::logger& log();

// mxpp's own messages go through these: fmt::format is compiled once, in libfmt, whereas spdlog's formatting
// calls compile fmt's whole formatter into every file that logs (about 3 s of each file's build at -O2).
template <class... Args>
void log_at(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
  if (log().should_log(level)) log().log(level, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... a) {
  log_at(spdlog::level::debug, f, std::forward<Args>(a)...);
}
template <class... Args>
void log_info(fmt::format_string<Args...> f, Args&&... a) {
  log_at(spdlog::level::info, f, std::forward<Args>(a)...);
}
template <class... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... a) {
  log_at(spdlog::level::warn, f, std::forward<Args>(a)...);
}
template <class... Args>
void log_error(fmt::format_string<Args...> f, Args&&... a) {
  log_at(spdlog::level::err, f, std::forward<Args>(a)...);
}

}  // namespace mx
