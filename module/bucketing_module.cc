#include <mx/module/bucketing_module.h>

#include <mx/ndarray/error.h>

namespace mx::mod {

BucketingModule::BucketingModule(SymGen sym_gen, std::int64_t default_bucket_key, BucketingModuleOptions options)
    : sym_gen_(std::move(sym_gen)), default_key_(default_bucket_key), current_key_(default_bucket_key),
      options_(std::move(options)) {
  if (!sym_gen_) throw Error("BucketingModule: sym_gen is empty");
}

Module BucketingModule::make_module(std::int64_t bucket_key) const {
  BucketSymbol made = sym_gen_(bucket_key);
  return Module(std::move(made.symbol), {.data_names = std::move(made.data_names), .label_names = std::move(made.label_names),
                                         .context = options_.context, .fixed_param_names = options_.fixed_param_names});
}

Module& BucketingModule::current() {
  if (!binded()) throw Error("BucketingModule: call bind first");
  return *buckets_.at(current_key_);
}
const Module& BucketingModule::current() const { return const_cast<BucketingModule*>(this)->current(); }

const Module& BucketingModule::module(std::int64_t bucket_key) const {
  const auto it = buckets_.find(bucket_key);
  if (it == buckets_.end()) throw Error("BucketingModule: no module for bucket " + std::to_string(bucket_key));
  return *it->second;
}

void BucketingModule::bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes,
                           const BindOptions& options) {
  if (binded() && !options.force_rebind) return;
  // Parameters already initialized survive a rebind, as a Module's do.
  std::optional<std::pair<ParamDict, ParamDict>> kept;
  if (params_initialized()) kept = get_params();
  buckets_.clear();
  bind_options_ = options;
  auto module = std::make_unique<Module>(make_module(default_key_));
  module->bind(data_shapes, label_shapes, options);
  buckets_.emplace(default_key_, std::move(module));
  current_key_ = default_key_;
  if (kept) current().set_params(kept->first, kept->second);
}

void BucketingModule::switch_bucket(std::int64_t bucket_key, const std::vector<io::DataDesc>& data_shapes,
                                    const std::vector<io::DataDesc>& label_shapes) {
  if (!binded()) throw Error("BucketingModule.switch_bucket: call bind first");
  if (!buckets_.contains(bucket_key)) {
    const Module& base = *buckets_.at(default_key_);
    if (!base.params_initialized()) {
      throw Error("BucketingModule.switch_bucket: initialize the parameters (init_params) before bucket " +
                  std::to_string(bucket_key) + " is made over them");
    }
    auto module = std::make_unique<Module>(make_module(bucket_key));
    module->bind(data_shapes, label_shapes, bind_options_, base);
    if (base.optimizer_initialized()) module->borrow_optimizer(base);
    buckets_.emplace(bucket_key, std::move(module));
  }
  current_key_ = bucket_key;
}

void BucketingModule::init_params(const init::Initializer& initializer, const InitParamsOptions& options) {
  if (params_initialized() && !options.force_init) return;
  // The default bucket's arrays are every bucket's.
  buckets_.at(default_key_)->init_params(initializer, options);
}

std::pair<ParamDict, ParamDict> BucketingModule::get_params() const { return current().get_params(); }

void BucketingModule::init_optimizer(const InitOptimizerOptions& options) {
  Module& base = *buckets_.at(default_key_);
  if (base.optimizer_initialized() && !options.force_init) return;
  base.init_optimizer(options);
  for (auto& [key, module] : buckets_) {
    if (key != default_key_) module->borrow_optimizer(base);
  }
}

void BucketingModule::forward(const io::DataBatch& batch, std::optional<bool> is_train) {
  if (!binded()) throw Error("BucketingModule.forward: call bind first");
  const std::int64_t key = batch.bucket_key.value_or(default_key_);
  if (!buckets_.contains(key) && batch.provide_data.empty()) {
    throw Error("BucketingModule.forward: a batch of bucket " + std::to_string(key) +
                " needs its provide_data for the bucket's module");
  }
  switch_bucket(key, batch.provide_data, batch.provide_label);
  current().forward(batch, is_train);
}

void BucketingModule::backward(const std::vector<NDArray>& out_grads) { current().backward(out_grads); }
void BucketingModule::update() { current().update(); }
std::vector<NDArray> BucketingModule::get_outputs() const { return current().get_outputs(); }
void BucketingModule::update_metric(gluon::metric::EvalMetric& metric, const std::vector<NDArray>& labels) const {
  current().update_metric(metric, labels);
}

void BucketingModule::save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states) const {
  // The default bucket's symbol, as MXNet's: the parameters serve every bucket.
  buckets_.at(default_key_)->save_checkpoint(prefix, epoch, save_optimizer_states);
}

}  // namespace mx::mod
