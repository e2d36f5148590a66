#pragma once
// Frees a large value on another thread while the caller goes on. A full sync's directory
// entries are half a million strings: freeing them took the thread that commits the revision
// about 0.04 s; beside the commit it costs no wall time.
#include <thread>
#include <utility>

namespace trustgate {

// Destroys `value` (moved in by the caller) on a new thread. The returned thread joins when
// destroyed (or joined): keep it until the work the release should overlap is done.
template <typename T>
[[nodiscard]] std::jthread release_in_background(T value) {
  return std::jthread([taken = std::move(value)]() mutable {
    T gone = std::move(taken);  // destroyed here, on this thread, not with the closure
  });
}

}  // namespace trustgate
