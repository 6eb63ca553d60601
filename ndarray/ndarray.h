#pragma once
// NDArray: an n-dimensional array whose computations run on the engine.
//
// An NDArray is a handle: copying it is cheap and the copy shares data with the original, as `b = a` does in
// MXNet and PyTorch. Operations return at once with arrays whose values are computed later; the only calls that
// wait are wait_to_read, wait_to_write, asnumpy, asscalar, printing and nd::waitall, and an operation's error
// surfaces at the first of them that needs its result. Views (reshape, slice, at) share storage and the engine
// variable with their base, so writes through a view update the base in engine order.
//
// Storage is allocated from the context's pool when the first operation on it is pushed, and returned to the
// pool once every operation pushed on it has run and the last handle is gone.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include <mx/engine/context.h>
#include <mx/engine/engine.h>
#include <mx/ndarray/blob.h>
#include <mx/ndarray/dtype.h>
#include <mx/ndarray/grad_req.h>
#include <mx/ndarray/shape.h>

namespace mx {

namespace detail {
struct Chunk;
struct AutogradEntry;  // defined by the autograd layer
}

class NDArray {
 public:
  // An empty handle: no shape, no data (is_none()). Assign to it.
  NDArray() = default;
  // A new array with storage reserved lazily and values undefined until written (nd::empty).
  explicit NDArray(const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);

  bool is_none() const { return chunk_ == nullptr; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  Context context() const;
  int ndim() const { return shape_.ndim(); }
  std::int64_t size() const { return shape_.size(); }

  // ---- Views: share storage and engine variable with this array ----
  // MXNet's reshape with its special values (infer_reshape in shape.h): 0 copies an input axis, -1 infers one,
  // -2 copies the rest, -3 merges two, -4 splits one; `reverse` matches them from the right. Throws
  // mx::ShapeError when the spec does not fit.
  NDArray reshape(std::span<const std::int64_t> spec, bool reverse = false) const;
  NDArray reshape(std::initializer_list<std::int64_t> spec, bool reverse = false) const {
    return reshape(std::span(spec.begin(), spec.size()), reverse);
  }
  NDArray reshape(const Shape& shape) const { return reshape(shape.dims()); }
  // Rows [begin, end) along the first axis; negative indices count from the end.
  NDArray slice(std::int64_t begin, std::int64_t end) const;
  // Row i along the first axis, with that axis removed.
  NDArray at(std::int64_t index) const;

  // ---- Sync points ----
  // Blocks until every write pushed so far has run; rethrows the error of a failed one.
  void wait_to_read() const;
  // Blocks until every read and write pushed so far has run.
  void wait_to_write() const;
  // A host copy of the values, converted to T.
  template <class T>
  std::vector<T> asnumpy() const {
    if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> has no data(): converted to bool in bytes
      std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size()));
      copy_to_host(bytes.data(), DType::kBool, bytes.size());
      std::vector<bool> host(bytes.size());
      for (std::size_t i = 0; i < bytes.size(); ++i) host[i] = bytes[i] != 0;
      return host;
    } else {
      std::vector<T> host(static_cast<std::size_t>(size()));
      copy_to_host(host.data(), dtype_of<T>(), host.size());
      return host;
    }
  }
  // The value of a one-element array, converted to T. Throws mx::ShapeError for any other size.
  template <class T>
  T asscalar() const {
    T value{};
    copy_scalar_to_host(&value, dtype_of<T>());
    return value;
  }
  // Waits for pending work on the array, then overwrites it with `count` host values of `src_dtype`
  // (converted). Throws mx::ShapeError when count differs from size().
  void copy_from_host(const void* src, DType src_dtype, std::size_t count);
  // PyTorch's data_ptr: the address of the first element (a device address for a GPU array), after every
  // read and write pushed so far has run, so that the caller may read or write through it until it pushes
  // more work on the array. Typed form: throws mx::DTypeError when T is not the array's dtype.
  void* data_ptr() const;
  template <class T>
  T* data_ptr() const {
    check_dtype_is(dtype_of<T>(), "data_ptr");
    return static_cast<T*>(data_ptr());
  }
  void copy_to_host(void* dst, DType dst_dtype, std::size_t count) const;

  // ---- Methods of Gluon's NDArray; defined with their operators (operators/ndarray_methods.cc) ----
  NDArray copy() const;
  NDArray copyto(Context ctx) const;
  const NDArray& copyto(NDArray& out) const;
  NDArray as_in_context(Context ctx) const;
  NDArray astype(DType dtype) const;
  NDArray sum(std::vector<int> axis = {}, bool keepdims = false) const;
  NDArray mean(std::vector<int> axis = {}, bool keepdims = false) const;
  NDArray max(std::vector<int> axis = {}, bool keepdims = false) const;
  NDArray min(std::vector<int> axis = {}, bool keepdims = false) const;
  NDArray argmax(int axis, bool keepdims = false) const;
  NDArray norm(double ord = 2, std::vector<int> axis = {}, bool keepdims = false) const;
  NDArray transpose(std::vector<int> axes = {}) const;
  NDArray T() const { return transpose(); }
  NDArray expand_dims(int axis) const;
  NDArray flatten() const;
  NDArray clip(double a_min, double a_max) const;
  NDArray relu() const;
  NDArray sigmoid() const;
  NDArray tanh() const;
  NDArray exp() const;
  NDArray log() const;
  NDArray sqrt() const;
  NDArray square() const;
  NDArray abs() const;
  NDArray softmax(int axis = -1) const;
  NDArray log_softmax(int axis = -1) const;
  NDArray one_hot(std::int64_t depth, double on_value = 1, double off_value = 0) const;

  // ---- Autograd; defined in autograd/ (detach here) ----
  // Marks the array as a variable of the graphs recorded from now on, with a zero gradient buffer of its shape.
  // Handle copies made afterwards share the mark.
  void attach_grad(GradReq grad_req = GradReq::kWrite);
  // The gradient buffer; throws mx::Error when attach_grad was not called.
  NDArray grad() const;
  // Sets the gradient buffer to zeros (PyTorch's x.grad.zero_()), for grad_req kAdd.
  void zero_grad();
  // autograd::backward from this array alone; head_grad defaults to ones (an empty handle means ones too).
  void backward() const;
  void backward(const NDArray& head_grad, bool retain_graph = false) const;
  // The same data with no autograd history: gradients do not flow through it (nd::stop_gradient).
  NDArray detach() const;

  // ---- For operator implementations ----
  // The data as an operation sees it; reserves storage on first use. Call while pushing, not inside one.
  Blob blob() const;
  // The same, for a closure pushed with this array's variable: host storage is reserved when the operation
  // resolves it on the worker, so that it takes the block last given back (still in cache). Device storage is
  // reserved here, at the push.
  LazyBlob lazy_blob() const;
  engine::VarHandle var() const;
  // Whether two handles share storage (views of one base, or copies of one handle).
  bool shares_storage_with(const NDArray& other) const { return chunk_ != nullptr && chunk_ == other.chunk_; }
  // Where the data starts in the storage, in elements: views differ from their base by it.
  std::int64_t offset() const { return offset_; }
  // Counts the in-place writes to the storage (out= arguments, +=, copy_from_host), so that autograd can tell
  // when an array it saved for backward was overwritten. Operators call bump_version when writing in place.
  std::uint64_t version() const;
  void bump_version() const;
  // The array's place in a recorded graph, owned by the autograd layer; copies share it, detach drops it.
  const std::shared_ptr<detail::AutogradEntry>& autograd_entry() const { return autograd_; }
  void set_autograd_entry(std::shared_ptr<detail::AutogradEntry> entry) { autograd_ = std::move(entry); }
  // Views of an array that has an autograd entry are passed to this hook, which the autograd layer sets to
  // record them while recording (the ndarray layer knows nothing of recording).
  using ViewHook = void (*)(const NDArray& base, NDArray& view);
  static void set_view_hook(ViewHook hook);

 private:
  void copy_scalar_to_host(void* dst, DType dst_dtype) const;
  void check_dtype_is(DType dtype, const char* what) const;
  NDArray finish_view(NDArray view) const;

  std::shared_ptr<detail::Chunk> chunk_;
  Shape shape_;
  DType dtype_ = DType::kFloat32;
  std::int64_t offset_ = 0;  // in elements, from the start of the chunk (views)
  std::shared_ptr<detail::AutogradEntry> autograd_;
};

// While one lives on a thread, the sync points that need values (wait_to_read, wait_to_write, asnumpy,
// asscalar, data_ptr, printing) throw mx::Error on that thread, saying `why`: hybridize traces a forward this
// way, where values do not exist yet. Nestable; a null `why` lifts an outer one.
class ForbidValueReads {
 public:
  explicit ForbidValueReads(const char* why);
  ~ForbidValueReads();
  ForbidValueReads(const ForbidValueReads&) = delete;
  ForbidValueReads& operator=(const ForbidValueReads&) = delete;

 private:
  const char* previous_;
};

// MXNet's printing: the values as NumPy prints them, then "<NDArray 2x3 @cpu(0)>". A sync point.
std::ostream& operator<<(std::ostream& os, const NDArray& array);

namespace nd {
// Blocks until every pushed operation has run; rethrows the first error not yet reported.
void waitall();
}  // namespace nd

}  // namespace mx
