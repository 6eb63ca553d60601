#include <mx/operators/blas_setup.h>

#include <cblas.h>
#include <dlfcn.h>

#include <array>
#include <cstdlib>
#include <strings.h>

#include <mx/engine/logging.h>

namespace mx::op {

CpuFeatures cpu_features() {
  __builtin_cpu_init();  // may run before libgcc's own constructor; the checks below include the OS's support
  CpuFeatures cpu;
  cpu.avx = __builtin_cpu_supports("avx");
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
  cpu.avx512_bf16 = cpu.avx512 && __builtin_cpu_supports("avx512bf16");
  return cpu;
}

std::optional<std::string> better_openblas_core(std::string_view detected, const CpuFeatures& cpu) {
  // OpenBLAS's cores with SSE kernels only: where it puts a model it does not know, and the models before AVX.
  constexpr std::array<std::string_view, 7> kSseCores = {"Prescott", "Core2",   "Penryn", "Dunnington",
                                                         "Nehalem",  "Atom",    "Nano"};
  bool sse_only = false;
  for (std::string_view core : kSseCores) {
    sse_only = sse_only || (detected.size() == core.size() &&
                            strncasecmp(detected.data(), core.data(), core.size()) == 0);
  }
  if (!sse_only) return std::nullopt;
  if (cpu.avx512_bf16) return "Cooperlake";  // SkylakeX's kernels and the bfloat16 ones
  if (cpu.avx512) return "SkylakeX";
  if (cpu.avx2_fma) return "Haswell";
  if (cpu.avx) return "Sandybridge";
  return std::nullopt;
}

namespace {

std::string current_core() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "";
}

// OpenBLAS chooses its kernels once, in its constructor, from OPENBLAS_CORETYPE or the CPU model. Choosing
// again goes through the same two functions its constructor uses; they are looked up rather than linked, as an
// OpenBLAS built for one CPU (without DYNAMIC_ARCH) has no choice to make and lacks them.
//
// OpenBLAS's threads start when it loads, and the first of them to allocate its buffer also runs that choice,
// reading the environment, under OpenBLAS's allocation lock (ThreadSanitizer caught one doing so while the
// variable was being set). One allocation here first takes that lock: whoever makes the first choice has made
// it when it returns, and no thread makes it again.
void select_core(const std::string& core) {
  using Function = void (*)();
  using Allocate = void* (*)(int);
  using Free = void (*)(void*);
  const auto quit = reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
  const auto init = reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
  const auto allocate = reinterpret_cast<Allocate>(dlsym(RTLD_DEFAULT, "blas_memory_alloc"));
  const auto free_buffer = reinterpret_cast<Free>(dlsym(RTLD_DEFAULT, "blas_memory_free"));
  if (quit == nullptr || init == nullptr || allocate == nullptr || free_buffer == nullptr) return;
  free_buffer(allocate(0));
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  quit();
  init();
  unsetenv("OPENBLAS_CORETYPE");  // as the user left it: unset (a set one means this never runs)
}

BlasSetup configure() {
  openblas_set_num_threads(1);
  BlasSetup setup;
  setup.detected_core = current_core();
  setup.core = setup.detected_core;
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return setup;
  if (const auto better = better_openblas_core(setup.detected_core, cpu_features())) {
    select_core(*better);
    setup.core = current_core();
    log_debug("OpenBLAS took this CPU for {} (a model it does not know); it runs with its {} kernels instead",
              setup.detected_core, setup.core);
  }
  return setup;
}

}  // namespace

const BlasSetup& blas_setup() {
  static const BlasSetup setup = configure();
  return setup;
}

namespace {
// When the library loads, before any operator (or another library in the process) multiplies.
[[maybe_unused]] const BlasSetup& kSetUpAtLoad = blas_setup();
}  // namespace

}  // namespace mx::op
