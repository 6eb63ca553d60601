// Built without libstarpu-dev: no StarPU column.
#include "peer.h"

std::unique_ptr<mx::bench::Peer> mx::bench::make_starpu_peer() { return nullptr; }
