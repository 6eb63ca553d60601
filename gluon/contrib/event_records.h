#pragma once
// TensorBoard's event-file encoding, without a protobuf library: the record framing (length, masked CRC-32C of
// the length, data, masked CRC-32C of the data) and a writer for the few protobuf fields an Event uses.
#include <cstdint>
#include <string>
#include <string_view>

namespace mx::gluon::contrib::records {

// CRC-32C (Castagnoli), as TFRecord uses, and its masked form.
std::uint32_t crc32c(std::string_view data);
std::uint32_t masked_crc32c(std::string_view data);

// One framed record around `data`.
std::string frame(std::string_view data);

// Protobuf wire format: append one field to a message.
class ProtoWriter {
 public:
  ProtoWriter& varint(int field, std::uint64_t value);
  ProtoWriter& fixed64(int field, double value);
  ProtoWriter& fixed32(int field, float value);
  ProtoWriter& bytes(int field, std::string_view value);  // strings and embedded messages
  ProtoWriter& packed_doubles(int field, const double* values, std::size_t n);
  const std::string& str() const { return out_; }

 private:
  void key(int field, int wire_type);
  void raw_varint(std::uint64_t value);
  std::string out_;
};

}  // namespace mx::gluon::contrib::records
