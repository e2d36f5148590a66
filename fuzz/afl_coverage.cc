// Edge coverage for AFL++ from GCC's own instrumentation. The Debian afl++ GCC plugin
// (afl-g++-fast) refuses to load into the point-release GCC 12 it ships beside, and clang 14 can't
// compile this C++23 code, so the fuzz build compiles with plain g++ and
// -fsanitize-coverage=trace-pc,trace-cmp (TRUSTGATE_FUZZ). GCC then calls __sanitizer_cov_trace_pc
// at every basic block; this turns those calls into AFL-style edges (previous block XOR current
// block) in AFL++'s shared map. The rest of the runtime (fork server, persistent loop, the
// trace-cmp hooks for CMPLOG) is AFL++'s afl-compiler-rt.o, linked beside it.
#include <cstdint>

extern "C" std::uint8_t* __afl_area_ptr;  // afl-compiler-rt: the map (a dummy one outside afl-fuzz)

constexpr std::uintptr_t kMapMask = 0xFFFF;  // afl-compiler-rt's default map: 64 KiB (MAP_SIZE)

namespace {
thread_local std::uintptr_t prev_block;
}  // namespace

// Not instrumented itself (it would call itself), nor checked by ASan (a hot path; the index is
// masked to the map).
extern "C" __attribute__((no_sanitize_coverage, no_sanitize_address)) void
__sanitizer_cov_trace_pc() {
  // Fuzz binaries are linked -no-pie, so a block's address is the same in every run.
  auto block = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
  block = ((block >> 4) ^ (block << 8)) & kMapMask;
  __afl_area_ptr[block ^ prev_block]++;
  prev_block = block >> 1;
}

// GCC's trace-cmp also reports floating-point comparisons, which afl-compiler-rt has no hooks
// for (CmpLog compares integers and strings): ignored.
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpd(double, double) {}
