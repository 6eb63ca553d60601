#pragma once
// Names the calling thread as top, perf and gdb show it (Linux keeps 15 characters; the rest is cut). mxpp's own
// threads all begin "mx-", so that a user's profile tells them from the program's and oneTBB's.
#include <string>

namespace mx::engine {
void set_thread_name(const std::string& name);
}  // namespace mx::engine
