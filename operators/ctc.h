#pragma once
// Connectionist temporal classification (Graves et al. 2006), as MXNet's CTCLoss with blank_label "last".
#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// -log p(label | data) per sequence: data (T, N, C) unnormalized scores (a softmax over C is taken inside),
// label (N, L) class indices in [0, C - 1) padded with -1 (C - 1 is the blank), data_lengths and label_lengths
// (N,) when given (else T, and the labels before the first -1). Returns (N,) in data's dtype (float32 or
// float64); +inf where no alignment fits (a label too long for its sequence), with a zero gradient there.
// Labels out of range surface at the next sync point, naming the sequence. CPU only: GPU arrays are refused by
// name, as by every operator without a GPU kernel.
NDArray CTCLoss(const NDArray& data, const NDArray& label, const NDArray& data_lengths = {},
                const NDArray& label_lengths = {});

}  // namespace mx::nd
