#pragma once
// MXNet's sequence operators over padded batches: SequenceMask, SequenceLast and SequenceReverse. `data` has
// the time axis first (T, N, ...) or, where `axis` allows it, second (N, T, ...); `sequence_length` (N,) gives
// each sequence's steps (none: every sequence is T long). Built from where, pick and take_along_axis, so they
// differentiate and run on every device; a trace shows one node of MXNet's name.
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// Steps past each sequence's length set to `value`. axis 0 or 1.
NDArray SequenceMask(const NDArray& data, const NDArray& sequence_length = {}, double value = 0, int axis = 0);
// Each sequence's last step: (N, ...). axis 0 or 1.
NDArray SequenceLast(const NDArray& data, const NDArray& sequence_length = {}, int axis = 0);
// Each sequence's steps in reverse order, its padding left in place. axis 0.
NDArray SequenceReverse(const NDArray& data, const NDArray& sequence_length = {}, int axis = 0);

}  // namespace mx::nd
