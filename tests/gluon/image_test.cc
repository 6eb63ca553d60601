// imread and imdecode on PNG and JPEG files written here, ImageFolderDataset, ImageRecordDataset, and the image
// transforms.
#include <catch2/catch.hpp>

#include <set>

#include <jpeglib.h>
#include <png.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../png_file.h"

using namespace mx;
using test::write_png;
using Catch::Matchers::Contains;
namespace vision = gluon::data::vision;
namespace fs = std::filesystem;

namespace {

// A width x height RGB image whose pixel (y, x) is (10 y, 10 x, 7).
std::vector<std::uint8_t> gradient(int width, int height) {
  std::vector<std::uint8_t> rgb;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) rgb.insert(rgb.end(), {static_cast<std::uint8_t>(10 * y), static_cast<std::uint8_t>(10 * x), 7});
  }
  return rgb;
}

void write_jpeg(const std::string& path, int width, int height, const std::vector<std::uint8_t>& rgb) {
  jpeg_compress_struct info;
  jpeg_error_mgr error;
  info.err = jpeg_std_error(&error);
  jpeg_create_compress(&info);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_stdio_dest(&info, f);
  info.image_width = width;
  info.image_height = height;
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(rgb.data() + info.next_scanline * width * 3);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(f);
}

}  // namespace

TEST_CASE("imread decodes PNG exactly and JPEG closely, ImageFolderDataset labels by folder", "[gluon][data][io]") {
  const fs::path root = fs::temp_directory_path() / "mxpp_images";
  fs::remove_all(root);
  fs::create_directories(root / "cat");
  fs::create_directories(root / "dog");
  const auto rgb = gradient(4, 3);
  write_png((root / "dog" / "b.png").string(), 4, 3, rgb);
  write_jpeg((root / "cat" / "a.JPG").string(), 4, 3, rgb);
  std::ofstream(root / "dog" / "notes.txt") << "not an image";

  const NDArray png = mx::image::imread((root / "dog" / "b.png").string());
  REQUIRE(png.shape() == Shape{3, 4, 3});
  std::vector<double> expected(rgb.begin(), rgb.end());
  test::check_array(png, {3, 4, 3}, expected);
  const NDArray gray = mx::image::imread((root / "dog" / "b.png").string(), 0);
  CHECK(gray.shape() == Shape{3, 4, 1});
  const NDArray jpeg = mx::image::imread((root / "cat" / "a.JPG").string());
  REQUIRE(jpeg.shape() == Shape{3, 4, 3});
  const std::vector<double> decoded = test::values(jpeg);
  for (std::size_t i = 0; i < decoded.size(); ++i) CHECK(std::abs(decoded[i] - expected[i]) <= 12);

  const vision::ImageFolderDataset folder(root.string());
  CHECK(folder.synsets() == std::vector<std::string>{"cat", "dog"});
  REQUIRE(folder.size() == 2);
  test::check_array(folder.get(1)[1], {}, {1});
  CHECK(folder.get(0)[0].shape() == Shape{3, 4, 3});

  std::ofstream(root / "dog" / "broken.png") << "\x89PNG\r\n\x1a\n truncated";
  CHECK_THROWS_WITH(mx::image::imread((root / "dog" / "broken.png").string()), Contains("broken.png") && Contains("PNG"));
  CHECK_THROWS_WITH(mx::image::imread((root / "dog" / "notes.txt").string()), Contains("neither a JPEG nor a PNG"));
  CHECK_THROWS_WITH(mx::image::imread((root / "missing.png").string()), Contains("missing.png"));
  CHECK_THROWS_WITH(vision::ImageFolderDataset((root / "none").string()), Contains("not a directory"));
  fs::remove_all(root);
}

TEST_CASE("ImageRecordDataset decodes im2rec-style records, imdecode decodes bytes", "[gluon][data][io][recordio]") {
  const fs::path root = fs::temp_directory_path() / "mxpp_image_records";
  fs::remove_all(root);
  fs::create_directories(root);
  const auto rgb = gradient(4, 3);
  write_png((root / "a.png").string(), 4, 3, rgb);
  write_jpeg((root / "b.jpg").string(), 4, 3, rgb);
  const auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string rec = (root / "train.rec").string(), idx = (root / "train.idx").string();
  {
    recordio::MXIndexedRecordIO out(idx, rec, "w");
    out.write_idx(0, recordio::pack({.label = 3, .id = 0}, bytes(root / "a.png")));
    out.write_idx(1, recordio::pack({.id = 1, .labels = {1, 0.5}}, bytes(root / "b.jpg")));
    out.write_idx(2, recordio::pack({.label = 1, .id = 2}, "not an image"));
  }
  const vision::ImageRecordDataset dataset(rec);
  REQUIRE(dataset.size() == 3);
  const auto first = dataset.get(0);
  test::check_array(first[0], {3, 4, 3}, std::vector<double>(rgb.begin(), rgb.end()));  // PNG: exact
  CHECK(first[0].dtype() == DType::kUint8);
  test::check_array(first[1], {}, {3});
  const auto second = dataset.get(1);
  test::check_array(second[0], {3, 4, 3}, test::values(mx::image::imread((root / "b.jpg").string())));
  test::check_array(second[1], {2}, {1, 0.5});
  CHECK(vision::ImageRecordDataset(rec, 0).get(0)[0].shape() == Shape{3, 4, 1});
  CHECK_THROWS_WITH(dataset.get(2), Contains("record 2") && Contains("train.rec") && Contains("neither a JPEG nor a PNG"));
  test::check_array(mx::image::imdecode(bytes(root / "a.png")), {3, 4, 3}, std::vector<double>(rgb.begin(), rgb.end()));
  CHECK_THROWS_WITH(mx::image::imdecode(""), Contains("imdecode") && Contains("empty"));
  fs::remove_all(root);
}

TEST_CASE("imread refuses images of more pixels than MX_IMAGE_MAX_PIXELS before decoding them", "[gluon][data][io]") {
  const fs::path root = fs::temp_directory_path() / "mxpp_image_limits";
  fs::remove_all(root);
  fs::create_directories(root);
  // A PNG header that promises 40,000 x 40,000 RGB pixels (4.8 GB) and no data: a decompression bomb.
  const std::string bomb = (root / "bomb.png").string();
  {
    std::FILE* f = std::fopen(bomb.c_str(), "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, 40000, 40000, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    // The start of an image data chunk: png_read_info reads up to it (the header alone is a truncated file).
    const std::uint8_t data[16] = {};
    png_write_chunk(png, reinterpret_cast<png_const_bytep>("IDAT"), data, sizeof data);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
  }
  CHECK(fs::file_size(bomb) < 100);
  CHECK_THROWS_WITH(mx::image::imread(bomb), Contains("bomb.png") && Contains("40000 x 40000") && Contains("MX_IMAGE_MAX_PIXELS"));

  // The limit is the variable's: a 4 x 3 image passes at 12 pixels and is refused at 11, JPEG and PNG alike.
  const auto rgb = gradient(4, 3);
  write_png((root / "small.png").string(), 4, 3, rgb);
  write_jpeg((root / "small.jpg").string(), 4, 3, rgb);
  ::setenv("MX_IMAGE_MAX_PIXELS", "12", 1);
  CHECK(mx::image::imread((root / "small.png").string()).shape() == Shape{3, 4, 3});
  CHECK(mx::image::imread((root / "small.jpg").string()).shape() == Shape{3, 4, 3});
  ::setenv("MX_IMAGE_MAX_PIXELS", "11", 1);
  CHECK_THROWS_WITH(mx::image::imread((root / "small.png").string()), Contains("small.png") && Contains("4 x 3"));
  CHECK_THROWS_WITH(mx::image::imread((root / "small.jpg").string()), Contains("small.jpg") && Contains("4 x 3"));
  ::setenv("MX_IMAGE_MAX_PIXELS", "lots", 1);
  CHECK_THROWS_WITH(mx::image::imread((root / "small.png").string()), Contains("MX_IMAGE_MAX_PIXELS='lots'"));
  ::unsetenv("MX_IMAGE_MAX_PIXELS");
  CHECK(mx::image::imread((root / "small.png").string()).shape() == Shape{3, 4, 3});
  fs::remove_all(root);
}

TEST_CASE("resizing and cropping transforms", "[gluon][data]") {
  using namespace vision::transforms;
  // A 2x2 gray image resized to 4x4: bilinear with aligned centres, edges clamped.
  const NDArray small = nd::array({0, 40, 80, 120}, Shape{2, 2, 1});
  test::check_array(Resize({4})(small), {4, 4, 1},
                    {0, 10, 30, 40, 20, 30, 50, 60, 60, 70, 90, 100, 80, 90, 110, 120});
  CHECK(Resize({6, 3})(nd::zeros({10, 20, 3})).shape() == Shape{3, 6, 3});
  CHECK(Resize({5}, /*keep_ratio=*/true)(nd::zeros({10, 20, 3})).shape() == Shape{5, 10, 3});
  const NDArray image = nd::arange(25).reshape({5, 5, 1});
  test::check_array(CenterCrop({3})(image), {3, 3, 1}, {6, 7, 8, 11, 12, 13, 16, 17, 18});
  CHECK(CenterCrop({8, 6})(image).shape() == Shape{6, 8, 1});  // scaled up first
  random::seed(4);
  CHECK(RandomResizedCrop({3})(nd::zeros({20, 30, 3})).shape() == Shape{3, 3, 3});
  // Flips: over many draws, both outcomes, each the image or its mirror.
  int mirrored = 0;
  const NDArray row = nd::array({1, 2, 3}, Shape{1, 3, 1});
  for (int i = 0; i < 40; ++i) {
    const std::vector<double> v = test::values(RandomFlipLeftRight()(row));
    CHECK((v == std::vector<double>{1, 2, 3} || v == std::vector<double>{3, 2, 1}));
    mirrored += v[0] == 3;
  }
  CHECK(mirrored > 5);
  CHECK(mirrored < 35);
  CHECK_THROWS_WITH(CenterCrop({0}), Contains("CenterCrop"));
}

TEST_CASE("RandomCrop (padded), CropResize and RandomApply", "[gluon][data]") {
  using namespace vision::transforms;
  const NDArray image = nd::arange(1, 10).reshape({3, 3, 1});  // 1..9, no zero inside
  // Padded by 1 with -1: every crop is a window of the 5 x 5 padded image, and over many draws the padding shows
  // at every side.
  const std::vector<double> padded = {-1, -1, -1, -1, -1, -1, 1, 2, 3, -1, -1, 4, 5, 6, -1, -1, 7, 8, 9, -1, -1, -1, -1, -1, -1};
  random::seed(6);
  std::set<std::pair<int, int>> corners;
  for (int draw = 0; draw < 60; ++draw) {
    const std::vector<double> got = test::values(RandomCrop({3}, 1, -1)(image));
    REQUIRE(got.size() == 9);
    bool found = false;
    for (int top = 0; top <= 2 && !found; ++top) {
      for (int left = 0; left <= 2 && !found; ++left) {
        bool same = true;
        for (int i = 0; i < 9; ++i) same = same && got[static_cast<std::size_t>(i)] == padded[static_cast<std::size_t>((top + i / 3) * 5 + left + i % 3)];
        if (same) {
          found = true;
          corners.insert({top, left});
        }
      }
    }
    CHECK(found);
  }
  CHECK(corners.size() == 9);  // every place drawn
  test::check_array(RandomCrop({3})(image), {3, 3, 1}, test::values(image));  // the only place, unpadded
  CHECK(RandomCrop({6, 4})(image).shape() == Shape{4, 6, 1});  // resized up first
  CHECK_THROWS_WITH(RandomCrop({3}, -1), Contains("RandomCrop") && Contains("pad"));

  test::check_array(CropResize(1, 0, 2, 2)(image), {2, 2, 1}, {2, 3, 5, 6});
  CHECK(CropResize(0, 1, 2, 2, {4})(image).shape() == Shape{4, 4, 1});
  test::check_array(CropResize(1, 1, 1, 2)(nd::stack({image, image * 10.0}, 0)), {2, 2, 1, 1}, {5, 8, 50, 80});
  CHECK_THROWS_WITH(CropResize(2, 0, 2, 2)(image), Contains("CropResize") && Contains("does not fit"));

  const gluon::data::Transform flip = RandomFlipLeftRight();
  const NDArray row = nd::array({1, 2, 3}, Shape{1, 3, 1});
  test::check_array(RandomApply(Compose({Cast(DType::kFloat64), [](const NDArray& x) { return x * 2.0; }}), 1)(row), {1, 3, 1}, {2, 4, 6});
  test::check_array(RandomApply(flip, 0)(row), {1, 3, 1}, {1, 2, 3});
  int doubled = 0;
  for (int i = 0; i < 60; ++i) doubled += test::values(RandomApply([](const NDArray& x) { return x * 2.0; }, 0.5)(row))[0] == 2;
  CHECK(doubled > 15);
  CHECK(doubled < 45);
  CHECK_THROWS_WITH(RandomApply(flip, 1.5), Contains("RandomApply"));
}

TEST_CASE("saturation, hue, color jitter and lighting keep what they must", "[gluon][data]") {
  using namespace vision::transforms;
  random::seed(9);
  // Saturation: each pixel moves along the line through its own gray level, by one factor in [0.5, 1.5].
  const std::vector<double> rgb = {0.9, 0.2, 0.1, 0.3, 0.6, 0.8};
  const NDArray image = nd::array(rgb, Shape{1, 2, 3});
  for (int i = 0; i < 5; ++i) {
    const std::vector<double> out = test::values(RandomSaturation(0.5)(image));
    double factor = 0;
    for (int p = 0; p < 2; ++p) {
      const double gray = 0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2];
      if (p == 0) factor = (out[0] - gray) / (rgb[0] - gray);
      for (int c = 0; c < 3; ++c) CHECK(out[p * 3 + c] - gray == Approx(factor * (rgb[p * 3 + c] - gray)).margin(1e-5));
    }
    CHECK((factor >= 0.5 - 1e-5 && factor <= 1.5 + 1e-5));
  }
  // Hue: a rotation about the gray axis keeps every pixel's luma, leaves gray pixels alone, and moves colors.
  const NDArray with_gray = nd::array({0.9, 0.2, 0.1, 0.4, 0.4, 0.4}, Shape{1, 2, 3});
  const std::vector<double> hued = test::values(RandomHue(0.5)(with_gray));
  const auto luma = [](const std::vector<double>& v, int p) { return 0.299 * v[p * 3] + 0.587 * v[p * 3 + 1] + 0.114 * v[p * 3 + 2]; };
  CHECK(luma(hued, 0) == Approx(luma({0.9, 0.2, 0.1}, 0)).margin(2e-3));
  for (int c = 0; c < 3; ++c) CHECK(hued[3 + c] == Approx(0.4).margin(2e-3));
  test::check_array(RandomHue(0)(with_gray), {1, 2, 3}, {0.9, 0.2, 0.1, 0.4, 0.4, 0.4}, 2e-3);
  // Jitter with nothing to jitter is the identity; brightness alone stays in its range.
  test::check_array(RandomColorJitter()(image), {1, 2, 3}, rgb);
  const NDArray flat = nd::full({2, 2, 3}, 100, cpu(), DType::kUint8);
  for (int i = 0; i < 5; ++i) {
    const double v = test::values(RandomColorJitter(0.5, 0.5, 0.5)(flat))[0];
    CHECK((v >= 50 && v <= 150));
  }
  // Lighting: one offset for every pixel, eigvec (alpha * eigval) for the three N(0, 0.1) draws it makes.
  random::seed(4);
  const std::vector<double> alpha = nd::random::normal(0, 0.1, {3}, cpu(), DType::kFloat64).asnumpy<double>();
  random::seed(4);
  const std::vector<double> lit = test::values(RandomLighting(0.1)(image));
  const double eigval[3] = {55.46, 4.794, 1.148};
  const double eigvec[3][3] = {{-0.5675, 0.7192, 0.4009}, {-0.5808, -0.0045, -0.8140}, {-0.5836, -0.6948, 0.4203}};
  for (int c = 0; c < 3; ++c) {
    double offset = 0;
    for (int j = 0; j < 3; ++j) offset += eigvec[c][j] * alpha[j] * eigval[j];
    CHECK(lit[c] - rgb[c] == Approx(offset).margin(1e-4));
    CHECK(lit[3 + c] - rgb[3 + c] == Approx(offset).margin(1e-4));
  }
  CHECK_THROWS_WITH(RandomLighting(0.1)(nd::ones({2, 2, 1})), Contains("RandomLighting") && Contains("(2, 2, 1)"));
  CHECK_THROWS_WITH(RandomSaturation(-1), Contains("RandomSaturation"));
}

TEST_CASE("imrotate turns an image about its center to hand-computed values", "[gluon][data][image]") {
  // 90 degrees: output (i, j) samples source (j, 2 - i).
  const NDArray digits = nd::arange(9).reshape({1, 3, 3});
  test::check_array(nd::image::imrotate(digits, 90), {1, 3, 3}, {2, 5, 8, 1, 4, 7, 0, 3, 6}, 1e-6);
  test::check_array(nd::image::imrotate(digits, 0), {1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}, 1e-6);
  // 45 degrees on ones: the center stays 1; corner (0, 0) samples row 1 - sqrt(2), column 1, so 2 - sqrt(2) of
  // a pixel (the rest falls outside, as zeros).
  const std::vector<double> turned = test::values(nd::image::imrotate(nd::ones({2, 1, 3, 3}), 45));
  CHECK(turned[4] == Approx(1));
  CHECK(turned[0] == Approx(2 - std::sqrt(2.0)).margin(1e-6));
  CHECK(turned[9] == Approx(2 - std::sqrt(2.0)).margin(1e-6));  // the batch's second image alike
  // A 2 x 4 image turned 90 degrees: zoom_in halves the grid (the 4-wide source must fit 2 rows), so output
  // (0, 0), 1.5 columns left of and 0.5 rows above the center, samples x = 1.5 + 0.5 * 0.5 = 1.75,
  // y = 0.5 - 0.5 * 1.5 = -0.25: 0.75 (0.25 x[0][1] + 0.75 x[0][2]). zoom_out doubles the grid, so output
  // (0, 0) samples y = -2.5, outside: 0.
  const NDArray wide = nd::arange(8).reshape({1, 2, 4});
  CHECK(test::values(nd::image::imrotate(wide, 90, true))[0] == Approx(0.75 * (0.25 * 1 + 0.75 * 2)));
  const std::vector<double> out = test::values(nd::image::imrotate(wide, 90, false, true));
  CHECK(out[0] == 0);
  // Output (1, 2): x = 1.5 + 2 (0.5 * 0 - 0.5 * 1) = 0.5, y = 0.5 + 2 (0.5 * 1 + 0.5 * 0) = 1.5: halfway
  // between x[1][0] and x[1][1] with half its weight below the image: 0.5 (0.5 * 4 + 0.5 * 5).
  CHECK(out[6] == Approx(0.5 * (0.5 * 4 + 0.5 * 5)));
  CHECK_THROWS_WITH(nd::image::imrotate(nd::ones({3, 3}), 10), Contains("imrotate") && Contains("(3, 3)"));
  CHECK_THROWS_WITH(nd::image::imrotate(nd::ones({1, 3, 3}, cpu(), DType::kUint8), 10), Contains("imrotate") && Contains("uint8"));
  CHECK_THROWS_WITH(nd::image::imrotate(digits, 10, true, true), Contains("zoom_in and zoom_out"));
}

TEST_CASE("RandomGray and RandomRotation", "[gluon][data][image]") {
  using namespace vision::transforms;
  random::seed(12);
  const NDArray image = nd::array({0.9, 0.2, 0.1, 0.3, 0.6, 0.8}, Shape{1, 2, 3});
  const double gray0 = 0.2989 * 0.9 + 0.587 * 0.2 + 0.114 * 0.1, gray1 = 0.2989 * 0.3 + 0.587 * 0.6 + 0.114 * 0.8;
  test::check_array(RandomGray(1)(image), {1, 2, 3}, {gray0, gray0, gray0, gray1, gray1, gray1}, 1e-6);
  test::check_array(RandomGray(0)(image), {1, 2, 3}, {0.9, 0.2, 0.1, 0.3, 0.6, 0.8});
  int grayed = 0;
  for (int i = 0; i < 40; ++i) grayed += test::values(RandomGray(0.5)(image))[1] != Approx(0.2);
  CHECK((grayed > 5 && grayed < 35));
  CHECK_THROWS_WITH(RandomGray(1.5), Contains("RandomGray"));
  // An angle from [90, 90] is 90.
  const NDArray digits = nd::arange(9).reshape({1, 3, 3});
  test::check_array(RandomRotation({90, 90})(digits), {1, 3, 3}, {2, 5, 8, 1, 4, 7, 0, 3, 6}, 1e-6);
  test::check_array(RandomRotation({90, 90}, false, false, 0)(digits), {1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  // Angles in [-10, 10] keep the center.
  for (int i = 0; i < 5; ++i) CHECK(test::values(RandomRotation({-10, 10})(digits))[4] == Approx(4));
  CHECK_THROWS_WITH(RandomRotation({10, -10}), Contains("RandomRotation") && Contains("low <= high"));
}

TEST_CASE("brightness and contrast stay within their ranges", "[gluon][data]") {
  using namespace vision::transforms;
  random::seed(5);
  const NDArray image = nd::full({2, 2, 3}, 100, cpu(), DType::kUint8);
  for (int i = 0; i < 10; ++i) {
    const NDArray brighter = RandomBrightness(0.5)(image);
    CHECK(brighter.dtype() == DType::kUint8);
    const double v = test::values(brighter)[0];
    CHECK((v >= 50 && v <= 150));
  }
  // A flat image has no contrast to change: gray equals every pixel.
  test::check_array(RandomContrast(0.9)(nd::full({2, 2, 3}, 0.5)), {2, 2, 3}, std::vector<double>(12, 0.5), 1e-6);
  const NDArray two_tone = nd::array({0, 0, 0, 1, 1, 1}, Shape{1, 2, 3});
  const std::vector<double> v = test::values(RandomContrast(0.5)(two_tone));
  CHECK(v[0] >= -0.25 - 1e-6);
  CHECK(v[3] <= 1.25 + 1e-6);
}

TEST_CASE("ImageListDataset reads an im2rec .lst file or a list of labels and paths", "[gluon][data][io]") {
  const fs::path root = fs::temp_directory_path() / "mxpp_image_list";
  fs::remove_all(root);
  fs::create_directories(root / "sub");
  const auto rgb = gradient(4, 3);
  write_png((root / "a.png").string(), 4, 3, rgb);
  write_png((root / "sub" / "b.png").string(), 4, 3, rgb);
  const fs::path lst = root / "images.lst";
  std::ofstream(lst) << "0\t3\ta.png\n1\t1.5\t-2\tsub/b.png\n";
  const vision::ImageListDataset listed(root.string(), lst.string());
  REQUIRE(listed.size() == 2);
  const gluon::data::Sample first = listed.get(0), second = listed.get(1);
  test::check_array(first[0], {3, 4, 3}, std::vector<double>(rgb.begin(), rgb.end()));
  CHECK(first[1].shape() == Shape{1});
  CHECK(first[1].asnumpy<float>() == std::vector<float>{3});
  CHECK(second[1].asnumpy<float>() == std::vector<float>{1.5f, -2});  // two labels
  // The same images as (labels, path) pairs, gray.
  const vision::ImageListDataset given(root.string(), {{{7}, "sub/b.png"}}, 0);
  CHECK(given.get(0)[0].shape() == Shape{3, 4, 1});
  CHECK(given.get(0)[1].asnumpy<float>() == std::vector<float>{7});
  // A line without a path, or with a label that is not a number, names the file and the line.
  std::ofstream(root / "bad.lst") << "0\t1\ta.png\n1\tcat\tsub/b.png\n";
  CHECK_THROWS_WITH(vision::ImageListDataset(root.string(), (root / "bad.lst").string()),
                    Contains("bad.lst") && Contains("line 2"));
  CHECK_THROWS_WITH(vision::ImageListDataset(root.string(), (root / "missing.lst").string()), Contains("missing.lst"));
  fs::remove_all(root);
}
