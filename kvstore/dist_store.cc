#include "dist_store.h"

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>

#include <mx/engine/engine.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/gradient_compression.h>
#include <mx/sparse/sparse_chunk.h>

#include "comm.h"
#include "entry.h"
#include "local_stores.h"
#include "mpi_world.h"
#include "nccl.h"

namespace mx::kvstore::detail {
namespace {

template <class T>
void sum_16bit(void* in, void* inout, int* length, MPI_Datatype*) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < *length; ++i) b[i] = T(static_cast<float>(a[i]) + static_cast<float>(b[i]));
}

struct MpiSum {
  MPI_Datatype type;
  MPI_Op op;
};

// Created on the MPI thread at its first use.
MpiSum mpi_sum(DType dtype) {
  static MPI_Op float16_sum = MPI_OP_NULL, bfloat16_sum = MPI_OP_NULL;
  switch (dtype) {
    case DType::kFloat32: return {MPI_FLOAT, MPI_SUM};
    case DType::kFloat64: return {MPI_DOUBLE, MPI_SUM};
    case DType::kInt32: return {MPI_INT32_T, MPI_SUM};
    case DType::kInt64: return {MPI_INT64_T, MPI_SUM};
    case DType::kUint8: return {MPI_UINT8_T, MPI_SUM};
    case DType::kInt8: return {MPI_INT8_T, MPI_SUM};
    case DType::kBool: return {MPI_C_BOOL, MPI_LOR};
    case DType::kFloat16:
      if (float16_sum == MPI_OP_NULL) MPI_Op_create(&sum_16bit<float16>, 1, &float16_sum);
      return {MPI_UINT16_T, float16_sum};
    case DType::kBFloat16:
      if (bfloat16_sum == MPI_OP_NULL) MPI_Op_create(&sum_16bit<bfloat16>, 1, &bfloat16_sum);
      return {MPI_UINT16_T, bfloat16_sum};
  }
  return {MPI_FLOAT, MPI_SUM};
}

// MPI counts are ints: larger arrays go in pieces.
void allreduce_in_place(void* data, std::size_t count, DType dtype, MPI_Comm comm) {
  const MpiSum sum = mpi_sum(dtype);
  auto* bytes = static_cast<std::byte*>(data);
  while (count > 0) {
    const int piece = static_cast<int>(std::min<std::size_t>(count, INT_MAX));
    MpiWorld::check(MPI_Allreduce(MPI_IN_PLACE, bytes, piece, sum.type, sum.op, comm), "MPI_Allreduce");
    bytes += static_cast<std::size_t>(piece) * dtype_size(dtype);
    count -= static_cast<std::size_t>(piece);
  }
}

void broadcast_from_rank0(void* data, std::size_t bytes, MPI_Comm comm) {
  auto* p = static_cast<std::byte*>(data);
  while (bytes > 0) {
    const int piece = static_cast<int>(std::min<std::size_t>(bytes, INT_MAX));
    MpiWorld::check(MPI_Bcast(p, piece, MPI_BYTE, 0, comm), "MPI_Bcast");
    p += piece;
    bytes -= static_cast<std::size_t>(piece);
  }
}


// One flag per sum, set once the sum on this rank is formed: a failed gradient skips the operation that sets
// it, and this rank then still takes its part in the collective (so that the others do not wait for ever), with
// zeros, and reports the failure (failed_sums_error).
std::shared_ptr<std::vector<std::atomic<bool>>> flags_of_formed_sums(const std::vector<NDArray>& sums) {
  auto formed = std::make_shared<std::vector<std::atomic<bool>>>(sums.size());
  for (std::size_t i = 0; i < sums.size(); ++i) {
    engine::Engine::get().push_sync([formed, i](engine::RunContext) { (*formed)[i].store(true); }, sums[i].context(),
                                    {sums[i].var()}, {},
                                    {.prop = engine::FnProperty::kPrioritized, .name = "KVStoreSumFormed",
                                     .category = "kvstore", .args = {}});
  }
  return formed;
}

Error failed_sums_error(const std::string& keys, int rank) {
  return Error("KVStore.push: the sum of key " + keys + " failed on rank " + std::to_string(rank) +
               " (an operator before it raised; its error surfaced at an earlier sync point), so this rank sent "
               "zeros in the all-reduce");
}

template <class Base>
class DistStore : public Base {
 public:
  explicit DistStore(std::string type)
      : Base(std::move(type)), world_(MpiWorld::get()), bucket_bytes_(bucket_bytes_from_env()) {}

  ~DistStore() override {
    engine::Engine::get().delete_variable([](engine::RunContext) {}, cpu(0), nccl_order_);
  }

  int rank() const override { return world_->rank(); }
  int num_workers() const override { return world_->size(); }
  void barrier() override {
    world_->call("MPI_Barrier", [world = world_.get()] { MpiWorld::check(MPI_Barrier(world->comm()), "MPI_Barrier"); });
  }

 protected:
  using Entry = KVStore::Entry;
  bool distributed() const override { return true; }
  bool can_compress() const override { return true; }
  std::size_t bucket_bytes() const override { return bucket_bytes_; }

  // Rank 0's values reach the others over MPI, from host memory.
  Context init_context(const NDArray& value) const override {
    return value.context().is_gpu() ? cpu(0) : Base::init_context(value);
  }
  Context home_context(const Entry& entry, const std::vector<NDArray>& values) override {
    const Context home = Base::home_context(entry, values);
    if (!home.is_gpu()) return home;
    // One GPU of this process sums every GPU key: the one NCCL communicator, a rank per process, lives there.
    if (!nccl_device_) nccl_device_ = home.dev_id;
    return gpu(*nccl_device_);
  }

  void reduce_bucket(const std::vector<Entry*>& bucket) override;
  void init_across_workers(const std::vector<Entry*>& entries) override;
  RowSparseNDArray reduce_row_sparse(const Entry& entry, const RowSparseNDArray& local) override;

 private:
  void reduce_bucket_over_mpi(const std::vector<Entry*>& bucket);
  // With gradient compression: each sum quantized on the host (a GPU sum copied there first, as MXNet's
  // dist_device_sync does), the bucket's codes all-gathered over MPI, and every rank's codes summed.
  void reduce_bucket_compressed(const std::vector<Entry*>& bucket);
  void reduce_bucket_over_nccl(const std::vector<Entry*>& bucket);
  // Makes the communicator of every process's NCCL GPU, at the first bucket of GPU sums (every rank at once).
  void join_nccl();

  // Work handed to the engine and the MPI thread holds a plain pointer: the world lives until exit, and is
  // never released on its own thread.
  std::shared_ptr<MpiWorld> world_;
  std::size_t bucket_bytes_;
  std::optional<int> nccl_device_;
  std::shared_ptr<NcclClique> nccl_;
  // Written by every NCCL all-reduce, so that they run in push order: the same order on every rank (the same
  // program), as NCCL needs, even where the engine makes them ready in different orders.
  engine::VarHandle nccl_order_ = engine::Engine::get().new_variable();
};

struct BucketItem {
  Blob blob;
  std::string key;
};

struct CompressedItem {
  Blob codes;     // this rank's
  Blob gathered;  // every rank's, a row each
  std::string key;
};

// On the MPI thread: one MPI_Allgather of the bucket's codes, packed; codes of a sum that failed go as zeros.
void allgather_codes(const std::vector<CompressedItem>& items, const std::vector<std::atomic<bool>>& formed,
                     const std::string& what, const MpiWorld& world) {
  std::size_t total = 0;
  for (const CompressedItem& item : items) total += static_cast<std::size_t>(item.codes.size()) * 4;
  if (total > static_cast<std::size_t>(INT_MAX)) {
    throw Error("KVStore: " + what + ": " + std::to_string(total) + " bytes of codes are more than one MPI_Allgather "
                "sends (set MX_KVSTORE_BUCKET_BYTES lower)");
  }
  std::vector<std::byte> mine(total), all(total * static_cast<std::size_t>(world.size()));
  std::string failed;
  std::size_t at = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t n = static_cast<std::size_t>(items[i].codes.size()) * 4;
    if (formed[i].load()) {
      std::memcpy(mine.data() + at, items[i].codes.data, n);
    } else {
      failed += (failed.empty() ? "" : ", ") + items[i].key;
    }
    at += n;
  }
  const int count = static_cast<int>(total);
  MpiWorld::check(MPI_Allgather(mine.data(), count, MPI_BYTE, all.data(), count, MPI_BYTE, world.comm()), "MPI_Allgather");
  for (int r = 0; r < world.size(); ++r) {
    at = static_cast<std::size_t>(r) * total;
    for (const CompressedItem& item : items) {
      const std::size_t n = static_cast<std::size_t>(item.codes.size()) * 4;
      std::memcpy(static_cast<std::byte*>(item.gathered.data) + static_cast<std::size_t>(r) * n, all.data() + at, n);
      at += n;
    }
  }
  if (!failed.empty()) throw failed_sums_error(failed, world.rank());
}

template <class Base>
void DistStore<Base>::reduce_bucket(const std::vector<Entry*>& bucket) {
  if (this->gradient_compression()) {
    reduce_bucket_compressed(bucket);
  } else if (bucket.front()->pushed.context().is_gpu()) {
    reduce_bucket_over_nccl(bucket);
  } else {
    reduce_bucket_over_mpi(bucket);
  }
}

template <class Base>
void DistStore<Base>::join_nccl() {
  if (nccl_) return;
  // Rank 0 makes the job's id and sends it over MPI; if it cannot, every rank learns why (none is left waiting).
  std::string message(1 + NcclClique::kIdBytes, '\0');
  if (world_->rank() == 0) {
    try {
      message.replace(1, NcclClique::kIdBytes, NcclClique::unique_id());
      message[0] = 1;
    } catch (const std::exception& error) {
      message = std::string(1, '\0') + error.what();
      message.resize(1 + NcclClique::kIdBytes, '\0');
    }
  }
  world_->call("the broadcast of NCCL's job id", [&, world = world_.get()] {
    broadcast_from_rank0(message.data(), message.size(), world->comm());
  });
  if (message[0] != 1) {
    throw Error("KVStore: store '" + this->type() + "' cannot sum GPU arrays across processes: rank 0 could not "
                "start NCCL: " + std::string(message.c_str() + 1));
  }
  // On the MPI thread, whose watchdog ends the job if a rank never joins (ncclCommInitRank would wait for ever).
  world_->call("NCCL's ncclCommInitRank (every rank's GPU joining)", [&, world = world_.get()] {
    nccl_ = NcclClique::joined(*nccl_device_, world->rank(), world->size(), message.substr(1), world->timeout_s(),
                               world->label());
  });
}

template <class Base>
void DistStore<Base>::reduce_bucket_over_nccl(const std::vector<Entry*>& bucket) {
  join_nccl();
  engine::Engine& engine = engine::Engine::get();
  const int device = *nccl_device_;
  std::vector<NDArray> sums;
  for (const Entry* entry : bucket) sums.push_back(entry->pushed);
  const auto formed = flags_of_formed_sums(sums);
  std::vector<engine::VarHandle> writes = {nccl_order_};
  std::vector<NcclCall> calls;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    const NDArray& sum = sums[i];
    sum.bump_version();
    writes.push_back(sum.var());
    void* data = sum.blob().data;
    calls.push_back({.kind = NcclCall::Kind::kAllReduce, .member = 0, .send = data, .recv = data,
                     .count = static_cast<std::size_t>(sum.size()), .dtype = sum.dtype(), .root = 0});
    keys.push_back(bucket[i]->key.str());
  }
  engine.push_sync(
      [clique = nccl_, calls = std::move(calls), keys = std::move(keys), formed, device,
       rank = world_->rank()](engine::RunContext run) {
        std::string failed;
        for (std::size_t i = 0; i < calls.size(); ++i) {
          if ((*formed)[i].load()) continue;
          clear_on_stream(calls[i].recv, calls[i].count * dtype_size(calls[i].dtype), run.stream, device);
          failed += (failed.empty() ? "" : ", ") + keys[i];
        }
        clique->enqueue(calls, run.stream, device, "KVStore: the NCCL all-reduce of a bucket");
        if (!failed.empty()) throw failed_sums_error(failed, rank);
      },
      gpu(device), {}, writes,
      {.prop = engine::FnProperty::kPrioritized, .name = "KVStoreNcclAllreduce", .category = "kvstore", .args = {}});
}

template <class Base>
void DistStore<Base>::reduce_bucket_over_mpi(const std::vector<Entry*>& bucket) {
  engine::Engine& engine = engine::Engine::get();
  std::vector<NDArray> sums;
  for (const Entry* entry : bucket) sums.push_back(entry->pushed);
  const auto formed = flags_of_formed_sums(sums);
  std::vector<engine::VarHandle> writes;
  auto items = std::make_shared<std::vector<BucketItem>>();
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    const NDArray& sum = sums[i];
    sum.bump_version();
    writes.push_back(sum.var());
    items->push_back({sum.blob(), bucket[i]->key.str()});
  }
  std::string what = "the all-reduce of key";
  what += bucket.size() > 1 ? "s " : " ";
  for (std::size_t i = 0; i < items->size(); ++i) what += (i ? ", " : "") + (*items)[i].key;
  const std::uint64_t number = world_->reserve();
  engine.push_async(
      [world = world_.get(), number, items, formed, what](engine::RunContext, engine::OnComplete done) {
        world->submit(
            number, what,
            [world, items = *items, formed] {
              std::string failed;
              for (std::size_t i = 0; i < items.size(); ++i) {
                if ((*formed)[i].load()) continue;
                std::memset(items[i].blob.data, 0, static_cast<std::size_t>(items[i].blob.size()) * dtype_size(items[i].blob.dtype));
                failed += (failed.empty() ? "" : ", ") + items[i].key;
              }
              if (items.size() == 1) {
                allreduce_in_place(items[0].blob.data, static_cast<std::size_t>(items[0].blob.size()), items[0].blob.dtype, world->comm());
              } else {  // one message for the bucket
                std::size_t total = 0;
                for (const BucketItem& item : items) total += static_cast<std::size_t>(item.blob.size()) * dtype_size(item.blob.dtype);
                std::vector<std::byte> packed(total);
                std::size_t at = 0;
                for (const BucketItem& item : items) {
                  const std::size_t n = static_cast<std::size_t>(item.blob.size()) * dtype_size(item.blob.dtype);
                  std::memcpy(packed.data() + at, item.blob.data, n);
                  at += n;
                }
                allreduce_in_place(packed.data(), total / dtype_size(items[0].blob.dtype), items[0].blob.dtype, world->comm());
                at = 0;
                for (const BucketItem& item : items) {
                  const std::size_t n = static_cast<std::size_t>(item.blob.size()) * dtype_size(item.blob.dtype);
                  std::memcpy(item.blob.data, packed.data() + at, n);
                  at += n;
                }
              }
              if (!failed.empty()) throw failed_sums_error(failed, world->rank());
            },
            [done](std::exception_ptr error) { error ? done(error) : done(); });
      },
      cpu(0), {}, writes, {.prop = engine::FnProperty::kAsync, .name = "KVStoreAllreduce", .category = "kvstore", .args = {}});
}

template <class Base>
void DistStore<Base>::reduce_bucket_compressed(const std::vector<Entry*>& bucket) {
  const nd::CompressionType type = nd::compression_type(this->gradient_compression()->type);
  const auto threshold = static_cast<float>(this->gradient_compression()->threshold);
  std::vector<NDArray> sums, codes, gathered;
  auto items = std::make_shared<std::vector<CompressedItem>>();
  for (Entry* entry : bucket) {
    NDArray sum = entry->pushed;
    if (sum.context().is_gpu()) {
      if (entry->host_sum.is_none()) entry->host_sum = NDArray(entry->shape, cpu(0), entry->dtype);
      nd::copyto(entry->pushed, entry->host_sum);
      sum = entry->host_sum;
    }
    const Shape words{nd::compressed_size(type, entry->shape.size())};
    if (entry->compressed.size() != 1) {
      entry->compressed.assign(1, {nd::zeros(entry->shape, cpu(0)), NDArray(words, cpu(0), DType::kInt32), {}});
      entry->gathered = NDArray(Shape{world_->size(), words[0]}, cpu(0), DType::kInt32);
    }
    Entry::Compressed& part = entry->compressed.front();
    nd::quantize_gradient(type, threshold, sum, part.residual, part.codes);
    sums.push_back(sum);
    codes.push_back(part.codes);
    gathered.push_back(entry->gathered);
  }
  const auto formed = flags_of_formed_sums(codes);
  std::vector<engine::VarHandle> writes;
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    codes[i].bump_version();
    gathered[i].bump_version();
    writes.push_back(codes[i].var());
    writes.push_back(gathered[i].var());
    items->push_back({codes[i].blob(), gathered[i].blob(), bucket[i]->key.str()});
  }
  std::string what = std::string("the all-gather of the ") + nd::compression_name(type) + " codes of key";
  what += bucket.size() > 1 ? "s " : " ";
  for (std::size_t i = 0; i < items->size(); ++i) what += (i ? ", " : "") + (*items)[i].key;
  const std::uint64_t number = world_->reserve();
  engine::Engine::get().push_async(
      [world = world_.get(), number, items, formed, what](engine::RunContext, engine::OnComplete done) {
        world->submit(number, what, [world, items = *items, formed, what] { allgather_codes(items, *formed, what, *world); },
                      [done](std::exception_ptr error) { error ? done(error) : done(); });
      },
      cpu(0), {}, writes, {.prop = engine::FnProperty::kAsync, .name = "KVStoreAllgatherCodes", .category = "kvstore", .args = {}});
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    nd::dequantize_sum(type, threshold, std::span<const NDArray>(&gathered[i], 1), sums[i]);
    if (!sums[i].shares_storage_with(bucket[i]->pushed)) nd::copyto(sums[i], bucket[i]->pushed);
  }
}

// On the MPI thread: every rank's rows of one key (none from a rank whose sum failed), gathered, then summed in
// rank order into `out`, the same on every rank.
void allgather_rows(const mx::detail::SparseChunk& local, bool formed, mx::detail::SparseChunk& out,
                    std::int64_t row_size, std::int64_t limit, const MpiWorld& world) {
  const std::size_t row_bytes = static_cast<std::size_t>(row_size) * dtype_size(local.dtype);
  const std::int64_t mine = formed ? static_cast<std::int64_t>(local.indices.size()) : 0;
  std::vector<std::int64_t> counts(static_cast<std::size_t>(world.size()));
  MpiWorld::check(MPI_Allgather(&mine, 1, MPI_INT64_T, counts.data(), 1, MPI_INT64_T, world.comm()), "MPI_Allgather");
  std::vector<int> row_counts, byte_counts, row_offsets, byte_offsets;
  std::int64_t total = 0;
  for (const std::int64_t c : counts) {
    if (total + c > INT32_MAX / static_cast<std::int64_t>(row_bytes)) {
      throw Error("KVStore: the ranks' row-sparse sums hold more rows than one MPI_Allgatherv can carry");
    }
    row_offsets.push_back(static_cast<int>(total));
    byte_offsets.push_back(static_cast<int>(total * static_cast<std::int64_t>(row_bytes)));
    row_counts.push_back(static_cast<int>(c));
    byte_counts.push_back(static_cast<int>(c * static_cast<std::int64_t>(row_bytes)));
    total += c;
  }
  std::vector<std::int64_t> rows(static_cast<std::size_t>(total));
  std::vector<std::byte> values(static_cast<std::size_t>(total) * row_bytes);
  MpiWorld::check(MPI_Allgatherv(local.indices.data(), static_cast<int>(mine), MPI_INT64_T, rows.data(),
                                 row_counts.data(), row_offsets.data(), MPI_INT64_T, world.comm()),
                  "MPI_Allgatherv");
  MpiWorld::check(MPI_Allgatherv(local.values.data(), static_cast<int>(mine * static_cast<std::int64_t>(row_bytes)),
                                 MPI_BYTE, values.data(), byte_counts.data(), byte_offsets.data(), MPI_BYTE,
                                 world.comm()),
                  "MPI_Allgatherv");
  mx::detail::sparse::sum_rows(rows, values.data(), row_size, limit, out);
}

template <class Base>
RowSparseNDArray DistStore<Base>::reduce_row_sparse(const Entry& entry, const RowSparseNDArray& local) {
  auto out = std::make_shared<mx::detail::SparseChunk>(cpu(0), local.dtype());
  const std::int64_t row_size = mx::detail::sparse::row_size(entry.shape);
  // Set once this rank's sum is formed: a failed one skips it, and the rank then sends no rows (as the dense
  // all-reduce sends zeros) and reports.
  auto formed = std::make_shared<std::atomic<bool>>(false);
  engine::Engine::get().push_sync([formed](engine::RunContext) { formed->store(true); }, local.context(),
                                  {local.var()}, {},
                                  {.prop = engine::FnProperty::kPrioritized, .name = "KVStoreSumFormed",
                                   .category = "kvstore", .args = {}});
  const std::string what = "the all-gather of the row-sparse sum of key " + entry.key.str();
  const std::uint64_t number = world_->reserve();
  // `local` is written (not read) so that its failure does not skip the collective the other ranks wait in.
  engine::Engine::get().push_async(
      [world = world_.get(), number, in = local.chunk(), out, formed, what, key = entry.key.str(), row_size,
       limit = entry.shape[0]](engine::RunContext, engine::OnComplete done) {
        world->submit(
            number, what,
            [world, in, out, formed, row_size, limit, key] {
              allgather_rows(*in, formed->load(), *out, row_size, limit, *world);
              if (!formed->load()) throw failed_sums_error(key, world->rank());
            },
            [done](std::exception_ptr error) { error ? done(error) : done(); });
      },
      cpu(0), {}, {local.var(), out->var},
      {.prop = engine::FnProperty::kAsync, .name = "KVStoreAllgatherRows", .category = "kvstore", .args = {}});
  return RowSparseNDArray(std::move(out), entry.shape);
}

template <class Base>
void DistStore<Base>::init_across_workers(const std::vector<Entry*>& entries) {
  // Every rank must have initialized the same keys with the same shapes: compared with rank 0's.
  std::ostringstream mine;
  for (const Entry* entry : entries) mine << entry->key.str() << ' ' << entry->shape.str() << ' ' << dtype_name(entry->dtype) << '\n';
  std::string local = mine.str();
  std::vector<std::string> all;
  world_->call("the check of init's keys", [&, world = world_.get()] {
    const int length = static_cast<int>(local.size());
    std::vector<int> lengths(static_cast<std::size_t>(world->size()));
    MpiWorld::check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, world->comm()), "MPI_Allgather");
    std::vector<int> offsets(lengths.size(), 0);
    for (std::size_t r = 1; r < lengths.size(); ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
    std::string gathered(static_cast<std::size_t>(offsets.back() + lengths.back()), '\0');
    MpiWorld::check(MPI_Allgatherv(local.data(), length, MPI_CHAR, gathered.data(), lengths.data(), offsets.data(),
                                   MPI_CHAR, world->comm()), "MPI_Allgatherv");
    for (std::size_t r = 0; r < lengths.size(); ++r) all.push_back(gathered.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
  });
  for (std::size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    std::istringstream rank0(all[0]), other(all[r]);
    std::string line0, line;
    while (true) {
      const bool more0 = static_cast<bool>(std::getline(rank0, line0)), more = static_cast<bool>(std::getline(other, line));
      if (line0 != line || !more0 || !more) break;
    }
    throw Error("KVStore.init: the ranks disagree on the keys: rank 0 initialized " + (line0.empty() ? "nothing more" : "'" + line0 + "'") +
                ", rank " + std::to_string(r) + " " + (line.empty() ? "nothing more" : "'" + line + "'") + " (key shape dtype)");
  }
  // Rank 0's values everywhere, as MXNet's workers start from the first worker's initialization.
  std::vector<engine::VarHandle> writes;
  std::vector<Blob> blobs;  // copied into the work: the engine may drop its function once it has run
  for (Entry* entry : entries) {
    entry->stored.bump_version();
    writes.push_back(entry->stored.var());
    blobs.push_back(entry->stored.blob());
  }
  const std::uint64_t number = world_->reserve();
  engine::Engine::get().push_async(
      [world = world_.get(), number, blobs = std::move(blobs)](engine::RunContext, engine::OnComplete done) {
        world->submit(number, "the broadcast of init's values from rank 0", [world, blobs] {
          for (const Blob& blob : blobs) broadcast_from_rank0(blob.data, static_cast<std::size_t>(blob.size()) * dtype_size(blob.dtype), world->comm());
        }, [done](std::exception_ptr error) { error ? done(error) : done(); });
      },
      cpu(0), {}, writes, {.prop = engine::FnProperty::kAsync, .name = "KVStoreBroadcastInit", .category = "kvstore", .args = {}});
}

}  // namespace

std::shared_ptr<KVStore> make_dist_store(const std::string& type) {
  if (type == "dist_device_sync") return std::make_shared<DistStore<DeviceStore>>(type);
  return std::make_shared<DistStore<LocalStore>>(type);
}

}  // namespace mx::kvstore::detail
