#pragma once
// Reading images (MXNet's mx.image.imread and imdecode): JPEG by libjpeg-turbo, PNG by libpng.
#include <string>
#include <string_view>

#include <mx/ndarray/ndarray.h>

namespace mx::gluon::data::vision {

// The image at `path` as (H, W, C) uint8: C = 3 (RGB) for flag 1, 1 (gray) for flag 0. Throws mx::Error naming
// the file when it is missing, of another format, or corrupt.
NDArray imread(const std::string& path, int flag = 1);
// The same from an encoded image in memory (a record's payload, say); mx::Error for another format or a corrupt one.
NDArray imdecode(std::string_view bytes, int flag = 1);

}  // namespace mx::gluon::data::vision
