#pragma once
// Which operators a bulked graph may run tile by tile: those that compute each output element from the input
// elements at the same position, so that a run of them can go one cache-sized tile at a time, each tile through
// every operator of the run before the next (MXNet's pointwise fusion, done by scheduling rather than by
// generating a kernel). Intermediates then pass between operators through the cache instead of memory.
namespace mx::graph {

// Whether `op` (an operator's registered name) is elementwise given inputs and outputs all of one size.
bool is_elementwise(const char* op);

// MX_USE_FUSION=0 turns tiling off (as MXNET_USE_FUSION=0 turns off MXNet's fusion). set_fusion_enabled
// changes it for the graphs laid out from then on (a graph lays out its bulked run at its first one), for
// benchmarks that compare both in one process.
bool fusion_enabled();
void set_fusion_enabled(bool enabled);

}  // namespace mx::graph
