#pragma once
// The mxpp logger, on stderr. MX_LOG_LEVEL sets its level: trace, debug, info (default), warn, error,
// critical or off.
#include <spdlog/logger.h>

namespace mx {

spdlog::logger& log();

}  // namespace mx
