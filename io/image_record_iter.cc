#include <mx/io/image_record_iter.h>

#include <fcntl.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <random>
#include <type_traits>

#include <mx/io/image_io.h>
#include <mx/io/part_range.h>
#include <mx/io/recordio.h>
#include <mx/ndarray/error.h>
#include <mx/operators/image.h>

namespace mx::io {

// The open .rec file, this part's record offsets, and the decoding threads.
struct ImageRecordIter::Source {
  std::string path;
  int fd = -1;
  std::vector<std::uint64_t> offsets;
  tbb::task_arena workers;

  // At most the threads oneTBB may run (the engine may have limited them), which it would refuse with a warning.
  explicit Source(int threads)
      : workers(std::min<int>(threads, static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism)))) {}
  ~Source() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

void check_options(const ImageRecordIterOptions& o) {
  auto fail = [](const std::string& what) { throw Error("ImageRecordIter: " + what); };
  if (o.path_imgrec.empty()) fail("path_imgrec is required");
  const Shape& s = o.data_shape;
  if (s.ndim() != 3 || (s[0] != 1 && s[0] != 3) || s[1] <= 0 || s[2] <= 0) {
    fail("data_shape must be (channels, height, width) with 1 or 3 channels, got " + s.str());
  }
  if (o.batch_size <= 0) fail("batch_size must be positive, got " + std::to_string(o.batch_size));
  if (o.label_width <= 0) fail("label_width must be positive, got " + std::to_string(o.label_width));
  if (o.preprocess_threads <= 0) fail("preprocess_threads must be positive, got " + std::to_string(o.preprocess_threads));
  if (o.resize == 0 || o.resize < -1) fail("resize must be -1 (none) or positive, got " + std::to_string(o.resize));
  if (o.pad < 0) fail("pad must not be negative, got " + std::to_string(o.pad));
  if (o.std_r == 0 || o.std_g == 0 || o.std_b == 0) fail("std_r, std_g and std_b must not be 0");
  if (o.dtype != DType::kFloat32 && o.dtype != DType::kUint8) fail(std::string("dtype must be float32 or uint8, got ") + dtype_name(o.dtype));
  detail::check_part("ImageRecordIter", o.num_parts, o.part_index);
}

// Every record's offset, from the index when there is one, else by reading the file through once.
std::vector<std::uint64_t> record_offsets(const ImageRecordIterOptions& o) {
  std::vector<std::uint64_t> offsets;
  if (!o.path_imgidx.empty()) {
    for (const auto& [key, offset] : recordio::read_index(o.path_imgidx)) offsets.push_back(offset);
    return offsets;
  }
  recordio::MXRecordIO file(o.path_imgrec, "r");
  for (std::uint64_t at = file.tell(); file.read(); at = file.tell()) offsets.push_back(at);
  return offsets;
}

// An image's bytes (height, width, channels) as the augmenter reshapes them.
struct Image {
  std::int64_t height, width, channels;
  std::vector<std::uint8_t> data;
};

Image resized(Image image, std::int64_t shorter) {
  // MXNet's integer arithmetic: the longer edge is shorter * long / short, rounded down.
  const bool tall = image.height > image.width;
  const std::int64_t height = tall ? shorter * image.height / image.width : shorter;
  const std::int64_t width = tall ? shorter : shorter * image.width / image.height;
  Image out{height, width, image.channels, std::vector<std::uint8_t>(static_cast<std::size_t>(height * width * image.channels))};
  nd::image::resize_pixels(image.data.data(), image.height, image.width, image.channels, out.data.data(), height, width);
  return out;
}

Image padded(const Image& image, int pad, int fill_value) {
  Image out{image.height + 2 * pad, image.width + 2 * pad, image.channels, {}};
  out.data.assign(static_cast<std::size_t>(out.height * out.width * out.channels), static_cast<std::uint8_t>(fill_value));
  const std::int64_t row = image.width * image.channels;
  for (std::int64_t y = 0; y < image.height; ++y) {
    std::copy_n(image.data.begin() + y * row, row, out.data.begin() + ((y + pad) * out.width + pad) * out.channels);
  }
  return out;
}

std::vector<float> labels_of(const recordio::IRHeader& header, std::int64_t width) {
  if (header.flag == 0) {
    if (width != 1) throw Error("the record has one label but label_width is " + std::to_string(width));
    return {header.label};
  }
  if (static_cast<std::int64_t>(header.labels.size()) != width) {
    throw Error("the record has " + std::to_string(header.labels.size()) + " labels but label_width is " + std::to_string(width));
  }
  return header.labels;
}

// Decodes and augments one record into its slots of the batch: `data` (C, H, W) of T and `label`.
template <class T>
void load_sample(const ImageRecordIterOptions& o, const std::string& record, std::mt19937_64& rng, T* data, float* label) {
  auto [header, payload] = recordio::unpack(record);
  const std::vector<float> labels = labels_of(header, o.label_width);
  std::copy(labels.begin(), labels.end(), label);
  const std::int64_t channels = o.data_shape[0], height = o.data_shape[1], width = o.data_shape[2];
  image::Pixels pixels = image::decode_pixels(payload, channels == 1 ? 0 : 1);
  Image image{pixels.height, pixels.width, pixels.channels, std::move(pixels.data)};
  if (o.resize > 0) image = resized(std::move(image), o.resize);
  if (o.pad > 0) image = padded(image, o.pad, o.fill_value);
  if (image.height < height || image.width < width) {
    throw Error("the image is " + std::to_string(image.width) + " x " + std::to_string(image.height) +
                " after resizing and padding, smaller than data_shape's " + std::to_string(width) + " x " + std::to_string(height));
  }
  // The random draws in MXNet's order: crop, mirror, contrast, illumination.
  std::int64_t y = image.height - height, x = image.width - width;
  if (o.rand_crop) {
    y = std::uniform_int_distribution<std::int64_t>(0, y)(rng);
    x = std::uniform_int_distribution<std::int64_t>(0, x)(rng);
  } else {
    y /= 2;
    x /= 2;
  }
  const bool mirrored = (o.rand_mirror && std::bernoulli_distribution(0.5)(rng)) || o.mirror;
  float mult[3] = {1, 1, 1}, bias[3] = {0, 0, 0}, mean[3] = {0, 0, 0};
  if constexpr (std::is_same_v<T, float>) {
    std::uniform_real_distribution<float> unit(0, 1);
    const float contrast = (unit(rng) * o.max_random_contrast * 2 - o.max_random_contrast + 1) * o.scale;
    const float illumination = (unit(rng) * o.max_random_illumination * 2 - o.max_random_illumination) * o.scale;
    const float stds[3] = {o.std_r, o.std_g, o.std_b};
    const float means[3] = {o.mean_r, o.mean_g, o.mean_b};
    for (int c = 0; c < 3; ++c) {
      mult[c] = contrast / stds[c];
      bias[c] = illumination / stds[c];
      mean[c] = means[c];
    }
  }
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t i = 0; i < height; ++i) {
      const std::uint8_t* row = image.data.data() + ((y + i) * image.width + x) * channels + c;
      T* out = data + (c * height + i) * width;
      for (std::int64_t j = 0; j < width; ++j) {
        const std::uint8_t v = row[j * channels];
        const std::int64_t to = mirrored ? width - 1 - j : j;
        if constexpr (std::is_same_v<T, float>) {
          out[to] = (static_cast<float>(v) - mean[c]) * mult[c] + bias[c];
        } else {
          out[to] = v;
        }
      }
    }
  }
}

}  // namespace

ImageRecordIter::ImageRecordIter(ImageRecordIterOptions options)
    : DataIter(options.batch_size), options_(std::move(options)) {
  check_options(options_);
  source_ = std::make_unique<Source>(options_.preprocess_threads);
  source_->path = options_.path_imgrec;
  source_->fd = ::open(options_.path_imgrec.c_str(), O_RDONLY | O_CLOEXEC);
  if (source_->fd < 0) throw Error("ImageRecordIter: cannot open " + options_.path_imgrec + ": " + std::strerror(errno));
  const std::vector<std::uint64_t> all = record_offsets(options_);
  const auto [begin, end] = detail::part_range(static_cast<std::int64_t>(all.size()), options_.num_parts, options_.part_index);
  source_->offsets.assign(all.begin() + begin, all.begin() + end);
  reset();
}

ImageRecordIter::~ImageRecordIter() = default;

std::int64_t ImageRecordIter::num_samples() const { return static_cast<std::int64_t>(source_->offsets.size()); }

void ImageRecordIter::reset() {
  ++pass_;
  cursor_ = 0;
  pass_over_ = false;
  order_.resize(source_->offsets.size());
  std::iota(order_.begin(), order_.end(), 0);
  if (options_.shuffle) std::shuffle(order_.begin(), order_.end(), std::mt19937_64(options_.seed + static_cast<std::uint64_t>(pass_)));
}

bool ImageRecordIter::next() {
  const auto samples = static_cast<std::int64_t>(order_.size());
  if (pass_over_ || cursor_ >= samples) {
    pass_over_ = true;
    return false;
  }
  const std::int64_t filled = std::min(batch_size_, samples - cursor_);
  const std::int64_t count = options_.round_batch ? batch_size_ : filled;
  const std::int64_t sample_size = options_.data_shape.size();
  std::vector<float> labels(static_cast<std::size_t>(batch_size_ * options_.label_width), 0.0f);
  std::vector<float> floats;
  std::vector<std::uint8_t> bytes;
  if (options_.dtype == DType::kFloat32) {
    floats.assign(static_cast<std::size_t>(batch_size_ * sample_size), 0.0f);
  } else {
    bytes.assign(static_cast<std::size_t>(batch_size_ * sample_size), 0);
  }
  const Source& source = *source_;
  source_->workers.execute([&] {
    tbb::parallel_for(std::int64_t{0}, count, [&](std::int64_t i) {
      // Past the pass's end (round_batch), the pass's first samples again.
      const std::int64_t place = (cursor_ + i) % samples;
      const std::int64_t record = order_[static_cast<std::size_t>(place)];
      const std::uint64_t offset = source.offsets[static_cast<std::size_t>(record)];
      std::seed_seq seeds{options_.seed, static_cast<std::uint64_t>(pass_), static_cast<std::uint64_t>(cursor_ + i)};
      std::mt19937_64 rng(seeds);
      try {
        const std::string bytes_read = recordio::read_record_at(source.fd, offset, source.path);
        float* label = labels.data() + i * options_.label_width;
        if (options_.dtype == DType::kFloat32) {
          load_sample(options_, bytes_read, rng, floats.data() + i * sample_size, label);
        } else {
          load_sample(options_, bytes_read, rng, bytes.data() + i * sample_size, label);
        }
      } catch (const std::exception& e) {
        throw Error("ImageRecordIter: record " + std::to_string(record + 1) + " (at byte " + std::to_string(offset) + ") of " +
                    source.path + ": " + e.what());
      }
    });
  });
  NDArray data(provide_data().front().shape, cpu(), options_.dtype);
  if (options_.dtype == DType::kFloat32) {
    data.copy_from_host(floats.data(), DType::kFloat32, floats.size());
  } else {
    data.copy_from_host(bytes.data(), DType::kUint8, bytes.size());
  }
  NDArray label(provide_label().front().shape, cpu(), DType::kFloat32);
  label.copy_from_host(labels.data(), DType::kFloat32, labels.size());
  batch_ = DataBatch{{data}, {label}, batch_size_ - filled};
  cursor_ += batch_size_;
  return true;
}

std::vector<DataDesc> ImageRecordIter::provide_data() const {
  Shape shape{batch_size_};
  for (std::int64_t extent : options_.data_shape) shape.push_back(extent);
  return {{options_.data_name, shape, options_.dtype}};
}

std::vector<DataDesc> ImageRecordIter::provide_label() const {
  const Shape shape = options_.label_width == 1 ? Shape{batch_size_} : Shape{batch_size_, options_.label_width};
  return {{options_.label_name, shape, DType::kFloat32}};
}

}  // namespace mx::io
