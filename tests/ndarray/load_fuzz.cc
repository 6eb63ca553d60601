// The NDArray-file parser under a fuzzer: any bytes must give arrays or mx::Error, never a crash, a hang or a
// huge allocation. Built as a libFuzzer target with clang (MXPP_FUZZ=ON); otherwise load_corpus_driver.cc runs
// the corpus through the same entry point.
#include <cstddef>
#include <cstdint>
#include <span>

#include <mx/ndarray/serialize.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    mx::nd::load_from_bytes(std::as_bytes(std::span(data, size)), "fuzz input");
  } catch (const mx::Error&) {
  }
  return 0;
}
