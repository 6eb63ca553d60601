// Row-by-row optimizer updates for row-sparse gradients, on the elementwise rules the dense updates use.
#include <algorithm>
#include <string>
#include <vector>

#include <mx/operators/parallel.h>
#include <mx/operators/rule_dispatch.h>
#include <mx/sparse/operand.h>
#include <mx/sparse/sparse_updates.h>

namespace mx::nd::sparse {
namespace {

namespace ds = detail::sparse;

// Rule R over one row of `size` values; g null for a row the gradient does not store.
template <UpdateRule R, class T>
void update_row(const UpdateHyperParams& h, T* w, const T* g, T* s0, T* s1, T* s2, std::int64_t size) {
  const T rescale = static_cast<T>(h.rescale_grad), clip = clip_bound<T>(h);
  constexpr int states = update_state_count(R);
  T unused0 = 0, unused1 = 0, unused2 = 0;
  for (std::int64_t i = 0; i < size; ++i) {
    update_element<R>(h, w[i], prepared_for<R>(g == nullptr ? T(0) : g[i], rescale, clip),
                      states > 0 ? s0[i] : unused0, states > 1 ? s1[i] : unused1, states > 2 ? s2[i] : unused2);
  }
}

void check_operands(const char* name, UpdateRule rule, const NDArray& weight, const RowSparseNDArray& grad,
                    std::span<NDArray> states) {
  ds::check_sparse_operand(name, grad, "the gradient");
  ds::check_dense_operand(name, weight, grad, 0, "the weight");
  if (rule == UpdateRule::kLAMB) {
    throw Error(std::string(name) + ": LAMB scales each step by the whole weight's norm, which a row-sparse "
                "gradient does not give; use a dense gradient");
  }
  if (weight.shape() != grad.shape()) {
    throw ShapeError(std::string(name) + ": the gradient " + grad.shape().str() + " does not match the weight " +
                     weight.shape().str());
  }
  if (static_cast<int>(states.size()) != update_state_count(rule)) {
    throw Error(std::string(name) + ": takes " + std::to_string(update_state_count(rule)) + " states, got " +
                std::to_string(states.size()));
  }
  for (const NDArray& s : states) {
    if (s.is_none() || s.shape() != weight.shape() || s.dtype() != weight.dtype() || s.context() != weight.context()) {
      throw ShapeError(std::string(name) + ": a state does not match the weight " + weight.shape().str() + " " +
                       dtype_name(weight.dtype()));
    }
  }
}

}  // namespace

void optimizer_update(UpdateRule rule, NDArray& weight, const RowSparseNDArray& grad, std::span<NDArray> states,
                      const UpdateHyperParams& hyper, bool lazy_update) {
  const char* name = "sparse_optimizer_update";
  check_operands(name, rule, weight, grad, states);
  std::vector<engine::VarHandle> writes{weight.var()};
  std::vector<LazyBlob> state_blobs;
  for (const NDArray& s : states) {
    writes.push_back(s.var());
    state_blobs.push_back(s.lazy_blob());
  }
  const std::int64_t rows = weight.shape()[0], size = ds::row_size(weight.shape());
  ds::push(name, weight.context(), {grad.var()}, writes,
           [rule, hyper, lazy_update, rows, size, chunk = grad.chunk(), w = weight.lazy_blob(), state_blobs] {
             const Blob weight_blob = w.resolve();
             std::vector<Blob> s;
             for (const LazyBlob& b : state_blobs) s.push_back(b.resolve());
             ds::dispatch_values(chunk->dtype, "sparse_optimizer_update", [&](auto tag) {
               using T = decltype(tag);
               const T* g = chunk->values_as<T>();
               auto state = [&](std::size_t i, std::int64_t row) {
                 return i < s.size() ? s[i].ptr<T>() + row * size : nullptr;
               };
               with_rule(rule, [&](auto r) {
                 constexpr UpdateRule R = decltype(r)::value;
                 if constexpr (R == UpdateRule::kLAMB) return;  // refused at the call
                 auto update = [&](std::int64_t row, const T* row_grad) {
                   update_row<R>(hyper, weight_blob.ptr<T>() + row * size, row_grad, state(0, row), state(1, row),
                                 state(2, row), size);
                 };
                 const auto stored = static_cast<std::int64_t>(chunk->indices.size());
                 if (lazy_update) {
                   op::parallel_for(stored, [&](std::int64_t begin, std::int64_t end) {
                     for (std::int64_t k = begin; k < end; ++k) update(chunk->indices[k], g + k * size);
                   }, std::max<std::int64_t>(1, op::kParallelGrain / size));
                   return;
                 }
                 // Every row: walk the stored rows alongside, in order.
                 op::parallel_for(rows, [&](std::int64_t begin, std::int64_t end) {
                   auto k = std::lower_bound(chunk->indices.begin(), chunk->indices.end(), begin) -
                            chunk->indices.begin();
                   for (std::int64_t row = begin; row < end; ++row) {
                     const bool has = k < stored && chunk->indices[k] == row;
                     update(row, has ? g + k * size : nullptr);
                     if (has) ++k;
                   }
                 }, std::max<std::int64_t>(1, op::kParallelGrain / size));
               });
             });
           });
  weight.bump_version();
  for (const NDArray& st : states) st.bump_version();
}

}  // namespace mx::nd::sparse
