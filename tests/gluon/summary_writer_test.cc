// SummaryWriter's event files, read back by a reader written here from the formats' specifications (TFRecord
// framing with masked CRC-32C; protobuf wire format; TensorFlow's Event, Summary and HistogramProto fields).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <mx/gluon/contrib/event_records.h>
#include <mx/gluon/contrib/summary_writer.h>
#include <mx/operators/creation.h>

using namespace mx;
using gluon::contrib::SummaryWriter;
namespace records = gluon::contrib::records;

namespace {

// A protobuf message as field number -> the raw values (varints as integers, the rest as bytes).
struct Message {
  std::multimap<int, std::uint64_t> ints;
  std::multimap<int, std::string> bytes;  // length-delimited, fixed32 and fixed64 as their little-endian bytes
  std::string first(int field) const {
    REQUIRE(bytes.count(field) >= 1);
    return bytes.find(field)->second;
  }
};

std::uint64_t read_varint(const std::string& s, std::size_t& at) {
  std::uint64_t value = 0;
  for (int shift = 0;; shift += 7) {
    REQUIRE(at < s.size());
    const auto byte = static_cast<unsigned char>(s[at++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
}

Message parse(const std::string& s) {
  Message m;
  for (std::size_t at = 0; at < s.size();) {
    const std::uint64_t key = read_varint(s, at);
    const int field = static_cast<int>(key >> 3), type = static_cast<int>(key & 7);
    if (type == 0) {
      m.ints.emplace(field, read_varint(s, at));
    } else {
      const std::size_t n = type == 1 ? 8 : type == 5 ? 4 : read_varint(s, at);
      REQUIRE((type == 1 || type == 2 || type == 5));
      REQUIRE(at + n <= s.size());
      m.bytes.emplace(field, s.substr(at, n));
      at += n;
    }
  }
  return m;
}

double as_double(const std::string& b) {
  REQUIRE(b.size() == 8);
  double v;
  std::memcpy(&v, b.data(), 8);
  return v;
}
float as_float(const std::string& b) {
  REQUIRE(b.size() == 4);
  float v;
  std::memcpy(&v, b.data(), 4);
  return v;
}
std::vector<double> as_doubles(const std::string& b) {
  std::vector<double> out(b.size() / 8);
  std::memcpy(out.data(), b.data(), out.size() * 8);
  return out;
}

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

// Every record of an event file, checking both CRCs of each.
std::vector<Message> read_events(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string file = buffer.str();
  std::vector<Message> events;
  for (std::size_t at = 0; at < file.size();) {
    REQUIRE(at + 12 <= file.size());
    const std::string length_bytes = file.substr(at, 8);
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i) length |= static_cast<std::uint64_t>(static_cast<unsigned char>(length_bytes[i])) << (8 * i);
    CHECK(le32(file, at + 8) == records::masked_crc32c(length_bytes));
    REQUIRE(at + 12 + length + 4 <= file.size());
    const std::string data = file.substr(at + 12, length);
    CHECK(le32(file, at + 12 + length) == records::masked_crc32c(data));
    events.push_back(parse(data));
    at += 12 + length + 4;
  }
  return events;
}

std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("mxpp_summary_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

// The Summary.Value of an event, and the event's step.
Message value_of(const Message& event, std::int64_t* step) {
  *step = static_cast<std::int64_t>(event.ints.find(2) != event.ints.end() ? event.ints.find(2)->second : 0);
  return parse(parse(event.first(5)).first(1));
}

}  // namespace

TEST_CASE("CRC-32C matches its published check value", "[gluon][summary]") {
  CHECK(records::crc32c("123456789") == 0xE3069283u);
  CHECK(records::crc32c("") == 0u);
}

TEST_CASE("SummaryWriter writes scalars TensorBoard reads", "[gluon][summary]") {
  const std::string dir = fresh_dir("scalars");
  std::string path;
  {
    SummaryWriter sw(dir);
    path = sw.path();
    sw.add_scalar("loss", 0.5, 1);
    sw.add_scalar("loss", 0.25, 2);
    sw.add_scalar("accuracy", 0.875, 2);
  }
  CHECK(std::filesystem::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
  const auto events = read_events(path);
  REQUIRE(events.size() == 4);
  CHECK(events[0].first(3) == "brain.Event:2");  // the file version comes first
  CHECK(as_double(events[0].first(1)) > 1.6e9);  // wall time, seconds since the epoch
  std::int64_t step = 0;
  const Message v = value_of(events[2], &step);
  CHECK(step == 2);
  CHECK(v.first(1) == "loss");
  CHECK(as_float(v.first(2)) == 0.25f);
  CHECK(value_of(events[3], &step).first(1) == "accuracy");
}

TEST_CASE("SummaryWriter writes histograms with TensorFlow's buckets or equal bins", "[gluon][summary]") {
  const std::string dir = fresh_dir("histograms");
  SummaryWriter sw(dir);
  sw.add_histogram("w", std::vector<double>{1, 2, 2, 3, 10}, 7, 3);
  sw.add_histogram("w", nd::full({4}, 0.5), 8);
  sw.add_histogram("wide", std::vector<double>{-1e308, 1e308}, 9, 2);  // hi - lo is beyond a double
  sw.flush();
  const auto events = read_events(sw.path());
  REQUIRE(events.size() == 4);
  std::int64_t step = 0;
  Message h = parse(value_of(events[1], &step).first(5));
  CHECK(step == 7);
  CHECK(as_double(h.first(1)) == 1);   // min
  CHECK(as_double(h.first(2)) == 10);  // max
  CHECK(as_double(h.first(3)) == 5);   // count
  CHECK(as_double(h.first(4)) == 18);  // sum
  CHECK(as_double(h.first(5)) == 118); // sum of squares
  CHECK(as_doubles(h.first(6)) == std::vector<double>{4, 7, 10});  // limits of 3 equal bins over [1, 10]
  CHECK(as_doubles(h.first(7)) == std::vector<double>{4, 0, 1});

  h = parse(value_of(events[2], &step).first(5));
  const auto limits = as_doubles(h.first(6)), counts = as_doubles(h.first(7));
  REQUIRE(limits.size() == 2);  // the empty bucket before, then the one holding 0.5
  CHECK(limits[0] < 0.5);
  CHECK(limits[1] >= 0.5);
  CHECK(limits[1] / 1.1 < 0.5);  // the smallest default limit at or above 0.5
  CHECK(counts == std::vector<double>{0, 4});
  const Message wide = parse(value_of(events[3], &step).first(5));
  CHECK(as_doubles(wide.first(6)) == std::vector<double>{0, 1e308});
  CHECK(as_doubles(wide.first(7)) == std::vector<double>{1, 1});
  CHECK_THROWS_WITH(sw.add_histogram("empty", std::vector<double>{}), Catch::Contains("no values"));
  CHECK_THROWS_WITH(sw.add_histogram("w", std::vector<double>{1, std::nan(""), 2}, 9, 3),
                    Catch::Contains("'w'") && Catch::Contains("value 1 is NaN"));
  CHECK_THROWS_WITH(sw.add_histogram("w", nd::array({0, 1, -HUGE_VAL})), Catch::Contains("value 2 is -inf"));
}

TEST_CASE("SummaryWriter writes text for TensorBoard's text plugin", "[gluon][summary]") {
  SummaryWriter sw(fresh_dir("text"));
  sw.add_text("notes", "lr 0.1, batch 128", 3);
  sw.close();
  CHECK_THROWS_WITH(sw.add_scalar("late", 1), Catch::Contains("closed"));
  const auto events = read_events(sw.path());
  REQUIRE(events.size() == 2);
  std::int64_t step = 0;
  const Message v = value_of(events[1], &step);
  CHECK(step == 3);
  CHECK(v.first(1) == "notes");
  const Message tensor = parse(v.first(8));
  CHECK(tensor.ints.find(1)->second == 7);  // DT_STRING
  CHECK(tensor.first(8) == "lr 0.1, batch 128");
  const Message plugin = parse(parse(v.first(9)).first(1));
  CHECK(plugin.first(1) == "text");
}

TEST_CASE("SummaryWriter names the directory it cannot create", "[gluon][summary]") {
  CHECK_THROWS_WITH(SummaryWriter("/proc/no-such-dir/logs"), Catch::Contains("/proc/no-such-dir/logs"));
}
