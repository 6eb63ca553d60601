#pragma once
// MXNet's KVStore: sums the gradients that several devices (and, for dist_* stores, several processes) hold for
// one key, optionally updates a stored weight with an optimizer, and hands the result back to every device.
//
//   auto kv = kvstore::create("device");
//   kv->init(3, weight);
//   kv->pushpull(3, {grad_on_cpu0, grad_on_cpu1}, {grad_on_cpu0, grad_on_cpu1}, /*priority=*/-3);
//
// Every operation is pushed into the engine with its arrays as read or write variables and returns at once:
// a pull's outputs are ready at the usual sync points. Reductions run as prioritized engine work, so among
// those ready the one with the larger priority runs first (a Trainer gives parameter i priority -i: the first
// layers, needed first by the next forward, go first). A store is used from one thread at a time, as MXNet's.
//
// Types: "local" sums on the CPU; "device" sums on the devices holding the values (each key on one of them,
// spread by size); "nccl" sums GPU arrays with NCCL collectives on the GPUs holding them (a device's several
// values summed there first); "dist_sync" and "dist_device_sync" also sum across the processes of an mpirun job
// (dist_store.h), host sums over MPI and GPU sums over NCCL. Bad use (a key not initialized or initialized
// twice, a shape or dtype that differs from the key's) is an mx::Error naming the key and both shapes, raised by
// the call that made it.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <mx/ndarray/ndarray.h>
#include <mx/sparse/sparse_ndarray.h>

namespace mx::optimizer {
class Optimizer;
}

namespace mx::kvstore {

// An int or a string, as MXNet's keys.
class Key {
 public:
  Key(int key) : value_(key) {}
  Key(std::string key) : value_(std::move(key)) {}
  Key(const char* key) : value_(std::string(key)) {}
  // For messages: 3 or 'fc1_weight'.
  std::string str() const;
  auto operator<=>(const Key&) const = default;

 private:
  std::variant<int, std::string> value_;
};

// MXNet's gradient compression (KVStore.set_gradient_compression): "2bit" sends each gradient element as
// +threshold, -threshold or 0, "1bit" as +1 or -1 (+1 where it is above threshold), and what was not sent stays
// with the sender as a residual added to its next gradient (operators/gradient_compression.h).
struct GradientCompression {
  std::string type = "2bit";
  double threshold = 0.5;
};

class KVStore {
 public:
  virtual ~KVStore();
  KVStore(const KVStore&) = delete;
  KVStore& operator=(const KVStore&) = delete;

  const std::string& type() const { return type_; }
  // This process's number among num_workers() (0 and 1 outside an mpirun job).
  virtual int rank() const { return 0; }
  virtual int num_workers() const { return 1; }
  // Returns once every worker has called it (a sync point for distributed stores; nothing to wait for here).
  virtual void barrier() {}

  // Stores a copy of `value` under `key`. In a distributed store every rank must init the same keys with the
  // same shapes (an error naming the ranks' shapes otherwise), and rank 0's value is the one kept everywhere.
  void init(const Key& key, const NDArray& value);
  void init(const std::vector<Key>& keys, const std::vector<NDArray>& values);

  // Sums `values` (one per device, each of the key's shape and dtype) over devices and workers. With an
  // optimizer set, the sum is the gradient of an update of the stored value; without, the sum is stored.
  void push(const Key& key, const std::vector<NDArray>& values, int priority = 0);
  // Copies the stored value into each of `outs` (the arrays themselves are written, on their own devices).
  void pull(const Key& key, const std::vector<NDArray>& outs, int priority = 0);
  // push then pull in one call; `outs` may be `values` (in-place all-reduce). Without an optimizer, a distributed
  // store then sums a key's one host array where it is, and the nccl store one GPU array per GPU, with no copy:
  // a later pull of the key reads the first of them, and is an mx::Error once that has been written again.
  void pushpull(const Key& key, const std::vector<NDArray>& values, const std::vector<NDArray>& outs, int priority = 0);
  // Several keys at once, key i with priority priorities[i] (0 when left out). Distributed stores send keys that
  // are next to each other in the list in one message (a bucket), in the list's order.
  void pushpull(const std::vector<Key>& keys, const std::vector<std::vector<NDArray>>& values,
                const std::vector<std::vector<NDArray>>& outs, const std::vector<int>& priorities = {});
  // init(key, value) then pull(key, outs).
  void broadcast(const Key& key, const NDArray& value, const std::vector<NDArray>& outs, int priority = 0);

  // Row-sparse values (the gradients of embedding tables, one per context, CPU contexts): summed over them and,
  // for distributed stores, over the workers (every rank's rows gathered, summed in rank order, so every rank
  // gets the same bits); the sum, the union of the rows, is written into each of `outs`. The key's stored value
  // is left alone: such gradients update the weights on the contexts, not on the store (with an optimizer set
  // or gradient compression, an mx::Error).
  void pushpull(const Key& key, const std::vector<RowSparseNDArray>& values, const std::vector<RowSparseNDArray>& outs);
  // MXNet's row_sparse_pull: the rows `row_ids` (integers, repeats allowed) of the key's value, as row-sparse
  // arrays, into each of `outs`. A row out of range is an error at the next sync point on the outputs.
  void row_sparse_pull(const Key& key, const std::vector<RowSparseNDArray>& outs, const NDArray& row_ids);

  // Updates run on the store from now on (MXNet's update_on_kvstore): push applies `optimizer` to the stored
  // value, with the key's number in the order of init as its index.
  void set_optimizer(std::shared_ptr<optimizer::Optimizer> optimizer);
  optimizer::Optimizer* optimizer() const { return optimizer_.get(); }
  // The optimizer's states and update counts per key, in the NDArray file format. Loading checks the file
  // against the keys (an mx::Error naming the file and key otherwise; nothing changes then).
  void save_optimizer_states(const std::string& path) const;
  void load_optimizer_states(const std::string& path);

  // Pushes from now on send compressed gradients. The "device" store quantizes each pushed value on its device
  // and sums the dequantized codes where the key is summed (a residual per key and device); the distributed
  // stores quantize this process's sum and every rank sums the ranks' dequantized codes (a residual per key):
  // only what crosses between processes is compressed, as in MXNet. The "local" and "nccl" stores refuse it, as
  // MXNet's do. float32 keys only (a push of another dtype is an mx::Error naming the key). Setting it again
  // starts every residual from zero.
  void set_gradient_compression(const GradientCompression& params);
  const std::optional<GradientCompression>& gradient_compression() const { return compression_; }

 protected:
  struct Entry;
  explicit KVStore(std::string type);

  // Where init keeps a key's value, and where its sums are formed and its value kept from its first push on
  // (given the contexts of that push's values).
  virtual Context init_context(const NDArray& value) const = 0;
  virtual Context home_context(const Entry& entry, const std::vector<NDArray>& values) = 0;
  // Whether pushpull (without an optimizer) sums `values` where they are, as `outs` (the same arrays): they then
  // go to reduce_bucket as the entry's device_sums, and `pushed` is the first. By default, a distributed store's
  // one host value.
  virtual bool sums_in_place(const std::vector<NDArray>& values, const std::vector<NDArray>& outs) const;
  // Refuses values on devices the store cannot sum on (an mx::Error naming the key and the value), before any
  // work of the call is pushed.
  virtual void check_value_devices(const Entry& /*entry*/, const std::vector<NDArray>& /*values*/,
                                   const char* /*call*/) const {}
  // Forms the sum of one push's `values` (checked, on devices) for entry.pushed, where the sum ends up: by
  // default there and then; a bucketed store may leave part of it to reduce_bucket.
  virtual void sum_values(Entry& entry, const std::vector<NDArray>& values, int priority);
  // Copies `source` (the key's value) into each of `outs` (checked).
  virtual void copy_out(const NDArray& source, const std::vector<NDArray>& outs, int priority);
  // Bucketed stores (distributed(), nccl): completes each entry's sum in `pushed`, across workers or devices,
  // one bucket of neighbouring keys at a time (a bucket holds one dtype, and host or GPU sums, not both). And,
  // at init, distributed stores check the keys agree across ranks and replace the values with rank 0's.
  virtual void reduce_bucket(const std::vector<Entry*>& /*bucket*/) {}
  virtual void init_across_workers(const std::vector<Entry*>& /*entries*/) {}
  // Distributed stores: the sum of every worker's `local` row-sparse sum of a key; by default `local` itself.
  virtual RowSparseNDArray reduce_row_sparse(const Entry& /*entry*/, const RowSparseNDArray& local) { return local; }
  // How many bytes of neighbouring keys reduce_bucket is given at most at once (one key may be more).
  virtual std::size_t bucket_bytes() const { return 0; }
  virtual bool bucketed() const { return distributed(); }
  virtual bool distributed() const { return false; }
  virtual bool can_compress() const { return false; }

 private:
  Entry& find(const Key& key, const char* call);
  void check_values(const Entry& entry, const std::vector<NDArray>& values, const char* call, const char* what) const;
  // Pushes of several keys: each key's sum over devices, then across workers (buckets of neighbours in `keys`),
  // then the updates.
  // `outs` (pushpull's) lets a distributed store without an optimizer sum a key's one host value where it is,
  // when it is also the key's one output.
  void push_all(const std::vector<Key>& keys, const std::vector<std::vector<NDArray>>& values,
                const std::vector<int>& priorities, const char* call,
                const std::vector<std::vector<NDArray>>* outs = nullptr);
  void reduce_on_devices(Entry& entry, const std::vector<NDArray>& values, int priority, bool in_place);
  void pull_into(Entry& entry, const std::vector<NDArray>& outs, int priority, const char* call);
  // Makes `stored` the key's value again after a sum in place (an mx::Error when that sum has been overwritten).
  void take_in_place_sum(Entry& entry, const char* call);
  // The device stores' sum of compressed values: each quantized where it is, the codes summed at entry.pushed.
  void sum_compressed(Entry& entry, const std::vector<NDArray>& values);

  std::string type_;
  std::vector<std::unique_ptr<Entry>> entries_;  // in the order of init: the optimizer's index
  std::map<Key, Entry*> by_key_;
  std::shared_ptr<optimizer::Optimizer> optimizer_;
  std::optional<GradientCompression> compression_;
};

// A new store of `type`: "local", "device", "nccl", "dist_sync", "dist_device_sync" (and "dist" for
// dist_sync). "dist_async" and unknown types are an mx::Error that says what to use instead.
std::shared_ptr<KVStore> create(const std::string& type = "local");

}  // namespace mx::kvstore
