// Sparse arrays to and from the records of MXNet's NDArray files (storage type 2: CSR, 1: row sparse).
#include <mx/sparse/serialize.h>

#include <mx/ndarray/serialize.h>
#include <mx/sparse/sparse_chunk.h>

namespace mx::nd::sparse {
namespace {

constexpr std::int32_t kRowSparseStorage = 1, kCSRStorage = 2;

Record to_record(const AnyArray& array) {
  if (const auto* dense = std::get_if<NDArray>(&array)) return *dense;
  const SparseNDArray& s = std::holds_alternative<CSRNDArray>(array)
                               ? static_cast<const SparseNDArray&>(std::get<CSRNDArray>(array))
                               : std::get<RowSparseNDArray>(array);
  if (s.is_none()) throw Error("save: cannot save an empty sparse array handle");
  s.wait_to_read();
  const mx::detail::SparseChunk& chunk = *s.chunk();
  SparseRecord record;
  record.shape = s.shape();
  record.dtype = s.dtype();
  record.values = chunk.values;
  if (s.stype() == StorageType::kCSR) {
    record.stype = kCSRStorage;
    record.storage_shape = Shape{static_cast<std::int64_t>(chunk.indices.size())};
    record.aux = {chunk.indptr, chunk.indices};
  } else {
    record.stype = kRowSparseStorage;
    const auto rows = static_cast<std::int64_t>(chunk.indices.size());
    record.storage_shape = mx::detail::sparse::stored_rows_shape(s.shape(), rows);
    record.aux = {chunk.indices};
  }
  return record;
}

std::vector<double> values_of(const SparseRecord& r) {
  std::vector<double> values;
  mx::detail::sparse::dispatch_values(r.dtype, "load", [&](auto tag) {
    using T = decltype(tag);
    const auto* p = reinterpret_cast<const T*>(r.values.data());
    values.assign(p, p + r.values.size() / sizeof(T));
  });
  return values;
}

// The sparse array a record describes, checked as csr_matrix and row_sparse_array check host components.
AnyArray from_record(const SparseRecord& r) {
  if (r.stype == kCSRStorage) {
    if (r.shape.ndim() != 2 || r.aux.size() != 2) throw Error("a CSR array must be 2-D with indptr and indices");
    return csr_matrix(values_of(r), r.aux[1], r.aux[0], r.shape, r.dtype, cpu());
  }
  if (r.aux.size() != 1) throw Error("a row-sparse array must have one index array");
  return row_sparse_array(values_of(r), r.aux[0], r.shape, r.dtype, cpu());
}

}  // namespace

void save(const std::string& path, const std::vector<AnyArray>& arrays) {
  std::vector<Record> records;
  for (const AnyArray& a : arrays) records.push_back(to_record(a));
  save_records(path, records, {});
}

void save(const std::string& path, const std::map<std::string, AnyArray>& arrays) {
  std::vector<Record> records;
  std::vector<std::string> names;
  for (const auto& [name, a] : arrays) {
    names.push_back(name);
    records.push_back(to_record(a));
  }
  save_records(path, records, names);
}

std::map<std::string, AnyArray> LoadedAnyArrays::dict() const {
  if (names.size() != arrays.size()) throw FormatError("load: the file holds a list of arrays, not named arrays");
  std::map<std::string, AnyArray> out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace(names[i], arrays[i]);
  return out;
}

LoadedAnyArrays load(const std::string& path) {
  LoadedRecords records = load_records(path);
  LoadedAnyArrays loaded;
  loaded.names = std::move(records.names);
  for (std::size_t i = 0; i < records.records.size(); ++i) {
    if (auto* dense = std::get_if<NDArray>(&records.records[i])) {
      loaded.arrays.emplace_back(std::move(*dense));
      continue;
    }
    try {
      loaded.arrays.push_back(from_record(std::get<SparseRecord>(records.records[i])));
    } catch (const Error& e) {
      throw FormatError("load: " + path + ": array " + std::to_string(i) + ": " + e.what());
    }
  }
  return loaded;
}

}  // namespace mx::nd::sparse
