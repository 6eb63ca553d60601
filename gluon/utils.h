#pragma once
// gluon.utils: splitting a batch across devices, and gradient clipping.
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::utils {

// `data` cut into `num_slice` parts along `batch_axis`. With even_split, the extent must divide evenly
// (mx::ShapeError otherwise); without, the last parts are one shorter.
std::vector<NDArray> split_data(const NDArray& data, int num_slice, int batch_axis = 0, bool even_split = true);
// split_data, each part copied to one of `ctx` (the seed tutorial's data-parallel loop).
std::vector<NDArray> split_and_load(const NDArray& data, const std::vector<Context>& ctx, int batch_axis = 0,
                                    bool even_split = true);
// Scales the arrays in place so that their joint L2 norm is at most max_norm; returns the norm before (a sync
// point). A non-finite norm leaves the arrays as they are, as MXNet's check_isfinite.
double clip_global_norm(std::vector<NDArray>& arrays, double max_norm);

}  // namespace mx::gluon::utils
