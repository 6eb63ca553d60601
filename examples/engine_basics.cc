// The engine in a dozen lines: push work with the variables it reads and writes, wait only where a value is
// needed, and meet an operation's error at that wait.
#include <mx/mx.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

int main() {
  using namespace mx;
  engine::Engine& eng = engine::Engine::get();
  std::vector<float> x(4), y(4);
  engine::VarHandle vx = eng.new_variable(), vy = eng.new_variable();

  // Both return at once; "plus_one" runs after "ones" because it reads what "ones" writes.
  eng.push_sync([&](engine::RunContext) { std::fill(x.begin(), x.end(), 1.0f); }, cpu(), {}, {vx}, {.name = "ones"});
  eng.push_sync([&](engine::RunContext) { std::transform(x.begin(), x.end(), y.begin(), [](float v) { return v + 1; }); },
                cpu(), {vx}, {vy}, {.name = "plus_one"});
  eng.push_sync([](engine::RunContext) { throw std::invalid_argument("bad shape (5, 3)"); }, cpu(), {}, {vx},
                {.name = "broken"});

  eng.wait_for_var(vy);  // a sync point: y is ready
  std::printf("y = [%g %g %g %g]\n", y[0], y[1], y[2], y[3]);
  try {
    eng.wait_for_var(vx);  // the failure is kept on x until x is written again
  } catch (const OperatorError& e) {
    std::printf("%s\n", e.what());
  }
  return 0;
}
