#include <mx/io/recordio.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <mx/ndarray/error.h>

namespace mx::recordio {
namespace {

constexpr std::uint32_t kMagic = 0xced7230a;
constexpr std::uint32_t kLengthBits = 29;
constexpr std::uint32_t kMaxLength = (1u << kLengthBits) - 1;

std::uint32_t encode(std::uint32_t cflag, std::uint32_t length) { return (cflag << kLengthBits) | length; }
std::uint32_t padded(std::uint32_t length) { return (length + 3u) & ~3u; }
constexpr std::size_t kHeaderBytes = 24;  // uint32 flag, float label, uint64 id, uint64 id2

// Reads one record part by part; `read_exact(buffer, n, at)` reads n bytes at the record-relative position
// `at`, returning how many it got.
template <class ReadExact>
std::optional<std::string> assemble(ReadExact read_exact, const std::string& path, std::uint64_t start) {
  std::string record;
  std::uint64_t at = start;
  for (bool first = true;; first = false) {
    std::uint32_t header[2];
    const std::size_t got = read_exact(header, sizeof header, at);
    if (got == 0 && first) return std::nullopt;
    if (got != sizeof header) throw Error("recordio: " + path + " ends inside a record header at offset " + std::to_string(at));
    if (header[0] != kMagic) {
      throw Error("recordio: " + path + " has no record at offset " + std::to_string(at) + " (bad magic number)");
    }
    const std::uint32_t cflag = header[1] >> kLengthBits, length = header[1] & kMaxLength;
    at += sizeof header;
    const std::size_t size = record.size();
    record.resize(size + padded(length));
    if (read_exact(record.data() + size, padded(length), at) != padded(length)) {
      throw Error("recordio: " + path + " ends inside the record at offset " + std::to_string(start));
    }
    at += padded(length);
    record.resize(size + length);
    if (cflag == 0 || cflag == 3) return record;
    // A split record: the magic number the writer cut it at goes back in.
    record.append(reinterpret_cast<const char*>(&kMagic), sizeof kMagic);
  }
}

}  // namespace

std::string pack(const IRHeader& header, std::string_view payload) {
  IRHeader h = header;
  if (!h.labels.empty()) h.flag = static_cast<std::uint32_t>(h.labels.size()), h.label = 0;
  if (h.flag != h.labels.size()) {
    throw Error("recordio::pack: flag " + std::to_string(h.flag) + " says that many labels, " +
                std::to_string(h.labels.size()) + " given");
  }
  std::string out(kHeaderBytes, '\0');
  std::memcpy(out.data(), &h.flag, 4);
  std::memcpy(out.data() + 4, &h.label, 4);
  std::memcpy(out.data() + 8, &h.id, 8);
  std::memcpy(out.data() + 16, &h.id2, 8);
  out.append(reinterpret_cast<const char*>(h.labels.data()), h.labels.size() * sizeof(float));
  out.append(payload);
  return out;
}

std::pair<IRHeader, std::string> unpack(std::string_view record) {
  if (record.size() < kHeaderBytes) {
    throw Error("recordio::unpack: a record of " + std::to_string(record.size()) + " bytes is shorter than its header");
  }
  IRHeader h;
  std::memcpy(&h.flag, record.data(), 4);
  std::memcpy(&h.label, record.data() + 4, 4);
  std::memcpy(&h.id, record.data() + 8, 8);
  std::memcpy(&h.id2, record.data() + 16, 8);
  std::size_t at = kHeaderBytes;
  if (h.flag > 0) {
    if (record.size() - at < std::size_t{h.flag} * sizeof(float)) {
      throw Error("recordio::unpack: the header announces " + std::to_string(h.flag) + " labels, the record holds " +
                  std::to_string((record.size() - at) / sizeof(float)));
    }
    h.labels.resize(h.flag);
    std::memcpy(h.labels.data(), record.data() + at, h.flag * sizeof(float));
    at += h.flag * sizeof(float);
  }
  return {std::move(h), std::string(record.substr(at))};
}

MXRecordIO::MXRecordIO(std::string uri, std::string_view flag) : uri_(std::move(uri)), writing_(flag == "w") {
  if (flag != "r" && flag != "w") throw Error("MXRecordIO: flag must be \"r\" or \"w\", got \"" + std::string(flag) + "\"");
  file_ = std::fopen(uri_.c_str(), writing_ ? "wb" : "rb");
  if (file_ == nullptr) {
    throw Error("MXRecordIO: cannot open " + uri_ + (writing_ ? " for writing: " : ": ") + std::strerror(errno));
  }
}

MXRecordIO::~MXRecordIO() { close(); }

void MXRecordIO::close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

void MXRecordIO::write(std::string_view record) {
  if (!writing_ || file_ == nullptr) throw Error("MXRecordIO: " + uri_ + " is not open for writing");
  if (record.size() > kMaxLength) {
    throw Error("MXRecordIO: a record of " + std::to_string(record.size()) + " bytes is over RecordIO's " +
                std::to_string(kMaxLength));
  }
  const auto length = static_cast<std::uint32_t>(record.size());
  const auto put = [&](const void* data, std::size_t n) {
    if (n != 0 && std::fwrite(data, 1, n, file_) != n) throw Error("MXRecordIO: cannot write to " + uri_);
  };
  const auto part = [&](std::uint32_t cflag, std::uint32_t begin, std::uint32_t end) {
    const std::uint32_t header[2] = {kMagic, encode(cflag, end - begin)};
    put(header, sizeof header);
    put(record.data() + begin, end - begin);
  };
  // The payload is cut at each aligned occurrence of the magic number, so that a reader that lost its place
  // can find the next record by the magic alone (dmlc-core's writer).
  std::uint32_t begin = 0;
  for (std::uint32_t i = 0; i + 4 <= length; i += 4) {
    if (std::memcmp(record.data() + i, &kMagic, 4) == 0) {
      part(begin == 0 ? 1u : 2u, begin, i);
      begin = i + 4;
    }
  }
  part(begin != 0 ? 3u : 0u, begin, length);
  const std::uint32_t zero = 0;
  put(&zero, padded(length) - length);
}

std::optional<std::string> MXRecordIO::read() {
  if (writing_ || file_ == nullptr) throw Error("MXRecordIO: " + uri_ + " is not open for reading");
  const std::uint64_t start = tell();
  return assemble([this](void* buffer, std::size_t n, std::uint64_t) { return std::fread(buffer, 1, n, file_); }, uri_, start);
}

void MXRecordIO::reset() {
  close();
  file_ = std::fopen(uri_.c_str(), writing_ ? "wb" : "rb");
  if (file_ == nullptr) throw Error("MXRecordIO: cannot reopen " + uri_);
}

std::uint64_t MXRecordIO::tell() const {
  if (file_ == nullptr) throw Error("MXRecordIO: " + uri_ + " is closed");
  return static_cast<std::uint64_t>(std::ftell(file_));
}

void MXRecordIO::seek(std::uint64_t offset) {
  if (writing_ || file_ == nullptr) throw Error("MXRecordIO: " + uri_ + " is not open for reading");
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0) {
    throw Error("MXRecordIO: cannot seek to " + std::to_string(offset) + " in " + uri_);
  }
}

std::string read_record_at(int fd, std::uint64_t offset, const std::string& path) {
  auto record = assemble(
      [fd](void* buffer, std::size_t n, std::uint64_t at) -> std::size_t {
        std::size_t done = 0;
        while (done < n) {
          const ssize_t got = ::pread(fd, static_cast<char*>(buffer) + done, n - done, static_cast<off_t>(at + done));
          if (got < 0 && errno == EINTR) continue;
          if (got <= 0) break;
          done += static_cast<std::size_t>(got);
        }
        return done;
      },
      path, offset);
  if (!record) throw Error("recordio: " + path + " has no record at offset " + std::to_string(offset) + " (past its end)");
  return std::move(*record);
}

std::vector<std::pair<std::int64_t, std::uint64_t>> read_index(const std::string& idx_path) {
  std::ifstream in(idx_path);
  if (!in) throw Error("recordio: cannot open the index " + idx_path);
  std::vector<std::pair<std::int64_t, std::uint64_t>> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    std::istringstream fields(line);
    long long key = 0;
    unsigned long long offset = 0;
    if (!(fields >> key >> offset)) {
      throw Error("recordio: line " + std::to_string(number) + " of " + idx_path + " is not \"key<TAB>offset\": " + line);
    }
    entries.emplace_back(key, offset);
  }
  return entries;
}

MXIndexedRecordIO::MXIndexedRecordIO(std::string idx_path, std::string uri, std::string_view flag)
    : idx_path_(std::move(idx_path)), records_(std::move(uri), flag) {
  if (flag == "w") {
    index_ = std::fopen(idx_path_.c_str(), "w");
    if (index_ == nullptr) throw Error("MXIndexedRecordIO: cannot open " + idx_path_ + " for writing");
    return;
  }
  for (const auto& [key, offset] : read_index(idx_path_)) {
    if (offsets_.emplace(key, offset).second) keys_.push_back(key);
  }
}

MXIndexedRecordIO::~MXIndexedRecordIO() { close(); }

void MXIndexedRecordIO::close() {
  if (index_ != nullptr) std::fclose(index_);
  index_ = nullptr;
  records_.close();
}

void MXIndexedRecordIO::write_idx(std::int64_t key, std::string_view record) {
  if (index_ == nullptr) throw Error("MXIndexedRecordIO: " + records_.uri() + " is not open for writing");
  if (!offsets_.emplace(key, records_.tell()).second) {
    throw Error("MXIndexedRecordIO: key " + std::to_string(key) + " is written twice to " + records_.uri());
  }
  std::fprintf(index_, "%lld\t%llu\n", static_cast<long long>(key), static_cast<unsigned long long>(offsets_[key]));
  keys_.push_back(key);
  records_.write(record);
}

std::string MXIndexedRecordIO::read_idx(std::int64_t key) {
  const auto it = offsets_.find(key);
  if (it == offsets_.end()) throw Error("MXIndexedRecordIO: key " + std::to_string(key) + " is not in " + idx_path_);
  records_.seek(it->second);
  auto record = records_.read();
  if (!record) throw Error("MXIndexedRecordIO: key " + std::to_string(key) + "'s offset is past the end of " + records_.uri());
  return std::move(*record);
}

}  // namespace mx::recordio
