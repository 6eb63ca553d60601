#pragma once
// For the few thread_locals every operation touches. In a shared library a thread_local is found through a
// call to __tls_get_addr (about 11 instructions; 8 such calls made 6% of a tiny operation's instructions); the
// initial-exec model reads it at a fixed offset from the thread pointer instead. That offset is fixed when the
// library loads, in the static TLS block, whose spare room (about 1.6 KB) also serves a library that is
// dlopen'ed: hence only these small variables (under 100 bytes in all), never the profiler's buffers.
#define MX_FAST_THREAD_LOCAL [[gnu::tls_model("initial-exec")]] thread_local
