#include <mx/operators/blas.h>

#include <cblas.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include <tbb/task_arena.h>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/storage.h>
#include <mx/operators/convert_split.h>
#include <mx/operators/onednn_gemm.h>
#include <mx/operators/parallel.h>

namespace mx::op {
namespace {

constexpr std::int64_t kRowsPerTask = 64;      // below this, a slice of C is too thin for an efficient kernel
constexpr std::int64_t kColumnsPerTask = 128;  // likewise for a slice of columns

// OpenBLAS multiplies a product of at most 2^18 multiply-adds in its small-matrix kernels, without packing the
// operands. For A B^T with few columns (a classifier's output layer) its packed path is twice as slow as those
// kernels (the seed MLP's 128 x 10 x 256: 13.7 us against 6.5 us as two blocks of 64 rows), so such products go
// as blocks of rows that each stay under that size.
constexpr std::int64_t kSmallProduct = std::int64_t{1} << 18;
constexpr std::int64_t kFewColumns = 32;

// Rows per block at least: a block of one or two rows reads all of B for little work (a convolution's weight
// gradient, 20 x 25 x 73728, took 5.3 ms as 20 one-row products against 1.3 ms as one).
constexpr std::int64_t kMinBlockRows = 16;

// One single-threaded product with explicit leading dimensions: oneDNN's sgemm for float32 beyond the small
// size (unless MX_CPU_SGEMM=openblas), OpenBLAS otherwise and for a shallow k: a product that is mostly its
// writes of C (the seed MLP's 128 x 256 x 10 gradient through the last layer) took 14 us at the median in
// training steps on oneDNN, and 56 on average with its outliers, against 11 and 10 on OpenBLAS.
constexpr std::int64_t kMinDepthForOneDnn = 32;
template <class T>
void multiply(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
              std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  const auto ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    if (m * n * k > kSmallProduct && k >= kMinDepthForOneDnn && sgemm_library() == SgemmLibrary::kOneDnn) {
      onednn_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k),
                alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k),
                alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
  }
}

// C[rows m, cols n] of the whole product (leading dimensions from the whole); `bias` is g.row_bias from the
// slice's first column.
template <class T>
void gemm_serial(const GemmArgs& g, const T* a, const T* b, T* c, std::int64_t m, std::int64_t n,
                 const T* bias = nullptr) {
  const std::int64_t lda = g.trans_a ? g.m : g.k, ldb = g.trans_b ? g.k : g.n;
  T beta = static_cast<T>(g.beta);
  if (bias != nullptr) {
    for (std::int64_t row = 0; row < m; ++row) std::copy(bias, bias + n, c + row * g.n);
    beta = 1;
  }
  const bool in_row_blocks = g.trans_b && !g.trans_a && n <= kFewColumns && m * n * g.k > kSmallProduct &&
                             n * g.k * kMinBlockRows <= kSmallProduct;
  const std::int64_t block = in_row_blocks ? kSmallProduct / (n * g.k) : m;
  for (std::int64_t row = 0; row < m; row += block) {
    const std::int64_t rows = std::min(block, m - row);
    const T* a_rows = a + row * g.k;  // blocks only without trans_a
    multiply<T>(g.trans_a, g.trans_b, rows, n, g.k, static_cast<T>(g.alpha), a_rows, lda, b, ldb, beta, c + row * g.n,
                g.n);
  }
}

// A product whose C is too small to split (a convolution's weight gradient: filters x patch size, summed over
// every pixel of the batch) split along k instead: one partial product per worker, the first into C itself,
// the others into buffers added to it after.
constexpr std::int64_t kSplitDepth = 4096;             // k per worker at least
constexpr std::int64_t kMaxPartialSize = 1 << 16;      // elements of C, each worker's buffer

template <class T>
void gemm_split_depth(const GemmArgs& g, const T* a, const T* b, T* c, std::int64_t parts, const T* bias) {
  std::vector<T> partials(static_cast<std::size_t>((parts - 1) * g.m * g.n));
  for_each_piece(static_cast<int>(parts), [&](std::int64_t part) {
    const std::int64_t begin = g.k * part / parts, end = g.k * (part + 1) / parts;
    const T* a_part = g.trans_a ? a + begin * g.m : a + begin;
    const T* b_part = g.trans_b ? b + begin : b + begin * g.n;
    const std::int64_t lda = g.trans_a ? g.m : g.k, ldb = g.trans_b ? g.k : g.n;
    if (part == 0) {
      T beta = static_cast<T>(g.beta);
      if (bias != nullptr) {
        for (std::int64_t row = 0; row < g.m; ++row) std::copy(bias, bias + g.n, c + row * g.n);
        beta = 1;
      }
      multiply<T>(g.trans_a, g.trans_b, g.m, g.n, end - begin, static_cast<T>(g.alpha), a_part, lda, b_part, ldb,
                  beta, c, g.n);
    } else {
      multiply<T>(g.trans_a, g.trans_b, g.m, g.n, end - begin, static_cast<T>(g.alpha), a_part, lda, b_part, ldb, T{0},
                  partials.data() + (part - 1) * g.m * g.n, g.n);
    }
  });
  const std::int64_t size = g.m * g.n;
  for (std::int64_t part = 1; part < parts; ++part) {
    const T* partial = partials.data() + (part - 1) * size;
    for (std::int64_t i = 0; i < size; ++i) c[i] += partial[i];
  }
}

// Rows [begin, end) of g.a_row_sums: the sums of op(A)'s rows, accumulated in double.
template <class T>
void a_row_sums(const GemmArgs& g, const T* a, std::int64_t begin, std::int64_t end) {
  T* sums = static_cast<T*>(g.a_row_sums);
  if (!g.trans_a) {  // each row of op(A) is a row of A
    for (std::int64_t i = begin; i < end; ++i) {
      double total = 0;
      for (std::int64_t p = 0; p < g.k; ++p) total += a[i * g.k + p];
      sums[i] = static_cast<T>(total);
    }
    return;
  }
  // op(A)'s rows are A's columns: walk A's rows in order over the columns of the range, so the reads are
  // contiguous and the inner loop vectorizes.
  std::vector<double> acc(static_cast<std::size_t>(end - begin), 0.0);
  for (std::int64_t p = 0; p < g.k; ++p) {
    const T* row = a + p * g.m + begin;
    for (std::int64_t i = 0; i < end - begin; ++i) acc[static_cast<std::size_t>(i)] += row[i];
  }
  for (std::int64_t i = begin; i < end; ++i) sums[i] = static_cast<T>(acc[static_cast<std::size_t>(i - begin)]);
}

// Splits C into one slice per worker, each an independent single-threaded BLAS call: by rows, or by columns
// when C has too few rows and many columns (a convolution's product at batch 1: 64 filters x 3136 pixels) or
// when B is the largest operand. A layer's forward (x W^T) is the last case: split by rows, every worker reads
// all of W, and the update that writes W next must take each cache line back from the other core (an 800 KB
// update measured 4x slower that way); split by columns, each worker reads half of W.
template <class T>
void gemm_parallel(const GemmArgs& g, const T* a, const T* b, T* c) {
  const std::int64_t workers = tbb::this_task_arena::max_concurrency();
  const std::int64_t flops = g.m * g.n * g.k;
  const T* bias = static_cast<const T*>(g.row_bias);
  const bool row_sums = g.a_row_sums != nullptr;
  if (flops < (std::int64_t{1} << 21) || !kSplitKernels || workers <= 1) {
    gemm_serial(g, a, b, c, g.m, g.n, bias);
    if (row_sums) a_row_sums(g, a, 0, g.m);
    return;
  }
  const std::int64_t row_parts = std::clamp(g.m / kRowsPerTask, std::int64_t{1}, workers);
  const std::int64_t column_parts = std::clamp(g.n / kColumnsPerTask, std::int64_t{1}, workers);
  const std::int64_t depth_parts = std::clamp(g.k / kSplitDepth, std::int64_t{1}, workers);
  const bool b_largest = g.k * g.n > g.m * g.k && g.k * g.n > g.m * g.n;
  const bool rows_not_columns = row_parts >= column_parts && !(b_largest && column_parts > 1);
  if (rows_not_columns && row_parts > 1) {
    for_each_piece(static_cast<int>(row_parts), [&](std::int64_t part) {
      const std::int64_t begin = g.m * part / row_parts, end = g.m * (part + 1) / row_parts;
      const T* a_rows = g.trans_a ? a + begin : a + begin * g.k;
      gemm_serial(g, a_rows, b, c + begin * g.n, end - begin, g.n, bias);
      if (row_sums) a_row_sums(g, a, begin, end);
    });
    return;
  }
  if (row_parts == 1 && column_parts == 1 && depth_parts > 1 && g.m * g.n <= kMaxPartialSize) {
    gemm_split_depth(g, a, b, c, depth_parts, bias);
  } else if (rows_not_columns) {  // one row part: not split
    gemm_serial(g, a, b, c, g.m, g.n, bias);
  } else {
    for_each_piece(static_cast<int>(column_parts), [&](std::int64_t part) {
      const std::int64_t begin = g.n * part / column_parts, end = g.n * (part + 1) / column_parts;
      const T* b_columns = g.trans_b ? b + begin * g.k : b + begin;
      gemm_serial(g, a, b_columns, c + begin, g.m, end - begin, bias == nullptr ? nullptr : bias + begin);
    });
  }
  if (row_sums) a_row_sums(g, a, 0, g.m);
}

// `count` floats of host scratch from the CPU pool: a training step asks for the same sizes every time, where
// fresh memory from the system cost a page fault per 4 KB at every product.
class PooledFloats {
 public:
  explicit PooledFloats(std::int64_t count)
      : handle_(storage::pool(cpu()).allocate(static_cast<std::size_t>(count) * sizeof(float))) {}
  ~PooledFloats() { storage::pool(handle_.ctx).release(handle_); }
  PooledFloats(const PooledFloats&) = delete;
  PooledFloats& operator=(const PooledFloats&) = delete;
  float* get() const { return static_cast<float*>(handle_.ptr); }

 private:
  storage::Handle handle_;
};

// 16-bit floats: widen to float, multiply, narrow. (Debian's OpenBLAS 0.3.21 is built without its bfloat16
// kernels: libopenblas exports no cblas_sbgemm.) The widened copies are not zeroed first: that took as long as
// the conversions that fill them.
template <class T>
void gemm_widened(const GemmArgs& g, const T* a, const T* b, T* c) {
  const PooledFloats fa(g.m * g.k), fb(g.k * g.n), fc(g.m * g.n);
  constexpr DType kNarrow = dtype_of<T>(), kWide = DType::kFloat32;
  convert_split(a, kNarrow, fa.get(), kWide, g.m * g.k);
  convert_split(b, kNarrow, fb.get(), kWide, g.k * g.n);
  if (g.beta != 0) convert_split(c, kNarrow, fc.get(), kWide, g.m * g.n);
  gemm_parallel(g, fa.get(), fb.get(), fc.get());
  convert_split(fc.get(), kWide, c, kNarrow, g.m * g.n);
}

}  // namespace

bool gemm_supports(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

void gemm(const GemmArgs& g, DType dtype, const void* a, const void* b, void* c) {
  if (g.a_row_sums != nullptr &&
      ((dtype != DType::kFloat32 && dtype != DType::kFloat64) || g.m == 0 || g.n == 0 || g.k == 0)) {
    throw DTypeError(std::string("gemm: the row sums of A need float32 or float64 and no empty extent, got ") +
                     dtype_name(dtype) + " and " + std::to_string(g.m) + " x " + std::to_string(g.n) + " x " +
                     std::to_string(g.k));
  }
  if (g.m == 0 || g.n == 0) return;
  if (g.row_bias != nullptr && ((dtype != DType::kFloat32 && dtype != DType::kFloat64) || g.k == 0)) {
    throw DTypeError(std::string("gemm: a row bias needs float32 or float64 and k > 0, got ") + dtype_name(dtype) +
                     " and k = " + std::to_string(g.k));
  }
  if (g.k == 0) {  // BLAS may leave C untouched when k is 0; the product of empty matrices is zeros
    if (!gemm_supports(dtype)) throw DTypeError(std::string("gemm: ") + dtype_name(dtype) + " is not supported");
    std::vector<double> scaled(static_cast<std::size_t>(g.m * g.n));
    convert_values(c, dtype, scaled.data(), DType::kFloat64, scaled.size());
    for (double& v : scaled) v = g.beta == 0 ? 0.0 : g.beta * v;
    convert_values(scaled.data(), DType::kFloat64, c, dtype, scaled.size());
    return;
  }
  switch (dtype) {
    case DType::kFloat32:
      return gemm_parallel(g, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(c));
    case DType::kFloat64:
      return gemm_parallel(g, static_cast<const double*>(a), static_cast<const double*>(b), static_cast<double*>(c));
    case DType::kFloat16:
      return gemm_widened(g, static_cast<const float16*>(a), static_cast<const float16*>(b), static_cast<float16*>(c));
    case DType::kBFloat16:
      return gemm_widened(g, static_cast<const bfloat16*>(a), static_cast<const bfloat16*>(b),
                          static_cast<bfloat16*>(c));
    default:
      throw DTypeError(std::string("gemm: ") + dtype_name(dtype) + " is not supported; use a floating dtype");
  }
}

void batched_gemm(const GemmArgs& g, DType dtype, std::int64_t batch, const void* a, std::int64_t stride_a,
                  const void* b, std::int64_t stride_b, void* c, std::int64_t stride_c) {
  const std::size_t size = dtype_size(dtype);
  parallel_for(batch, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) gemm(g, dtype, static_cast<const std::byte*>(a) + i * stride_a * size,
         static_cast<const std::byte*>(b) + i * stride_b * size, static_cast<std::byte*>(c) + i * stride_c * size);
  }, 1);
}

}  // namespace mx::op
