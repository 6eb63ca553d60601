#include <mx/engine/logging.h>

#include <spdlog/sinks/stdout_color_sinks.h>

#include <memory>

#include <mx/engine/env.h>

namespace mx {

spdlog::logger& log() {
  // Held here rather than in spdlog's registry, so it outlives anything that logs during static destruction.
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto made = std::make_shared<spdlog::logger>("mxpp", std::move(sink));
    const std::string level = engine::detail::env_string("MX_LOG_LEVEL", "info");
    const auto parsed = spdlog::level::from_str(level);
    // from_str answers "off" for anything it does not know; only honour "off" when asked for.
    if (parsed == spdlog::level::off && level != "off") {
      made->set_level(spdlog::level::info);
      made->warn(fmt::format(
          "MX_LOG_LEVEL='{}' is not a level (trace, debug, info, warn, error, critical, off); using info", level));
    } else {
      made->set_level(parsed);
    }
    return made;
  }();
  return *logger;
}

}  // namespace mx
