#include <mx/gluon/contrib/event_records.h>

#include <array>
#include <cstring>

namespace mx::gluon::contrib::records {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected Castagnoli polynomial
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kTable = make_table();

void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

std::uint32_t crc32c(std::string_view data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : data) c = kTable[(c ^ byte) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t masked_crc32c(std::string_view data) {
  const std::uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string frame(std::string_view data) {
  std::string length;
  append_le(length, data.size(), 8);
  std::string out = length;
  append_le(out, masked_crc32c(length), 4);
  out.append(data);
  append_le(out, masked_crc32c(data), 4);
  return out;
}

void ProtoWriter::raw_varint(std::uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void ProtoWriter::key(int field, int wire_type) { raw_varint((static_cast<std::uint64_t>(field) << 3) | wire_type); }

ProtoWriter& ProtoWriter::varint(int field, std::uint64_t value) {
  key(field, 0);
  raw_varint(value);
  return *this;
}

ProtoWriter& ProtoWriter::fixed64(int field, double value) {
  key(field, 1);
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  append_le(out_, bits, 8);
  return *this;
}

ProtoWriter& ProtoWriter::fixed32(int field, float value) {
  key(field, 5);
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  append_le(out_, bits, 4);
  return *this;
}

ProtoWriter& ProtoWriter::bytes(int field, std::string_view value) {
  key(field, 2);
  raw_varint(value.size());
  out_.append(value);
  return *this;
}

ProtoWriter& ProtoWriter::packed_doubles(int field, const double* values, std::size_t n) {
  std::string packed;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    append_le(packed, bits, 8);
  }
  return bytes(field, packed);
}

}  // namespace mx::gluon::contrib::records
