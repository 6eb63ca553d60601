#include <mx/io/image_io.h>

#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include <mx/engine/env.h>
#include <mx/ndarray/error.h>

namespace mx::image {
namespace {

// A header may promise up to 65,500 x 65,500 pixels (12 GB) in a file of a few bytes: refuse more pixels than
// MX_IMAGE_MAX_PIXELS (default 2^30, OpenCV's limit, which MXNet's imread had) before allocating them.
void check_pixel_count(const std::string& path, std::uint64_t width, std::uint64_t height) {
  const int limit = engine::detail::env_int("MX_IMAGE_MAX_PIXELS", 1 << 30, 1);
  if (width * height > static_cast<std::uint64_t>(limit)) {
    throw Error("imread: " + path + " is " + std::to_string(width) + " x " + std::to_string(height) + " pixels, more than " +
                std::to_string(limit) + " (MX_IMAGE_MAX_PIXELS): refused before decoding (set MX_IMAGE_MAX_PIXELS to read it)");
  }
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// libjpeg reports errors through a callback that must not return: jump back and throw from C++ frames.
struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

Pixels decode_jpeg(std::FILE* file, const std::string& path, bool color) {
  jpeg_decompress_struct info;
  JpegError error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = [](j_common_ptr cinfo) {
    auto* e = reinterpret_cast<JpegError*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, e->message);
    std::longjmp(e->jump, 1);
  };
  Pixels image;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    throw Error("imread: " + path + " is not a valid JPEG file: " + error.message);
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  try {
    check_pixel_count(path, info.image_width, info.image_height);
  } catch (...) {
    jpeg_destroy_decompress(&info);
    throw;
  }
  info.out_color_space = color ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_start_decompress(&info);
  image.width = info.output_width;
  image.height = info.output_height;
  image.channels = info.output_components;
  image.data.resize(static_cast<std::size_t>(image.width) * image.height * image.channels);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = image.data.data() + static_cast<std::size_t>(info.output_scanline) * image.width * image.channels;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return image;
}

Pixels decode_png(std::FILE* file, const std::string& path, bool color) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw Error("imread: out of memory reading " + path);
  }
  Pixels image;
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw Error("imread: " + path + " is not a valid PNG file (corrupt or truncated)");
  }
  png_init_io(png, file);
  png_read_info(png, info);
  try {
    check_pixel_count(path, png_get_image_width(png, info), png_get_image_height(png, info));
  } catch (...) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw;
  }
  // Everything to 8-bit RGB or gray, without alpha.
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  const int type = png_get_color_type(png, info);
  const bool gray = (type & PNG_COLOR_MASK_COLOR) == 0;
  if (color && gray) png_set_gray_to_rgb(png);
  if (!color && !gray) png_set_rgb_to_gray_fixed(png, 1, -1, -1);
  png_read_update_info(png, info);
  image.width = png_get_image_width(png, info);
  image.height = png_get_image_height(png, info);
  image.channels = png_get_channels(png, info);
  image.data.resize(static_cast<std::size_t>(image.width) * image.height * image.channels);
  for (int r = 0; r < image.height; ++r) rows.push_back(image.data.data() + static_cast<std::size_t>(r) * image.width * image.channels);
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return image;
}

}  // namespace

namespace {

// The image in `file` (`what` names it in messages), detected by its first bytes.
Pixels decode_stream(std::FILE* file, const std::string& what, int flag, const char* op) {
  if (flag != 0 && flag != 1) throw Error(std::string(op) + ": flag must be 1 (color) or 0 (gray), got " + std::to_string(flag));
  unsigned char magic[8] = {};
  const std::size_t got = std::fread(magic, 1, sizeof magic, file);
  std::rewind(file);
  Pixels image;
  if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
    image = decode_jpeg(file, what, flag == 1);
  } else if (got == 8 && png_sig_cmp(magic, 0, 8) == 0) {
    image = decode_png(file, what, flag == 1);
  } else {
    throw Error(std::string(op) + ": " + what + " is neither a JPEG nor a PNG image");
  }
  return image;
}

NDArray to_ndarray(const Pixels& image) {
  NDArray out(Shape{image.height, image.width, image.channels}, cpu(), DType::kUint8);
  out.copy_from_host(image.data.data(), DType::kUint8, image.data.size());
  return out;
}

}  // namespace

NDArray imread(const std::string& path, int flag) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error("imread: cannot open " + path);
  return to_ndarray(decode_stream(file.get(), path, flag, "imread"));
}

Pixels decode_pixels(std::string_view bytes, int flag) {
  if (bytes.empty()) throw Error("imdecode: the buffer is empty");
  // fmemopen reads the caller's bytes in place; the decoders take a stream.
  std::unique_ptr<std::FILE, FileCloser> file(fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb"));
  if (!file) throw Error("imdecode: cannot read a buffer of " + std::to_string(bytes.size()) + " bytes");
  return decode_stream(file.get(), "the buffer of " + std::to_string(bytes.size()) + " bytes", flag, "imdecode");
}

NDArray imdecode(std::string_view bytes, int flag) { return to_ndarray(decode_pixels(bytes, flag)); }

}  // namespace mx::image
