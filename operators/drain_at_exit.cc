// Operators call into OpenBLAS, oneDNN, oneTBB and CUDA. At exit the dynamic linker finalizes this library before
// those (its dependencies), but may finalize them before the engine, which does not depend on them and which
// arrays in static storage keep alive: an operation still queued then ran in a finalized OpenBLAS (a crash seen
// at the exit of a test that never waited for its last forward). This library's static destructor waits for
// the engine's pending work first.
#include <mx/engine/engine.h>

namespace mx::op {
namespace {

struct DrainEngineAtExit {
  ~DrainEngineAtExit() { engine::Engine::drain_at_exit(); }
};
[[maybe_unused]] const DrainEngineAtExit kDrainEngineAtExit;

}  // namespace
}  // namespace mx::op
