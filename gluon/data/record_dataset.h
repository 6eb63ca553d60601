#pragma once
// Gluon's RecordFileDataset: the records of an MXNet .rec file by position, through the .idx file beside it
// (train.rec -> train.idx). Each sample is one field, the record's bytes as a (bytes,) uint8 array. Reads are
// positional (pread), so DataLoader workers read concurrently.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <mx/gluon/data/dataset.h>

namespace mx::gluon::data {

class RecordFileDataset : public DatasetBase<RecordFileDataset> {
 public:
  // mx::Error naming the file when the .rec or its .idx cannot be opened or the index is malformed.
  explicit RecordFileDataset(std::string filename);
  std::size_t size() const override;
  Sample get(std::size_t i) const override;
  // Record i's bytes, as a string (ImageRecordDataset unpacks them).
  std::string record(std::size_t i) const;
  const std::string& filename() const { return filename_; }

 private:
  struct OpenFile;
  std::string filename_;
  std::shared_ptr<const OpenFile> file_;
  std::shared_ptr<const std::vector<std::uint64_t>> offsets_;  // in the index's order
};

}  // namespace mx::gluon::data
