#include <mx/operators/exchange.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <mx/engine/engine.h>
#include <mx/ndarray/error.h>

namespace mx::op {
namespace {

using Clock = std::chrono::steady_clock;

struct Member {
  Context ctx;
  NDArray local, result;  // kept alive until the group completes
  Blob local_data, result_data;
  std::optional<engine::OnComplete> done;  // set when the member's operation runs
};

struct Group {
  ExchangeSpec spec;
  std::int64_t result_size = 0;
  Combine combine;
  Clock::time_point deadline;
  std::vector<Member> members;  // in push order
  int arrived = 0;
  bool finished = false;
  std::exception_ptr error;
  std::optional<engine::ThrottleHold> hold;  // while members are still to be pushed

  std::string devices() const {
    std::string list;
    for (const Member& m : members) list += (list.empty() ? "" : ", ") + m.ctx.str();
    return list;
  }
  std::string name() const { return std::string(spec.op) + " '" + spec.key + "'"; }
};
using GroupPtr = std::shared_ptr<Group>;

// The groups gathering calls, and a watchdog that fails those not complete in time.
class Exchanges {
 public:
  static Exchanges& get() {
    static Exchanges instance;
    return instance;
  }

  ~Exchanges() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    std::vector<std::pair<GroupPtr, std::vector<engine::OnComplete>>> abandoned;
    for (const std::weak_ptr<Group>& weak : watched_) {
      GroupPtr g = weak.lock();
      if (!g || g->finished) continue;
      std::vector<engine::OnComplete> dones;
      fail(*g, std::make_exception_ptr(Error(g->name() + ": the process is exiting with " + std::to_string(g->members.size()) +
                                             " of " + std::to_string(g->spec.ndev) + " devices called")),
           dones);
      abandoned.emplace_back(g, std::move(dones));
    }
    lock.unlock();
    for (const auto& [g, dones] : abandoned) complete(dones, g->error);
    wake_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
  }

  // At the push: the group this call joins, and its place there.
  std::pair<GroupPtr, std::size_t> join(const ExchangeSpec& spec, std::int64_t result_size, const Combine& combine,
                                        Member member) {
    std::vector<engine::OnComplete> dones;  // of a group this call ends
    GroupPtr ended;
    std::unique_lock lock(mutex_);
    if (!watchdog_.joinable()) watchdog_ = std::thread([this] { watch(); });
    GroupPtr& open = open_[spec.key];
    // Refused before anything changes, so that no member's operation is left waiting.
    if (open && open->spec.ndev != spec.ndev) {
      throw Error(open->name() + ": called with ndev " + std::to_string(spec.ndev) + " while a group of " +
                  std::to_string(open->spec.ndev) + " devices is gathering (" + open->devices() + ")");
    }
    if (open && open->result_size != result_size) {
      throw Error(open->name() + ": " + member.ctx.str() + " exchanges " + std::to_string(result_size) +
                  " values, the devices before it " + std::to_string(open->result_size) +
                  " (the same layer with different channel counts?)");
    }
    if (open) {
      for (const Member& m : open->members) {
        if (m.ctx != member.ctx) continue;
        // A device that calls again before the others called once: the group can never be whole.
        fail(*open,
             std::make_exception_ptr(Error(open->name() + ": " + member.ctx.str() + " called again before all " +
                                           std::to_string(open->spec.ndev) + " devices called once (seen: " +
                                           open->devices() + "); call it once on every device each step")),
             dones);
        ended = open;
        open = nullptr;
        break;
      }
    }
    if (!open) {
      open = std::make_shared<Group>();
      open->spec = spec;
      open->result_size = result_size;
      open->combine = combine;
      open->deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.timeout_s));
      open->hold.emplace();
      watched_.push_back(open);
      wake_.notify_all();
    }
    GroupPtr group = open;
    group->members.push_back(std::move(member));
    const std::size_t index = group->members.size() - 1;
    if (static_cast<int>(group->members.size()) == spec.ndev) {
      group->hold.reset();
      open_.erase(spec.key);
    }
    lock.unlock();
    if (ended) complete(dones, ended->error);
    return {group, index};
  }

  // On an engine worker, when the member's array is ready.
  void arrive(const GroupPtr& group, std::size_t index, engine::OnComplete done) {
    std::vector<engine::OnComplete> dones;
    std::exception_ptr error;
    {
      std::lock_guard lock(mutex_);
      Group& g = *group;
      if (g.finished) {
        dones.push_back(done);
      } else {
        g.members[index].done = done;
        ++g.arrived;
        if (g.arrived == g.spec.ndev) finish(g, dones);
      }
      error = g.error;
    }
    complete(dones, error);
  }

 private:
  Exchanges() = default;

  // Combines and writes every member's result; collects the completions.
  static void finish(Group& g, std::vector<engine::OnComplete>& dones) {
    try {
      std::vector<std::vector<double>> locals;
      for (const Member& m : g.members) {
        const auto* data = static_cast<const double*>(m.local_data.data);
        locals.emplace_back(data, data + m.local_data.size());
      }
      const std::vector<double> result = g.combine(locals);
      if (static_cast<std::int64_t>(result.size()) != g.result_size) {
        throw Error(g.name() + ": combined " + std::to_string(result.size()) + " values, expected " + std::to_string(g.result_size));
      }
      for (const Member& m : g.members) std::memcpy(m.result_data.data, result.data(), result.size() * sizeof(double));
    } catch (...) {
      g.error = std::current_exception();
    }
    g.finished = true;
    g.hold.reset();
    for (Member& m : g.members) dones.push_back(*m.done);
  }

  // Ends the group with `error`: members arrived complete now, the others as they arrive.
  static void fail(Group& g, std::exception_ptr error, std::vector<engine::OnComplete>& dones) {
    if (g.finished) return;
    g.finished = true;
    g.error = std::move(error);
    g.hold.reset();
    for (Member& m : g.members) {
      if (m.done) dones.push_back(*m.done);
    }
  }

  static void complete(const std::vector<engine::OnComplete>& dones, const std::exception_ptr& error) {
    for (const engine::OnComplete& done : dones) done(error);
  }

  void watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      Clock::time_point next = Clock::time_point::max();
      std::vector<std::pair<GroupPtr, std::vector<engine::OnComplete>>> expired;
      for (auto it = watched_.begin(); it != watched_.end();) {
        GroupPtr g = it->lock();
        if (!g || g->finished) {
          it = watched_.erase(it);
          continue;
        }
        if (Clock::now() >= g->deadline) {
          std::vector<engine::OnComplete> dones;
          fail(*g,
               std::make_exception_ptr(Error(
                   g->name() + ": " + std::to_string(g->members.size()) + " of " + std::to_string(g->spec.ndev) +
                   " devices called within " + std::to_string(g->spec.timeout_s) + " s (" + g->devices() +
                   "); call it on every device before waiting on any of their outputs")),
               dones);
          if (auto open = open_.find(g->spec.key); open != open_.end() && open->second == g) open_.erase(open);
          expired.emplace_back(g, std::move(dones));
          it = watched_.erase(it);
          continue;
        }
        next = std::min(next, g->deadline);
        ++it;
      }
      if (!expired.empty()) {
        lock.unlock();
        for (const auto& [g, dones] : expired) complete(dones, g->error);
        lock.lock();
        continue;
      }
      if (next == Clock::time_point::max()) {
        wake_.wait(lock);
      } else {
        wake_.wait_until(lock, next);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, GroupPtr> open_;   // by key: the group gathering calls
  std::vector<std::weak_ptr<Group>> watched_;  // not finished
  std::thread watchdog_;
};

}  // namespace

std::vector<double> sum_of(const std::vector<std::vector<double>>& locals) {
  std::vector<double> total(locals.empty() ? 0 : locals.front().size(), 0.0);
  for (const std::vector<double>& local : locals) {
    for (std::size_t i = 0; i < total.size() && i < local.size(); ++i) total[i] += local[i];
  }
  return total;
}

NDArray exchange(const NDArray& local, const ExchangeSpec& spec, std::int64_t result_size, Combine combine) {
  const std::string name = std::string(spec.op) + " '" + spec.key + "'";
  if (spec.ndev < 1) throw Error(name + ": ndev must be positive, got " + std::to_string(spec.ndev));
  if (!(spec.timeout_s > 0)) throw Error(name + ": the timeout must be positive");
  if (local.is_none() || local.ndim() != 1 || local.dtype() != DType::kFloat64 || local.context().is_gpu()) {
    throw Error(name + ": exchanges 1-D float64 host arrays");
  }
  engine::Engine& engine = engine::Engine::get();
  if (spec.ndev > 1 && std::string(engine.type_name()) == "NaiveEngine") {
    throw Error(name + ": exchanging among " + std::to_string(spec.ndev) +
                " devices needs the threaded engine; NaiveEngine runs each operation to its end as it is pushed, so "
                "the first device would wait for the others forever");
  }
  // The last member's own push must not wait either: the operations pending before it wait for it.
  const engine::ThrottleHold pushing;
  NDArray result(Shape{result_size}, local.context(), DType::kFloat64);
  Member member{local.context(), local, result, local.blob(), result.blob(), std::nullopt};
  auto [group, index] = Exchanges::get().join(spec, result_size, combine, std::move(member));
  engine.push_async([group = group, index = index](engine::RunContext, engine::OnComplete done) {
    Exchanges::get().arrive(group, index, done);
  }, local.context(), {local.var()}, {result.var()}, {.prop = engine::FnProperty::kAsync, .name = spec.op});
  return result;
}

}  // namespace mx::op
