// A program with no profiler code: run it with MX_PROFILER=trace.json and the trace appears at exit.
#include <mx/engine/engine.h>

int main() {
  using namespace mx;
  engine::Engine& eng = engine::Engine::get();
  engine::VarHandle a = eng.new_variable(), b = eng.new_variable();
  for (int i = 0; i < 100; ++i) {
    eng.push_sync([](engine::RunContext) {}, cpu(), {}, {a}, {.name = "demo_produce"});
    eng.push_sync([](engine::RunContext) {}, cpu(), {a}, {b}, {.name = "demo_consume"});
  }
  eng.wait_for_all();
  return 0;
}
