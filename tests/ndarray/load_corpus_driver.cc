// Calls the fuzz target's entry point, so the corpus runs in every build, with or without libFuzzer.
#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int run_fuzz_entry(const std::vector<std::byte>& bytes) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}
