#include <mx/gluon/data/record_dataset.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <mx/io/recordio.h>
#include <mx/ndarray/error.h>

namespace mx::gluon::data {

// The .rec file's descriptor, closed with the last copy of the dataset.
struct RecordFileDataset::OpenFile {
  int fd = -1;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

RecordFileDataset::RecordFileDataset(std::string filename) : filename_(std::move(filename)) {
  const std::string idx = std::filesystem::path(filename_).replace_extension(".idx").string();
  auto offsets = std::make_shared<std::vector<std::uint64_t>>();
  for (const auto& [key, offset] : recordio::read_index(idx)) offsets->push_back(offset);
  auto file = std::make_shared<OpenFile>();
  file->fd = ::open(filename_.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd < 0) throw Error("RecordFileDataset: cannot open " + filename_ + ": " + std::strerror(errno));
  file_ = std::move(file);
  offsets_ = std::move(offsets);
}

std::size_t RecordFileDataset::size() const { return offsets_->size(); }

std::string RecordFileDataset::record(std::size_t i) const {
  if (i >= size()) {
    throw Error("RecordFileDataset: index " + std::to_string(i) + " is out of range for " + std::to_string(size()) +
                " records in " + filename_);
  }
  return recordio::read_record_at(file_->fd, (*offsets_)[i], filename_);
}

Sample RecordFileDataset::get(std::size_t i) const {
  const std::string bytes = record(i);
  NDArray out(Shape{static_cast<std::int64_t>(bytes.size())}, cpu(), DType::kUint8);
  out.copy_from_host(bytes.data(), DType::kUint8, bytes.size());
  return {out};
}

}  // namespace mx::gluon::data
