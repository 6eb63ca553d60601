#pragma once
// The LAPACK routines the linalg operators use, from OpenBLAS (which carries LAPACK; Debian has no LAPACKE for
// it), overloaded on float and double. LAPACK is column-major: callers pass row-major matrices as their
// transposes. The trailing size_t arguments are gfortran's hidden lengths of the character arguments.
#include <cstddef>

extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t);
void spotri_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work,
             const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w, float* work,
             const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t);
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork, int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work, const int* lwork, int* info);
void sgels_(const char* trans, const int* m, const int* n, const int* nrhs, float* a, const int* lda, float* b,
            const int* ldb, float* work, const int* lwork, int* info, std::size_t);
void dgels_(const char* trans, const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b,
            const int* ldb, double* work, const int* lwork, int* info, std::size_t);
}

namespace mx::op::lapack {

// Each returns LAPACK's info: 0 on success, > 0 for the numerical failure the routine documents.
inline int potrf(char uplo, int n, float* a, int lda) { int info; spotrf_(&uplo, &n, a, &lda, &info, 1); return info; }
inline int potrf(char uplo, int n, double* a, int lda) { int info; dpotrf_(&uplo, &n, a, &lda, &info, 1); return info; }
inline int potri(char uplo, int n, float* a, int lda) { int info; spotri_(&uplo, &n, a, &lda, &info, 1); return info; }
inline int potri(char uplo, int n, double* a, int lda) { int info; dpotri_(&uplo, &n, a, &lda, &info, 1); return info; }
inline int geqrf(int m, int n, float* a, int lda, float* tau, float* work, int lwork) {
  int info; sgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info); return info;
}
inline int geqrf(int m, int n, double* a, int lda, double* tau, double* work, int lwork) {
  int info; dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info); return info;
}
inline int orgqr(int m, int n, int k, float* a, int lda, const float* tau, float* work, int lwork) {
  int info; sorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info); return info;
}
inline int orgqr(int m, int n, int k, double* a, int lda, const double* tau, double* work, int lwork) {
  int info; dorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info); return info;
}
inline int syevd(char jobz, char uplo, int n, float* a, int lda, float* w, float* work, int lwork, int* iwork,
                 int liwork) {
  int info; ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1); return info;
}
inline int syevd(char jobz, char uplo, int n, double* a, int lda, double* w, double* work, int lwork, int* iwork,
                 int liwork) {
  int info; dsyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1); return info;
}
inline int getrf(int m, int n, float* a, int lda, int* ipiv) { int info; sgetrf_(&m, &n, a, &lda, ipiv, &info); return info; }
inline int getrf(int m, int n, double* a, int lda, int* ipiv) { int info; dgetrf_(&m, &n, a, &lda, ipiv, &info); return info; }
inline int getri(int n, float* a, int lda, const int* ipiv, float* work, int lwork) {
  int info; sgetri_(&n, a, &lda, ipiv, work, &lwork, &info); return info;
}
inline int getri(int n, double* a, int lda, const int* ipiv, double* work, int lwork) {
  int info; dgetri_(&n, a, &lda, ipiv, work, &lwork, &info); return info;
}
inline int gels(char trans, int m, int n, int nrhs, float* a, int lda, float* b, int ldb, float* work, int lwork) {
  int info; sgels_(&trans, &m, &n, &nrhs, a, &lda, b, &ldb, work, &lwork, &info, 1); return info;
}
inline int gels(char trans, int m, int n, int nrhs, double* a, int lda, double* b, int ldb, double* work, int lwork) {
  int info; dgels_(&trans, &m, &n, &nrhs, a, &lda, b, &ldb, work, &lwork, &info, 1); return info;
}

}  // namespace mx::op::lapack
