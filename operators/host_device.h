#pragma once
// Code shared by the CPU loops and the CUDA kernels (the functors) is marked MX_HOST_DEVICE: nvcc compiles it
// for both sides, g++ sees plain functions.
#if defined(__CUDACC__)
#define MX_HOST_DEVICE __host__ __device__
#else
#define MX_HOST_DEVICE
#endif
