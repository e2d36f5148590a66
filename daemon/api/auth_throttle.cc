#include "daemon/api/auth_throttle.h"

#include <algorithm>

namespace trustgate {

std::optional<std::chrono::seconds> AuthThrottle::retry_after(const std::string& key) {
  if (options_.max_failures <= 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = windows_.find(key);
  if (it == windows_.end()) return std::nullopt;
  const auto now = clock_.steady_now();
  const auto end = it->second.start + options_.window;
  if (now >= end) {
    windows_.erase(it);
    return std::nullopt;
  }
  if (it->second.failures < options_.max_failures) return std::nullopt;
  auto wait = std::chrono::ceil<std::chrono::seconds>(end - now);
  return std::max(wait, std::chrono::seconds(1));
}

void AuthThrottle::failed(const std::string& key) {
  if (options_.max_failures <= 0) return;
  std::lock_guard lock(mutex_);
  const auto now = clock_.steady_now();
  auto it = windows_.find(key);
  if (it != windows_.end() && now >= it->second.start + options_.window) {
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    make_room(now);
    it = windows_.emplace(key, Window{now, 0}).first;
  }
  ++it->second.failures;
}

void AuthThrottle::make_room(std::chrono::steady_clock::time_point now) {
  if (windows_.size() < std::max<std::size_t>(options_.max_keys, 1)) return;
  std::erase_if(windows_, [&](const auto& kv) { return now >= kv.second.start + options_.window; });
  while (windows_.size() >= std::max<std::size_t>(options_.max_keys, 1)) {
    auto oldest = std::min_element(
        windows_.begin(), windows_.end(),
        [](const auto& a, const auto& b) { return a.second.start < b.second.start; });
    windows_.erase(oldest);
  }
}

}  // namespace trustgate
