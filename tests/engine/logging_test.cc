// MX_LOG_LEVEL sets the logger's level once per process, so CTest runs these with the variable set.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <mx/engine/logging.h>

TEST_CASE("MX_LOG_LEVEL sets the level of mxpp's logger", "[.log_level]") {
  const char* expected = std::getenv("MX_EXPECTED_LOG_LEVEL");
  REQUIRE(expected != nullptr);
  const auto level = mx::log().level();
  CHECK(std::string(spdlog::level::to_string_view(level).data(), spdlog::level::to_string_view(level).size()) ==
        expected);
}
