#pragma once
// Reading image files (MXNet's mx.image.imread): JPEG by libjpeg-turbo, PNG by libpng.
#include <string>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::data::vision {

// The image at `path` as (H, W, C) uint8: C = 3 (RGB) for flag 1, 1 (gray) for flag 0. Throws mx::Error naming
// the file when it is missing, of another format, or corrupt.
NDArray imread(const std::string& path, int flag = 1);

}  // namespace mx::gluon::data::vision
