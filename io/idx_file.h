#pragma once
// IDX files, the format of MNIST and Fashion-MNIST (train-images-idx3-ubyte, ...): a big-endian magic number
// (0, 0, type 0x08 for unsigned bytes, number of axes), the extents, then the bytes. Read gzipped or plain.
#include <cstdint>
#include <string>
#include <vector>

namespace mx::io {

struct IdxFile {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> bytes;  // row-major over dims
};

// The file at `path`, which must hold unsigned bytes over `expected_axes` axes. mx::Error naming the file when it
// cannot be opened, is of another kind, corrupt or truncated.
IdxFile read_idx(const std::string& path, int expected_axes);

}  // namespace mx::io
