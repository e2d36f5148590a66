#pragma once
// Failed authentications, throttled: after `max_failures` failures within `window` for one
// key (a claimed client id, or a peer address), requests under that key are refused (429)
// without their secret being checked until the window that began with the first failure
// ends. A refused request counts no further failure. Time comes from the injected clock
// (steady). Memory is bounded: at most `max_keys` keys, the stalest dropped first.
// Thread-safe.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace trustgate {

struct AuthThrottleOptions {
  int max_failures = 10;  // per key and window; 0: no throttling
  std::chrono::seconds window{60};
  std::size_t max_keys = 4096;
};

class AuthThrottle {
 public:
  AuthThrottle(const Clock& clock, AuthThrottleOptions options)
      : clock_(clock), options_(options) {}

  // How long a request under `key` must wait (>= 1 s), or nullopt when it may proceed.
  std::optional<std::chrono::seconds> retry_after(const std::string& key);
  // Counts a failed authentication under `key`.
  void failed(const std::string& key);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int failures = 0;
  };
  void make_room(std::chrono::steady_clock::time_point now);  // GUARDED_BY(mutex_)

  const Clock& clock_;
  const AuthThrottleOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;  // GUARDED_BY(mutex_)
};

}  // namespace trustgate
