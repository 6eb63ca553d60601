#include <mx/gluon/parameter.h>

#include <regex>

#include <mx/autograd/autograd.h>
#include <mx/operators/tracing.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/sparse/sparse_ops.h>

namespace mx::gluon {
namespace detail {

// Not synchronized: parameters are set up and updated from the thread that drives training, as in Gluon.
struct ParameterState {
  std::string name;
  Shape shape;
  ParameterOptions options;
  std::vector<Context> contexts;
  std::vector<NDArray> data, grad;
  std::vector<RowSparseNDArray> sparse_grad;  // instead of grad, for grad_stype row_sparse
  init::InitializerRef pending_init;  // set while the initialization waits for the shape
  bool deferred = false;
  bool rank_unknown = false;  // MXNet's shape=None: set_shape takes any shape
};

}  // namespace detail

namespace {

bool extents_known(const Shape& s) {
  for (std::int64_t e : s) {
    if (e == 0) return false;
  }
  return true;
}

}  // namespace

Parameter::Parameter(std::string name, Shape shape, ParameterOptions options)
    : state_(std::make_shared<detail::ParameterState>()) {
  state_->name = std::move(name);
  state_->shape = shape;
  state_->options = std::move(options);
  if (state_->options.grad_stype == StorageType::kCSR) {
    throw Error("Parameter '" + state_->name + "': grad_stype csr is not a gradient storage; use default or row_sparse");
  }
}

const std::string& Parameter::name() const { return state_->name; }
const Shape& Parameter::shape() const { return state_->shape; }
DType Parameter::dtype() const { return state_->options.dtype; }
GradReq Parameter::grad_req() const { return state_->options.grad_req; }
double Parameter::lr_mult() const { return state_->options.lr_mult; }
double Parameter::wd_mult() const { return state_->options.wd_mult; }
void Parameter::set_lr_mult(double mult) { state_->options.lr_mult = mult; }
void Parameter::set_wd_mult(double mult) { state_->options.wd_mult = mult; }
void Parameter::set_name(std::string name) { state_->name = std::move(name); }
bool Parameter::is_initialized() const { return !state_->data.empty(); }
std::vector<NDArray> Parameter::list_data() const {
  context_index(state_->contexts.empty() ? std::nullopt : std::optional(state_->contexts[0]), "list_data");
  return state_->data;
}
namespace {
void check_has_grad(const detail::ParameterState& s, bool row_sparse) {
  if (s.options.grad_req == GradReq::kNull) throw Error("Parameter '" + s.name + "': grad_req is null, so it has no gradient");
  const bool is_row_sparse = s.options.grad_stype == StorageType::kRowSparse;
  if (row_sparse && !is_row_sparse) {
    throw Error("Parameter '" + s.name + "': its gradient is dense (grad_stype default); read it with grad()");
  }
  if (!row_sparse && is_row_sparse) {
    throw Error("Parameter '" + s.name + "': its gradient is row sparse (grad_stype row_sparse); read it with "
                "row_sparse_grad()");
  }
}
}  // namespace

std::vector<NDArray> Parameter::list_grad() const {
  context_index(state_->contexts.empty() ? std::nullopt : std::optional(state_->contexts[0]), "list_grad");
  check_has_grad(*state_, false);
  return state_->grad;
}
StorageType Parameter::grad_stype() const { return state_->options.grad_stype; }
std::vector<RowSparseNDArray> Parameter::list_row_sparse_grad() const {
  context_index(state_->contexts.empty() ? std::nullopt : std::optional(state_->contexts[0]), "list_row_sparse_grad");
  check_has_grad(*state_, true);
  return state_->sparse_grad;
}
RowSparseNDArray Parameter::row_sparse_grad(std::optional<Context> ctx) const {
  const std::size_t i = context_index(ctx, "row_sparse_grad");
  check_has_grad(*state_, true);
  return state_->sparse_grad[i];
}
std::vector<Context> Parameter::list_ctx() const { return state_->contexts; }

Parameter Parameter::of_unknown_shape(std::string name, ParameterOptions options) {
  Parameter p(std::move(name), Shape{}, std::move(options));
  p.state_->rank_unknown = true;
  return p;
}

bool Parameter::shape_known() const { return !state_->rank_unknown && extents_known(state_->shape); }

void Parameter::set_shape(const Shape& shape) {
  Shape& current = state_->shape;
  bool fits = state_->rank_unknown || current.ndim() == shape.ndim();
  for (int a = 0; fits && !state_->rank_unknown && a < shape.ndim(); ++a) fits = current[a] == 0 || current[a] == shape[a];
  if (!fits) {
    throw ShapeError("Parameter '" + state_->name + "': shape " + shape.str() + " does not fit its shape " +
                     current.str());
  }
  current = shape;
  state_->rank_unknown = false;
  if (state_->deferred && shape_known()) finish_initialization();
}

void Parameter::initialize(const init::InitializerRef& default_init, const std::vector<Context>& ctx, bool force_reinit) {
  if (ctx.empty()) throw Error("Parameter '" + state_->name + "': initialize needs at least one context");
  if (is_initialized() && !force_reinit) return;
  state_->contexts = ctx;
  state_->data.clear();
  state_->grad.clear();
  state_->pending_init = state_->options.init ? state_->options.init : default_init;
  if (!state_->pending_init) state_->pending_init = init::Uniform();
  if (!shape_known()) {
    if (!state_->options.allow_deferred_init) {
      throw Error("Parameter '" + state_->name + "': cannot initialize with unknown extents in shape " +
                  state_->shape.str() + " (deferred initialization is off)");
    }
    state_->deferred = true;
    return;
  }
  finish_initialization();
}

// The values are drawn once, on the first context, and copied to the others: every device starts equal.
void Parameter::finish_initialization() {
  detail::ParameterState& s = *state_;
  autograd::pause no_recording;
  op::PauseTracing initialized_now;  // when the first forward of a hybridized block is traced
  NDArray first = nd::zeros(s.shape, s.contexts[0], s.options.dtype);
  if (s.options.init) s.options.init->init_weight(s.name, first);
  else (*s.pending_init)(s.name, first);
  s.data = {first};
  for (std::size_t i = 1; i < s.contexts.size(); ++i) s.data.push_back(first.copyto(s.contexts[i]));
  s.deferred = false;
  s.pending_init = {};
  set_grad_req(s.options.grad_req);
}

void Parameter::set_grad_req(GradReq req) {
  state_->options.grad_req = req;
  state_->grad.clear();
  state_->sparse_grad.clear();
  if (state_->data.empty() || req == GradReq::kNull) {
    for (NDArray& d : state_->data) d = d.detach();
    return;
  }
  if (state_->options.grad_stype == StorageType::kRowSparse) {
    for (const NDArray& d : state_->data) {
      state_->sparse_grad.push_back(nd::sparse::row_sparse_array(d.shape(), d.dtype(), d.context()));
    }
    autograd::mark_variables(state_->data, state_->sparse_grad, req);
    return;
  }
  for (const NDArray& d : state_->data) state_->grad.push_back(nd::zeros(d.shape(), d.context(), d.dtype()));
  autograd::mark_variables(state_->data, state_->grad, req);
}

std::size_t Parameter::context_index(std::optional<Context> ctx, const char* what) const {
  const detail::ParameterState& s = *state_;
  if (s.data.empty()) {
    if (s.deferred) {
      throw Error("Parameter '" + s.name + "': " + what + " before its initialization finished: its shape " +
                  s.shape.str() + " has unknown extents, learned at the first forward pass");
    }
    throw Error("Parameter '" + s.name + "': " + what + " before initialize() was called");
  }
  if (!ctx) {
    if (s.contexts.size() != 1) {
      throw Error("Parameter '" + s.name + "' lives on " + std::to_string(s.contexts.size()) +
                  " contexts: name the one wanted");
    }
    return 0;
  }
  for (std::size_t i = 0; i < s.contexts.size(); ++i) {
    if (s.contexts[i] == *ctx) return i;
  }
  std::string where;
  for (const Context& c : s.contexts) where += (where.empty() ? "" : ", ") + c.str();
  throw Error("Parameter '" + s.name + "' is not on " + ctx->str() + ", only on " + where);
}

NDArray Parameter::data(std::optional<Context> ctx) const { return state_->data[context_index(ctx, "data")]; }

NDArray Parameter::grad(std::optional<Context> ctx) const {
  const std::size_t i = context_index(ctx, "grad");
  check_has_grad(*state_, false);
  return state_->grad[i];
}

void Parameter::set_data(const NDArray& value) {
  if (value.shape() != state_->shape) {
    throw ShapeError("Parameter '" + state_->name + "': set_data with shape " + value.shape().str() + ", expected " +
                     state_->shape.str());
  }
  context_index(state_->contexts.empty() ? std::nullopt : std::optional(state_->contexts[0]), "set_data");
  autograd::pause no_recording;
  for (NDArray& d : state_->data) value.astype(d.dtype()).copyto(d);
}

void Parameter::zero_grad() {
  for (NDArray& g : state_->grad) nd::fill(g, 0);
  for (RowSparseNDArray& g : state_->sparse_grad) {
    nd::sparse::copyto(nd::sparse::row_sparse_array(g.shape(), g.dtype(), g.context()), g);
  }
}

void Parameter::cast(DType dtype) {
  state_->options.dtype = dtype;
  if (state_->data.empty()) return;
  autograd::pause no_recording;
  for (NDArray& d : state_->data) d = d.astype(dtype);
  set_grad_req(state_->options.grad_req);
}

void Parameter::reset_ctx(const std::vector<Context>& ctx) {
  if (ctx.empty()) throw Error("Parameter '" + state_->name + "': reset_ctx needs at least one context");
  detail::ParameterState& s = *state_;
  if (s.data.empty()) {
    if (!s.deferred) throw Error("Parameter '" + s.name + "': reset_ctx before initialize() was called");
    s.contexts = ctx;
    return;
  }
  autograd::pause no_recording;
  const NDArray source = s.data[0];
  std::vector<NDArray> moved;
  for (const Context& c : ctx) moved.push_back(source.copyto(c));
  s.contexts = ctx;
  s.data = std::move(moved);
  set_grad_req(s.options.grad_req);
}

void ParameterDict::reset_ctx(const std::vector<Context>& ctx) {
  for (auto& item : items_) item.second.reset_ctx(ctx);
}

void ParameterDict::add(const std::string& path, const Parameter& parameter) {
  for (const auto& [name, existing] : items_) {
    if (existing.same_as(parameter)) return;  // shared between blocks: listed once, under its first path
    if (name == path) {
      throw Error("ParameterDict: two different parameters are both named '" + path +
                  "' (blocks built with the same prefix; give them distinct prefixes)");
    }
  }
  items_.emplace_back(path, parameter);
}

bool ParameterDict::contains(const std::string& path) const {
  for (const auto& item : items_) {
    if (item.first == path) return true;
  }
  return false;
}

Parameter& ParameterDict::operator[](const std::string& path) {
  for (auto& item : items_) {
    if (item.first == path) return item.second;
  }
  std::string known;
  for (const auto& item : items_) known += (known.empty() ? "" : ", ") + item.first;
  throw Error("ParameterDict: no parameter '" + path + "'; it holds " + (known.empty() ? "none" : known));
}

ParameterDict ParameterDict::select(const std::string& pattern) const {
  const std::regex re(pattern);
  ParameterDict selected;
  for (const auto& [path, parameter] : items_) {
    if (std::regex_match(path, re)) selected.add(path, parameter);
  }
  return selected;
}

void ParameterDict::initialize(const init::InitializerRef& init, const std::vector<Context>& ctx, bool force_reinit) {
  for (auto& [path, parameter] : items_) parameter.initialize(init, ctx, force_reinit);
}

void ParameterDict::zero_grad() {
  for (auto& item : items_) item.second.zero_grad();
}

void ParameterDict::set_grad_req(GradReq req) {
  for (auto& item : items_) item.second.set_grad_req(req);
}

void ParameterDict::setattr(const std::string& name, double value) {
  if (name != "lr_mult" && name != "wd_mult") {
    throw Error("ParameterDict.setattr: '" + name + "' is not a numeric attribute of a Parameter (lr_mult, wd_mult; "
                "grad_req has set_grad_req)");
  }
  for (auto& item : items_) name == "lr_mult" ? item.second.set_lr_mult(value) : item.second.set_wd_mult(value);
}

}  // namespace mx::gluon
