#include <mx/gluon/data/vision/datasets.h>

#include <zlib.h>

#include <array>
#include <filesystem>
#include <memory>
#include <vector>

#include <mx/ndarray/error.h>

namespace mx::gluon::data::vision {
namespace {

// The file `name` in `root`, gzipped (name.gz) or not.
std::string locate(const std::string& root, const std::string& name, const char* dataset, const char* package) {
  for (const std::string& candidate : {root + "/" + name + ".gz", root + "/" + name}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  throw Error(std::string(dataset) + ": " + root + "/" + name + "[.gz] not found" +
              (package ? std::string("; install the Debian package ") + package + " or pass the directory that holds it"
                       : std::string("; pass the directory that holds it")));
}

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// An IDX file: big-endian magic (0, 0, type 0x08 for ubyte, number of axes) and extents, then the bytes.
// zlib reads gzipped and plain files alike.
struct Idx {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> bytes;
};

Idx read_idx(const std::string& path, int expected_axes) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw Error("cannot open " + path);
  auto read_exactly = [&](void* dst, std::size_t n, const char* what) {
    std::size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int got = gzread(file.get(), static_cast<char*>(dst) + done, chunk);
      if (got < 0) {
        int code = 0;
        throw Error(path + ": corrupt (" + gzerror(file.get(), &code) + ") while reading " + what);
      }
      if (got == 0) {
        throw Error(path + ": truncated: " + what + " needs " + std::to_string(n) + " bytes, the file has " +
                    std::to_string(done));
      }
      done += static_cast<std::size_t>(got);
    }
  };
  std::array<std::uint8_t, 4> magic{};
  read_exactly(magic.data(), 4, "the header");
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != expected_axes) {
    throw Error(path + ": not an IDX file of unsigned bytes with " + std::to_string(expected_axes) +
                " axes (magic " + std::to_string(magic[2]) + "/" + std::to_string(magic[3]) + ")");
  }
  Idx idx;
  std::size_t total = 1;
  for (int a = 0; a < expected_axes; ++a) {
    std::array<std::uint8_t, 4> b{};
    read_exactly(b.data(), 4, "the header");
    const std::int64_t extent = (std::int64_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    if (extent <= 0 || extent > (1 << 24)) throw Error(path + ": implausible extent " + std::to_string(extent));
    idx.dims.push_back(extent);
    total *= static_cast<std::size_t>(extent);
  }
  idx.bytes.resize(total);
  read_exactly(idx.bytes.data(), total, "the data");
  return idx;
}

}  // namespace

MNIST::MNIST(std::string root, bool train) : MNIST(std::move(root), train, "MNIST", nullptr) {}

MNIST::MNIST(std::string root, bool train, const char* dataset, const char* package) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string image_path = locate(root, prefix + "-images-idx3-ubyte", dataset, package);
  const std::string label_path = locate(root, prefix + "-labels-idx1-ubyte", dataset, package);
  Idx images = read_idx(image_path, 3), labels = read_idx(label_path, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw Error(std::string(dataset) + ": " + image_path + " holds " + std::to_string(images.dims[0]) + " images but " +
                label_path + " " + std::to_string(labels.dims[0]) + " labels");
  }
  const Shape image_shape{images.dims[0], images.dims[1], images.dims[2], 1};
  images_ = NDArray(image_shape, cpu(), DType::kUint8);
  images_.copy_from_host(images.bytes.data(), DType::kUint8, images.bytes.size());
  labels_ = NDArray(Shape{labels.dims[0]}, cpu(), DType::kInt32);
  labels_.copy_from_host(labels.bytes.data(), DType::kUint8, labels.bytes.size());
}

Sample MNIST::get(std::size_t i) const {
  if (i >= size()) throw Error("MNIST: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) + " samples");
  const auto at = static_cast<std::int64_t>(i);
  return {images_.at(at), labels_.at(at)};
}

}  // namespace mx::gluon::data::vision
