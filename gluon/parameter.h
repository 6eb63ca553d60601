#pragma once
// Gluon's Parameter: a named weight with one array (and one gradient) per context. A Parameter is a handle:
// copies share the arrays, as Python's references do. Extents of 0 in the shape are unknown until a layer's
// first forward fills them (deferred initialization); the data is usable from then on.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mx/gluon/init.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/grad_req.h>
#include <mx/ndarray/ndarray.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::gluon {

namespace detail {
struct ParameterState;
}

struct ParameterOptions {
  DType dtype = DType::kFloat32;
  GradReq grad_req = GradReq::kWrite;
  init::InitializerRef init = {};  // empty: the one initialize() is given
  bool allow_deferred_init = true;
  double lr_mult = 1;  // the optimizer's learning rate for this parameter is scaled by it (0 freezes it)
  double wd_mult = 1;  // and its weight decay
  // MXNet's grad_stype: kRowSparse keeps the gradient row sparse (an embedding table's, of which a batch touches
  // few rows): read it with row_sparse_grad; the Trainer then updates only those rows (lazy_update).
  StorageType grad_stype = StorageType::kDefault;
};

class Parameter {
 public:
  Parameter() = default;  // an empty handle
  Parameter(std::string name, Shape shape, ParameterOptions options = {});
  // A parameter whose rank is unknown too (MXNet's shape=None, as SymbolBlock's before its first call): its
  // shape() reads () until set_shape gives it any shape.
  static Parameter of_unknown_shape(std::string name, ParameterOptions options = {});

  bool is_none() const { return state_ == nullptr; }
  // The path in the block tree once collected ("0.weight"), else the name it was made with.
  const std::string& name() const;
  const Shape& shape() const;
  DType dtype() const;
  GradReq grad_req() const;
  void set_grad_req(GradReq req);
  // Gluon's lr_mult and wd_mult: a Trainer scales its rate and weight decay by them at every update.
  double lr_mult() const;
  double wd_mult() const;
  void set_lr_mult(double mult);
  void set_wd_mult(double mult);
  // Whether every extent (and the rank) is known.
  bool shape_known() const;
  // Fills unknown (0) extents; known ones must agree (mx::ShapeError naming the parameter otherwise). Completes
  // a deferred initialization once the shape is known.
  void set_shape(const Shape& shape);

  // Creates the arrays on each context and fills them with the parameter's own initializer or `default_init`.
  // With unknown extents the initialization waits for set_shape (mx::Error when allow_deferred_init is off). An
  // initialized parameter is left as it is unless force_reinit.
  void initialize(const init::InitializerRef& default_init, const std::vector<Context>& ctx = {current_context()},
                  bool force_reinit = false);
  bool is_initialized() const;

  // The array on `ctx` (the only one when ctx is left out of a one-context parameter). Throws mx::Error
  // naming the parameter before initialization, while deferred, or for a context it does not live on.
  NDArray data(std::optional<Context> ctx = std::nullopt) const;
  // Dense gradients; an mx::Error for a row-sparse one, which the two after these give.
  NDArray grad(std::optional<Context> ctx = std::nullopt) const;
  std::vector<NDArray> list_data() const;
  std::vector<NDArray> list_grad() const;
  StorageType grad_stype() const;
  RowSparseNDArray row_sparse_grad(std::optional<Context> ctx = std::nullopt) const;
  std::vector<RowSparseNDArray> list_row_sparse_grad() const;
  std::vector<Context> list_ctx() const;
  // Copies `value` (the parameter's shape) into every context's array.
  void set_data(const NDArray& value);
  void zero_grad();
  // Converts the arrays (and gradients) to `dtype`.
  void cast(DType dtype);
  // Moves the parameter to `ctx` (Gluon's reset_ctx): the values of its first context copied to each, fresh zero
  // gradients. A deferred parameter will be made there instead.
  void reset_ctx(const std::vector<Context>& ctx);

  // For the block tree: sets the path name; whether two handles are one parameter.
  void set_name(std::string name);
  bool same_as(const Parameter& other) const { return state_ == other.state_; }

 private:
  std::size_t context_index(std::optional<Context> ctx, const char* what) const;
  void finish_initialization();

  std::shared_ptr<detail::ParameterState> state_;
};

// How a parameter file names the parameters: by path in the block tree ("0.weight", MXNet 1.x's
// save_parameters) or by MXNet name ("dense0_weight", save_params and export).
// MXNet's model zoo files leave out the network's own prefix ("conv0_weight" for "resnetv10_conv0_weight"), as
// its legacy loader restored it.
enum class ParameterNaming { kPath, kPrefixed, kPrefixedWithoutRoot };

// Parameters by path, in the block tree's order (Gluon's ParameterDict).
class ParameterDict {
 public:
  void add(const std::string& path, const Parameter& parameter);
  std::size_t size() const { return items_.size(); }
  bool contains(const std::string& path) const;
  // Throws mx::Error listing what there is, for an unknown path.
  Parameter& operator[](const std::string& path);
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  // The parameters whose path matches `pattern` entirely (std::regex), as collect_params(select).
  ParameterDict select(const std::string& pattern) const;

  void initialize(const init::InitializerRef& init, const std::vector<Context>& ctx = {current_context()},
                  bool force_reinit = false);
  void zero_grad();
  void set_grad_req(GradReq req);
  void reset_ctx(const std::vector<Context>& ctx);
  // Gluon's setattr for numeric attributes: "lr_mult" or "wd_mult" on every parameter (mx::Error otherwise), as
  // in net.collect_params(".*bias").setattr("wd_mult", 0).
  void setattr(const std::string& name, double value);

 private:
  std::vector<std::pair<std::string, Parameter>> items_;
};

}  // namespace mx::gluon
