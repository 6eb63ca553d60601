#pragma once
// Reading the MX_* environment variables, with errors that name them.
#include <string>

namespace mx::engine::detail {

// Unset or empty: `fallback`. Not an integer, or below `min_value`: mx::EngineError naming the variable.
int env_int(const char* name, int fallback, int min_value);
std::string env_string(const char* name, const char* fallback);

}  // namespace mx::engine::detail
