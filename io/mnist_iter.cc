#include <mx/io/mnist_iter.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include <mx/engine/logging.h>
#include <mx/io/idx_file.h>
#include <mx/io/ndarray_iter.h>
#include <mx/io/part_range.h>
#include <mx/ndarray/error.h>

namespace mx::io {

MNISTIter::MNISTIter(MNISTIterOptions options) : DataIter(options.batch_size) {
  if (options.batch_size <= 0) throw Error("MNISTIter: batch_size must be positive, got " + std::to_string(options.batch_size));
  detail::check_part("MNISTIter", options.num_parts, options.part_index);
  const IdxFile images = read_idx(options.image, 3), labels = read_idx(options.label, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw Error("MNISTIter: " + options.image + " holds " + std::to_string(images.dims[0]) + " images but " + options.label +
                " " + std::to_string(labels.dims[0]) + " labels");
  }
  const auto [start, end] = detail::part_range(images.dims[0], options.num_parts, options.part_index);
  num_samples_ = end - start;
  const std::int64_t pixels = images.dims[1] * images.dims[2];
  // MXNet's order: its RANDOM_ENGINE (mt19937) seeded with `seed`, one std::shuffle of the sample indices.
  std::vector<std::int64_t> order(static_cast<std::size_t>(num_samples_));
  std::iota(order.begin(), order.end(), start);
  if (options.shuffle) std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<std::uint32_t>(options.seed)));
  std::vector<float> x(static_cast<std::size_t>(num_samples_ * pixels)), y(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto from = static_cast<std::size_t>(order[i]);
    std::transform(images.bytes.begin() + static_cast<std::ptrdiff_t>(from * pixels),
                   images.bytes.begin() + static_cast<std::ptrdiff_t>((from + 1) * pixels),
                   x.begin() + static_cast<std::ptrdiff_t>(i * pixels), [](std::uint8_t v) { return v / 256.0f; });
    y[i] = labels.bytes[from];
  }
  const Shape data_shape = options.flat ? Shape{num_samples_, pixels} : Shape{num_samples_, 1, images.dims[1], images.dims[2]};
  NDArray data(data_shape, cpu(), DType::kFloat32), label(Shape{num_samples_}, cpu(), DType::kFloat32);
  data.copy_from_host(x.data(), DType::kFloat32, x.size());
  label.copy_from_host(y.data(), DType::kFloat32, y.size());
  batches_ = std::make_unique<NDArrayIter>(std::move(data), std::move(label),
                                           NDArrayIterOptions{.batch_size = options.batch_size,
                                                              .last_batch_handle = LastBatchHandle::kDiscard,
                                                              .data_name = options.data_name,
                                                              .label_name = options.label_name});
  if (!options.silent) {
    log_info("MNISTIter: load {} images, shuffle={}, shape={}", num_samples_, options.shuffle ? 1 : 0,
             provide_data().front().shape.str());
  }
}

MNISTIter::~MNISTIter() = default;

bool MNISTIter::next() {
  if (!batches_->next()) return false;
  batch_ = batches_->batch();
  return true;
}

void MNISTIter::reset() { batches_->reset(); }
std::vector<DataDesc> MNISTIter::provide_data() const { return batches_->provide_data(); }
std::vector<DataDesc> MNISTIter::provide_label() const { return batches_->provide_label(); }

}  // namespace mx::io
