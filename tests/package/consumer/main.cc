// A separate project using the installed mxpp: push work, wait, check the result.
#include <mx/mx.h>

#include <cstdio>

int main() {
  mx::engine::Engine& eng = mx::engine::Engine::get();
  mx::engine::VarHandle v = eng.new_variable();
  int value = 0;
  for (int i = 1; i <= 10; ++i) {
    eng.push_sync([&value, i](mx::engine::RunContext) { value = value * 2 + i; }, mx::cpu(), {}, {v});
  }
  eng.wait_for_var(v);
  std::printf("consumer: %d (expected 2036)\n", value);
  return value == 2036 ? 0 : 1;
}
