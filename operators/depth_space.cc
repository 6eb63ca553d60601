// depth_to_space and space_to_depth (MXNet's, TensorFlow's DCR order): a reshape, a transpose and a reshape,
// traced as one node of MXNet's name.
#include <string>

#include <mx/ndarray/error.h>
#include <mx/operators/layout.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>

namespace mx::nd {
namespace {

void check(const char* op, const NDArray& x, std::int64_t block) {
  if (x.ndim() != 4) throw ShapeError(std::string(op) + ": expects (N, C, H, W), got " + x.shape().str());
  if (block < 1) throw Error(std::string(op) + ": block_size must be positive, got " + std::to_string(block));
}

}  // namespace

NDArray depth_to_space(const NDArray& x, std::int64_t block) {
  check("depth_to_space", x, block);
  const auto& s = x.shape();
  if (s[1] % (block * block) != 0) {
    throw ShapeError("depth_to_space: channels of " + s.str() + " do not divide by block_size^2 = " +
                     std::to_string(block * block));
  }
  op::Composite node("depth_to_space", {x});
  const std::int64_t c = s[1] / (block * block);
  NDArray y = transpose(x.reshape({s[0], block, block, c, s[2], s[3]}), {0, 3, 4, 1, 5, 2})
                  .reshape({s[0], c, s[2] * block, s[3] * block});
  if (!node.active()) return y;
  return node.finish({{"block_size", op::attr_string(block)}}, y);
}

NDArray space_to_depth(const NDArray& x, std::int64_t block) {
  check("space_to_depth", x, block);
  const auto& s = x.shape();
  if (s[2] % block != 0 || s[3] % block != 0) {
    throw ShapeError("space_to_depth: height and width of " + s.str() + " do not divide by block_size " +
                     std::to_string(block));
  }
  op::Composite node("space_to_depth", {x});
  NDArray y = transpose(x.reshape({s[0], s[1], s[2] / block, block, s[3] / block, block}), {0, 3, 5, 1, 2, 4})
                  .reshape({s[0], s[1] * block * block, s[2] / block, s[3] / block});
  if (!node.active()) return y;
  return node.finish({{"block_size", op::attr_string(block)}}, y);
}

}  // namespace mx::nd
