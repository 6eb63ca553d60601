#pragma once
// For the thread_locals every operation touches. In a shared library a thread_local is found through a call to
// __tls_get_addr (about 11 instructions; 8 such calls made 6% of a tiny operation's instructions); the
// initial-exec model reads it at a fixed offset from the thread pointer instead. A library that uses it gets its
// whole block of thread_locals in the static TLS area, where a library loaded by dlopen finds only a small spare
// room, shared with others (libgomp's): the engine's thread_locals therefore stay small (96 bytes; the profiler
// keeps its per-thread data on the heap), and the test package.dlopen_every_layer loads every layer by dlopen.
#define MX_FAST_THREAD_LOCAL [[gnu::tls_model("initial-exec")]] thread_local
