#pragma once
// Where tests write their files: the system's temporary directory, names prefixed so that a glance at /tmp
// shows whose they are.
#include <filesystem>
#include <string>

namespace mx::test {

inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("mxpp_test_" + name)).string();
}

}  // namespace mx::test
