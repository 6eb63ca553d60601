// Loads the given libraries with dlopen, in order, as a plugin host or a language binding would. A library whose
// thread_locals use the initial-exec model (engine/fast_thread_local.h) needs room in the static TLS block,
// which dlopen can only take from a small spare area: this fails ("cannot allocate memory in static TLS block")
// once they grow too large.
#include <dlfcn.h>

#include <cstdio>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL) == nullptr) {
      std::fprintf(stderr, "dlopen %s: %s\n", argv[i], dlerror());
      return 1;
    }
  }
  std::printf("loaded %d libraries\n", argc - 1);
  return 0;
}
