#include <mx/io/idx_file.h>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>

#include <mx/ndarray/error.h>

namespace mx::io {
namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

}  // namespace

// zlib reads gzipped and plain files alike.
IdxFile read_idx(const std::string& path, int expected_axes) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw Error("cannot open " + path);
  // Reads bytes [from, to) of the part `what`, which holds `whole` bytes.
  auto read_exactly = [&](void* dst, std::size_t from, std::size_t to, std::size_t whole, const char* what) {
    std::size_t done = from;
    while (done < to) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(to - done, 1u << 30));
      const int got = gzread(file.get(), static_cast<char*>(dst) + (done - from), chunk);
      if (got < 0) {
        int code = 0;
        throw Error(path + ": corrupt (" + gzerror(file.get(), &code) + ") while reading " + what);
      }
      if (got == 0) {
        throw Error(path + ": truncated: " + what + " needs " + std::to_string(whole) + " bytes, the file has " +
                    std::to_string(done));
      }
      done += static_cast<std::size_t>(got);
    }
  };
  std::array<std::uint8_t, 4> magic{};
  read_exactly(magic.data(), 0, 4, 4, "the header");
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != expected_axes) {
    throw Error(path + ": not an IDX file of unsigned bytes with " + std::to_string(expected_axes) +
                " axes (magic " + std::to_string(magic[2]) + "/" + std::to_string(magic[3]) + ")");
  }
  IdxFile idx;
  std::size_t total = 1;
  for (int a = 0; a < expected_axes; ++a) {
    std::array<std::uint8_t, 4> b{};
    read_exactly(b.data(), 0, 4, 4, "an extent");
    const std::int64_t extent = (std::int64_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    if (extent <= 0 || extent > (1 << 24)) throw Error(path + ": implausible extent " + std::to_string(extent));
    if (total > (std::size_t{1} << 40) / static_cast<std::size_t>(extent)) {
      throw Error(path + ": implausible size (over 1 TiB of data)");
    }
    idx.dims.push_back(extent);
    total *= static_cast<std::size_t>(extent);
  }
  // The buffer grows with what was read, so a header that promises more than the file holds fails as truncated
  // instead of allocating what it promised.
  constexpr std::size_t kStep = std::size_t{64} << 20;
  while (idx.bytes.size() < total) {
    const std::size_t done = idx.bytes.size(), step = std::min(kStep, total - done);
    idx.bytes.resize(done + step);
    read_exactly(idx.bytes.data() + done, done, done + step, total, "the data");
  }
  return idx;
}


}  // namespace mx::io
