#pragma once
// MXNet's BucketingModule: one symbol per bucket (a sequence length), made by sym_gen when a batch of that
// bucket first comes, every bucket's module sharing the default bucket's parameters, gradients, optimizer and
// store. The recurrent networks of MXNet's Module era train on sentences of several lengths this way.
//
//   mod::BucketingModule model([](std::int64_t length) { return mod::BucketSymbol{lstm_lm(length)}; },
//                              /*default_bucket_key=*/train.default_bucket_key());
//   model.fit(train, {.eval_metric = std::make_shared<metric::Perplexity>(0), .num_epoch = 5});
#include <functional>
#include <map>
#include <memory>

#include <mx/module/module.h>

namespace mx::mod {

struct BucketSymbol {
  sym::Symbol symbol;
  std::vector<std::string> data_names = {"data"};
  std::vector<std::string> label_names = {"softmax_label"};
};
using SymGen = std::function<BucketSymbol(std::int64_t bucket_key)>;

struct BucketingModuleOptions {
  std::vector<Context> context = {current_context()};
  std::vector<std::string> fixed_param_names = {};
};

class BucketingModule : public BaseModule {
 public:
  BucketingModule(SymGen sym_gen, std::int64_t default_bucket_key, BucketingModuleOptions options = {});

  using BaseModule::init_params;
  // Binds the default bucket's module (the shapes are the default bucket's: provide_data of a bucketing iterator).
  void bind(const std::vector<io::DataDesc>& data_shapes, const std::vector<io::DataDesc>& label_shapes = {},
            const BindOptions& options = {}) override;
  // Makes `bucket_key`'s module, bound over the default one's parameters, when it has none, and runs the next
  // calls on it.
  void switch_bucket(std::int64_t bucket_key, const std::vector<io::DataDesc>& data_shapes,
                     const std::vector<io::DataDesc>& label_shapes = {});
  void init_params(const init::Initializer& initializer, const InitParamsOptions& options = {}) override;
  std::pair<ParamDict, ParamDict> get_params() const override;
  void init_optimizer(const InitOptimizerOptions& options = {}) override;

  // Runs the batch on its bucket's module (batch.bucket_key, the default bucket's when unset).
  void forward(const io::DataBatch& batch, std::optional<bool> is_train = std::nullopt) override;
  void backward(const std::vector<NDArray>& out_grads = {}) override;
  void update() override;
  std::vector<NDArray> get_outputs() const override;
  void update_metric(gluon::metric::EvalMetric& metric, const std::vector<NDArray>& labels) const override;
  void save_checkpoint(const std::string& prefix, int epoch, bool save_optimizer_states = false) const override;

  const sym::Symbol& symbol() const override { return current().symbol(); }
  bool binded() const override { return !buckets_.empty(); }
  bool params_initialized() const override { return binded() && current().params_initialized(); }
  bool optimizer_initialized() const override { return binded() && current().optimizer_initialized(); }
  std::int64_t bucket_key() const { return current_key_; }
  std::size_t num_buckets() const { return buckets_.size(); }
  const Module& module(std::int64_t bucket_key) const;

 private:
  Module& current();
  const Module& current() const;
  Module make_module(std::int64_t bucket_key) const;

  SymGen sym_gen_;
  std::int64_t default_key_, current_key_;
  BucketingModuleOptions options_;
  BindOptions bind_options_;
  std::map<std::int64_t, std::unique_ptr<Module>> buckets_;  // the default bucket's first
};

}  // namespace mx::mod
