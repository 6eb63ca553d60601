#pragma once
// MXNet's RecordIO files (mx.recordio), the format of its .rec datasets (im2rec): records framed by dmlc-core's
// RecordIO (a magic number, a 3-bit continuation flag and a 29-bit length, the payload padded to 4 bytes; a
// payload holding the magic at an aligned offset is split there), an optional .idx file of "key\toffset" lines,
// and the image records' IRHeader (flag, label, id, id2) in front of the encoded image.
//
//   recordio::MXIndexedRecordIO out("train.idx", "train.rec", "w");
//   out.write_idx(0, recordio::pack({.label = 3, .id = 0}, jpeg_bytes));
//   recordio::MXIndexedRecordIO in("train.idx", "train.rec", "r");
//   auto [header, image] = recordio::unpack(in.read_idx(0));
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mx::recordio {

// An image record's header: `label`, or with flag > 0 that many labels in `labels`; id and id2 as im2rec sets.
struct IRHeader {
  std::uint32_t flag = 0;
  float label = 0;
  std::uint64_t id = 0;
  std::uint64_t id2 = 0;
  std::vector<float> labels;  // flag values when flag > 0
};

// The header (24 bytes, then flag float labels when there are several) followed by `payload`.
std::string pack(const IRHeader& header, std::string_view payload);
// The header and the payload after it; mx::Error when the record is shorter than its header says.
std::pair<IRHeader, std::string> unpack(std::string_view record);

// Sequential reading ("r") or writing ("w") of a .rec file. Not thread-safe; RecordFileDataset reads
// concurrently through read_record_at.
class MXRecordIO {
 public:
  MXRecordIO(std::string uri, std::string_view flag);
  ~MXRecordIO();
  MXRecordIO(const MXRecordIO&) = delete;
  MXRecordIO& operator=(const MXRecordIO&) = delete;

  void write(std::string_view record);
  // The next record, or nothing at the end of the file.
  std::optional<std::string> read();
  // Back to the first record (reading), or truncating the file (writing), as MXNet's reset.
  void reset();
  void close();
  // The offset of the next record; seek moves there (reading), as to an offset tell gave.
  std::uint64_t tell() const;
  void seek(std::uint64_t offset);
  const std::string& uri() const { return uri_; }

 private:
  std::string uri_;
  bool writing_;
  std::FILE* file_ = nullptr;
};

// Records by key through the .idx file beside them (MXNet's MXIndexedRecordIO). Writing appends a record and
// its "key\toffset" line; reading loads the index at construction.
class MXIndexedRecordIO {
 public:
  MXIndexedRecordIO(std::string idx_path, std::string uri, std::string_view flag);
  ~MXIndexedRecordIO();
  MXIndexedRecordIO(const MXIndexedRecordIO&) = delete;
  MXIndexedRecordIO& operator=(const MXIndexedRecordIO&) = delete;

  void write_idx(std::int64_t key, std::string_view record);
  // mx::Error naming the key and the file for a key not in the index.
  std::string read_idx(std::int64_t key);
  const std::vector<std::int64_t>& keys() const { return keys_; }
  void close();

 private:
  std::string idx_path_;
  MXRecordIO records_;
  std::FILE* index_ = nullptr;
  std::vector<std::int64_t> keys_;           // in the index's order
  std::map<std::int64_t, std::uint64_t> offsets_;
};

// The record starting at byte `offset` of the open file `fd` (pread: safe from several threads at once).
// mx::Error naming `path` and the offset for a bad magic number or a truncated record.
std::string read_record_at(int fd, std::uint64_t offset, const std::string& path);

// The .idx file's keys and offsets, in its order; mx::Error naming the file for a malformed line.
std::vector<std::pair<std::int64_t, std::uint64_t>> read_index(const std::string& idx_path);

}  // namespace mx::recordio
