// MXNet's RecordIO: the bytes dmlc-core's format prescribes (framing, padding, the split at an aligned magic
// number), the .idx lines, IRHeader's layout, reading back in order and by key, RecordFileDataset from several
// threads, and the errors.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <mx/mx.h>

#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string le32(std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

const std::string kMagic = le32(0xced7230a);

}  // namespace

TEST_CASE("RecordIO frames, pads and splits records as dmlc-core does", "[gluon][data][recordio]") {
  const std::string path = test::temp_path("frames.rec");
  // "ABCD", the magic at offset 4 (aligned), "EFGH", then the magic at offset 13 (not aligned: kept).
  const std::string split = "ABCD" + kMagic + "EFGH" + "x" + kMagic + "yz";
  {
    recordio::MXRecordIO out(path, "w");
    out.write("abc");
    out.write("");
    out.write(split);
    out.write(kMagic);  // the magic alone: an empty first part, an empty last part
  }
  const std::string expected =
      kMagic + le32(3) + "abc" + std::string(1, '\0') +                       // length 3, one byte of padding
      kMagic + le32(0) +                                                        // an empty record
      kMagic + le32((1u << 29) | 4) + "ABCD" +                                  // cflag 1: the first part
      kMagic + le32((3u << 29) | 11) + "EFGH" + "x" + kMagic + "yz" + std::string(1, '\0') +  // cflag 3: the last
      kMagic + le32((1u << 29) | 0) + kMagic + le32((3u << 29) | 0);
  CHECK(file_bytes(path) == expected);

  recordio::MXRecordIO in(path, "r");
  CHECK(in.read() == std::optional<std::string>("abc"));
  CHECK(in.read() == std::optional<std::string>(""));
  CHECK(in.read() == std::optional<std::string>(split));
  CHECK(in.read() == std::optional<std::string>(kMagic));
  CHECK_FALSE(in.read().has_value());
  in.reset();
  CHECK(in.read() == std::optional<std::string>("abc"));
  std::remove(path.c_str());
}

TEST_CASE("indexed RecordIO writes key and offset lines and reads by key", "[gluon][data][recordio]") {
  const std::string rec = test::temp_path("indexed.rec"), idx = test::temp_path("indexed.idx");
  {
    recordio::MXIndexedRecordIO out(idx, rec, "w");
    out.write_idx(5, "first");      // 8 + 5 + 3 padding = 16 bytes
    out.write_idx(2, "second!!");   // 8 + 8
    out.write_idx(9, "3");
    CHECK_THROWS_WITH(out.write_idx(2, "again"), Contains("key 2") && Contains("twice"));
  }
  CHECK(file_bytes(idx) == "5\t0\n2\t16\n9\t32\n");
  recordio::MXIndexedRecordIO in(idx, rec, "r");
  CHECK(in.keys() == std::vector<std::int64_t>{5, 2, 9});
  CHECK(in.read_idx(9) == "3");
  CHECK(in.read_idx(5) == "first");
  CHECK(in.read_idx(2) == "second!!");
  CHECK_THROWS_WITH(in.read_idx(7), Contains("key 7") && Contains(idx));

  // RecordFileDataset: the records in the index's order, as uint8 arrays, from several threads at once.
  gluon::data::RecordFileDataset dataset(rec);
  REQUIRE(dataset.size() == 3);
  const NDArray second = dataset.get(1)[0];
  CHECK(second.dtype() == DType::kUint8);
  CHECK(second.shape() == Shape{8});
  CHECK(second.asnumpy<std::uint8_t>()[7] == '!');
  std::vector<std::thread> readers;
  std::vector<int> wrong(4, 0);
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      for (int i = 0; i < 200; ++i) wrong[r] += dataset.record(static_cast<std::size_t>((i + r) % 3)) != std::vector<std::string>{"first", "second!!", "3"}[(i + r) % 3];
    });
  }
  for (auto& t : readers) t.join();
  CHECK(wrong == std::vector<int>(4, 0));
  CHECK_THROWS_WITH(dataset.get(3), Contains("index 3") && Contains(rec));
  std::remove(rec.c_str());
  std::remove(idx.c_str());
}

TEST_CASE("IRHeader packs as MXNet's 'IfQQ' and extra float labels", "[gluon][data][recordio]") {
  const std::string one = recordio::pack({.label = 2.5f, .id = 7, .id2 = 1}, "xy");
  REQUIRE(one.size() == 26);
  std::uint32_t flag;
  float label;
  std::uint64_t id, id2;
  std::memcpy(&flag, one.data(), 4);
  std::memcpy(&label, one.data() + 4, 4);
  std::memcpy(&id, one.data() + 8, 8);
  std::memcpy(&id2, one.data() + 16, 8);
  CHECK(flag == 0);
  CHECK(label == 2.5f);
  CHECK(id == 7);
  CHECK(id2 == 1);
  CHECK(one.substr(24) == "xy");
  const auto [header, payload] = recordio::unpack(one);
  CHECK(header.label == 2.5f);
  CHECK(payload == "xy");

  const std::string many = recordio::pack({.id = 3, .labels = {1, 2, 4}}, "img");
  CHECK(many.size() == 24 + 12 + 3);
  const auto [h, p] = recordio::unpack(many);
  CHECK(h.flag == 3);
  CHECK(h.labels == std::vector<float>{1, 2, 4});
  CHECK(p == "img");
  CHECK_THROWS_WITH(recordio::unpack("short"), Contains("shorter than its header"));
  CHECK_THROWS_WITH(recordio::unpack(many.substr(0, 30)), Contains("3 labels"));
}

TEST_CASE("RecordIO names the file and offset of what is wrong", "[gluon][data][recordio]") {
  const std::string rec = test::temp_path("bad.rec"), idx = test::temp_path("bad.idx");
  {
    std::ofstream out(rec, std::ios::binary);
    out << kMagic << le32(3) << "abc" << '\0' << "JUNKJUNK" << kMagic << le32(100) << "short";
  }
  recordio::MXRecordIO in(rec, "r");
  CHECK(in.read() == std::optional<std::string>("abc"));
  CHECK_THROWS_WITH(in.read(), Contains(rec) && Contains("offset 12") && Contains("magic"));
  in.seek(20);
  CHECK_THROWS_WITH(in.read(), Contains(rec) && Contains("ends inside"));
  { std::ofstream(idx) << "0\t0\nnot a line\n"; }
  CHECK_THROWS_WITH(gluon::data::RecordFileDataset(rec), Contains(idx) && Contains("line 2"));
  CHECK_THROWS_WITH(recordio::MXRecordIO(test::temp_path("no/such.rec"), "r"), Contains("no/such.rec"));
  CHECK_THROWS_WITH(recordio::MXRecordIO(rec, "a"), Contains("\"a\""));
  std::remove(rec.c_str());
  std::remove(idx.c_str());
}
