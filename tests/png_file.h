#pragma once
// Writes a width x height RGB image (rows of width * 3 bytes) as a PNG file: test images whose every pixel is
// known, since PNG is lossless.
#include <png.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mx::test {

inline void write_png(const std::string& path, int width, int height, const std::vector<std::uint8_t>& rgb) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(rgb.data() + y * width * 3));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

}  // namespace mx::test
