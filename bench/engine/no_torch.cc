// Built without libtorch-dev: no libtorch column.
#include "peer.h"

std::unique_ptr<mx::bench::Peer> mx::bench::make_torch_peer() { return nullptr; }
