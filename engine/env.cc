#include <mx/engine/env.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include <mx/engine/error.h>

namespace mx::engine::detail {

int env_int(const char* name, int fallback, int min_value) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  int value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end || value < min_value) {
    throw EngineError(std::string(name) + "='" + text + "': expected an integer >= " + std::to_string(min_value));
  }
  return value;
}

std::string env_string(const char* name, const char* fallback) {
  const char* text = std::getenv(name);
  return text == nullptr || *text == '\0' ? fallback : text;
}

}  // namespace mx::engine::detail
