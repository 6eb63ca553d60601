#include <mx/engine/trace_dependencies.h>

#include <algorithm>
#include <cstdint>

namespace mx::engine::trace::detail {
namespace {

constexpr std::size_t kMaxReadersWaitedOn = 256;

struct Read {
  std::uint64_t writer;  // the write it saw
  std::uint64_t reader;  // the reading operation's id
  bool operator<(const Read& other) const {
    return writer != other.writer ? writer < other.writer : reader < other.reader;
  }
};

}  // namespace

void derive_waited_on(std::vector<Event>& events) {
  std::vector<Read> reads;  // sorted: the readers of each write in push order
  for (const Event& e : events) {
    for (const VarTouch& t : e.touches) {
      if (!t.write) reads.push_back({t.writer, e.id});
    }
  }
  std::sort(reads.begin(), reads.end());
  for (Event& e : events) {
    for (const VarTouch& t : e.touches) {
      if (t.writer != 0 && t.writer < kFirstVariableNumber) e.waited_on.push_back(t.writer);
      if (!t.write) continue;
      const auto first = std::lower_bound(reads.begin(), reads.end(), Read{t.writer, 0});
      auto last = first;
      while (last != reads.end() && last->writer == t.writer &&
             static_cast<std::size_t>(last - first) < kMaxReadersWaitedOn) {
        e.waited_on.push_back((last++)->reader);
      }
    }
    std::sort(e.waited_on.begin(), e.waited_on.end());
    e.waited_on.erase(std::unique(e.waited_on.begin(), e.waited_on.end()), e.waited_on.end());
    std::vector<VarTouch>().swap(e.touches);
  }
}

}  // namespace mx::engine::trace::detail
