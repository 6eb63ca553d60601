#pragma once
// Reading images (MXNet's mx.image.imread and imdecode): JPEG by libjpeg-turbo, PNG by libpng.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::image {

// The image at `path` as (H, W, C) uint8: C = 3 (RGB) for flag 1, 1 (gray) for flag 0. Throws mx::Error naming
// the file when it is missing, of another format, or corrupt.
NDArray imread(const std::string& path, int flag = 1);
// The same from an encoded image in memory (a record's payload, say); mx::Error for another format or a corrupt one.
NDArray imdecode(std::string_view bytes, int flag = 1);

// Decoded pixels on the host, rows of width * channels bytes.
struct Pixels {
  std::int64_t height = 0, width = 0, channels = 0;
  std::vector<std::uint8_t> data;
};
// imdecode without the NDArray, for pipelines that transform images on threads of their own (ImageRecordIter).
Pixels decode_pixels(std::string_view bytes, int flag = 1);

}  // namespace mx::image
