#pragma once
// A Notifier for tests: records every call, in order. Thread-safe.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/systemd/notifier.h"

namespace trustgate {

class FakeNotifier final : public Notifier {
 public:
  // Each recorded call as the assignment sd_notify would send: "READY=1", "STATUS=...",
  // "WATCHDOG=1", "STOPPING=1", "RELOADING=1".
  explicit FakeNotifier(std::optional<std::chrono::microseconds> watchdog_interval = {})
      : watchdog_interval_(watchdog_interval) {}

  void ready() override { record("READY=1"); }
  void status(std::string_view line) override { record("STATUS=" + std::string(line)); }
  void watchdog() override { record("WATCHDOG=1"); }
  void stopping() override { record("STOPPING=1"); }
  void reloading() override { record("RELOADING=1"); }
  std::optional<std::chrono::microseconds> watchdog_interval() const override {
    return watchdog_interval_;
  }

  std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t count(std::string_view message) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(messages_.begin(), messages_.end(), message));
  }
  // The last STATUS= line, without the prefix; empty when none was sent.
  std::string last_status() const {
    std::lock_guard lock(mutex_);
    for (auto it = messages_.rbegin(); it != messages_.rend(); ++it) {
      if (it->starts_with("STATUS=")) return it->substr(7);
    }
    return {};
  }

 private:
  void record(std::string message) {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }

  std::optional<std::chrono::microseconds> watchdog_interval_;
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

}  // namespace trustgate
