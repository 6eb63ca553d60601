#pragma once
// Automatic differentiation, as MXNet's autograd: operators called inside a `record` scope on arrays that lead
// back to variables (attach_grad) are recorded into a graph, and backward walks it, pushing the gradient
// operators into the engine like any others. backward returns at once; gradients are ready at the sync points.
//
//   x.attach_grad();
//   { autograd::record r; y = (x * x).sum(); }
//   y.backward();          // x.grad() holds 2x once read
//
// The mode is thread-local; scopes nest and restore the previous mode when they end.
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/recording.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::autograd {

bool is_recording();
bool is_training();
// Set the calling thread's flags directly; each returns the previous value (prefer the scopes below).
bool set_recording(bool recording);
bool set_training(bool training);

// Records operator calls; training mode unless told otherwise, as MXNet's autograd.record(train_mode=True).
class record {
 public:
  explicit record(bool train_mode = true);
  ~record();
  record(const record&) = delete;
  record& operator=(const record&) = delete;

 private:
  op::ThreadMode saved_;
};

// Stops recording inside a record scope; predict mode unless told otherwise.
class pause {
 public:
  explicit pause(bool train_mode = false);
  ~pause();
  pause(const pause&) = delete;
  pause& operator=(const pause&) = delete;

 private:
  op::ThreadMode saved_;
};

// Change only the training flag (Dropout and BatchNorm read it), leaving recording as it is.
class train_mode {
 public:
  train_mode();
  ~train_mode();
  train_mode(const train_mode&) = delete;
  train_mode& operator=(const train_mode&) = delete;

 private:
  bool saved_;
};
class predict_mode {
 public:
  predict_mode();
  ~predict_mode();
  predict_mode(const predict_mode&) = delete;
  predict_mode& operator=(const predict_mode&) = delete;

 private:
  bool saved_;
};

// Computes the gradients of `heads` (with `head_grads`, ones by default) with respect to every variable they
// were computed from, and writes them into the variables' gradient buffers by their grad_req. Unless
// `retain_graph`, the graph's saved arrays are freed and a second backward through it is an error. The
// gradient operators run in training mode unless `train_mode` is false.
void backward(const std::vector<NDArray>& heads, const std::vector<NDArray>& head_grads = {},
              bool retain_graph = false, bool train_mode = true);

// The gradients of `heads` with respect to `variables` (which must be marked with attach_grad), returned as new
// arrays; the variables' gradient buffers are left alone. With `create_graph` the gradient computation is
// itself recorded, so the results can be differentiated again. The graph is kept when create_graph is set.
std::vector<NDArray> grad(const std::vector<NDArray>& heads, const std::vector<NDArray>& variables,
                          const std::vector<NDArray>& head_grads = {}, bool create_graph = false,
                          bool train_mode = true);

// Marks arrays as variables with the given gradient buffers (MXNet's mark_variables); attach_grad does this
// with a new zero buffer.
void mark_variables(std::vector<NDArray>& variables, const std::vector<NDArray>& gradients,
                    GradReq grad_req = GradReq::kWrite);
// The same with row-sparse gradient buffers (MXNet's attach_grad(stype='row_sparse'), a Parameter with
// grad_stype row_sparse): backward writes only the rows the heads depend on. Operators that take rows of the
// variable (take along axis 0, Embedding) hand those rows over as they are, so nothing the size of the table is
// made; a dense gradient from any other use is converted. autograd::grad still returns dense gradients.
void mark_variables(std::vector<NDArray>& variables, const std::vector<RowSparseNDArray>& gradients,
                    GradReq grad_req = GradReq::kWrite);
// A new zero row-sparse gradient buffer for `x` (MXNet's x.attach_grad(stype='row_sparse')).
void attach_row_sparse_grad(NDArray& x, GradReq grad_req = GradReq::kWrite);
// The row-sparse gradient buffer of a variable so marked; mx::Error otherwise.
RowSparseNDArray row_sparse_grad(const NDArray& variable);

}  // namespace mx::autograd

namespace mx::nd {
// The same data, with gradients stopped (MXNet's stop_gradient / BlockGrad, PyTorch's detach).
NDArray stop_gradient(const NDArray& x);
}  // namespace mx::nd
